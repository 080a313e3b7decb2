import { join } from 'node:path';
import type { OutputOptions, PlanFile } from '../plan/model.js';
import { compressedExtension, compressionOf } from './compression.js';

/** Names inside an output directory. Data files are `batch-*`, so `batch-*.json` globs only data. */
export const PLAN_FILE = 'plan.json';
export const MANIFEST_FILE = 'manifest.json';
export const LOCK_FILE = '.extract.lock';

const width = (plan: Pick<PlanFile, 'batches'>): number =>
  Math.max(5, String(Math.max(0, plan.batches.length - 1)).length);
const pad = (plan: Pick<PlanFile, 'batches'>, index: number): string => String(index).padStart(width(plan), '0');

export const extension = (o: OutputOptions): string => `.${o.format}${compressedExtension(compressionOf(o))}`;

export const batchFileName = (plan: Pick<PlanFile, 'batches' | 'output'>, index: number): string =>
  `batch-${pad(plan, index)}${extension(plan.output)}`;
export const recordFileName = (plan: Pick<PlanFile, 'batches'>, index: number): string =>
  `record-${pad(plan, index)}.json`;

/** A batch's data file name (any format), as batchFileName makes it. */
export const DATA_FILE = /^batch-\d+\.(json|ndjson|csv)(\.gz|\.zst)?$/;
/** A batch's record file name, as recordFileName makes it. */
export const RECORD_FILE = /^record-\d+\.json$/;
/** Either, or a name that looks like one: a directory holding such files holds another export. */
export const BATCH_OR_RECORD = /^(batch|record)-\d+/;

export const batchPath = (dir: string, plan: Pick<PlanFile, 'batches' | 'output'>, index: number): string =>
  join(dir, batchFileName(plan, index));
export const recordPath = (dir: string, plan: Pick<PlanFile, 'batches'>, index: number): string =>
  join(dir, recordFileName(plan, index));
