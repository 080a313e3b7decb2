import { resolve } from 'node:path';
import type { MongoClient } from 'mongodb';
import { supportedTypeAliases } from '../db/capabilities.js';
import { hinted } from '../db/id-hint.js';
import { usage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Destination } from '../output/destination.js';
import { batchFileName } from '../output/layout.js';
import { planAt } from '../output/local-destination.js';
import type { Batch, PlanFile, Selection } from '../plan/model.js';
import { decodeBatch, decodeQuery, decodeSnapshot } from '../plan/plan-file.js';
import { classOf, typeClass } from '../plan/type-classes.js';
import { resolveBatchIndex } from './batch-index.js';
import type { BatchSource } from './drain.js';

/** Batch K of a plan, exactly as extract-all runs it. */
export interface PlannedRequest {
  plan: string;
  /** --batch as given; undefined: from an array-job engine's variable. */
  batch: unknown;
  /** Exit at once when the batch's file and record already check out. */
  skipDone: boolean;
  /** `--out -`: the batch on standard output instead of its file; no record, the plan's directory untouched. */
  stdout?: boolean;
}

/** A hand-given `_id` range (either side open, or neither: the whole collection) into one file or stdout. */
export interface RangeRequest {
  selection: Selection;
  min?: unknown;
  max?: unknown;
  /** A file path, or '-' for standard output. */
  out: string;
}

export type BatchRequest = PlannedRequest | RangeRequest;

export const isPlanned = (r: BatchRequest): r is PlannedRequest => 'plan' in r;

/** Where a batch goes. */
export type BatchTarget =
  | { kind: 'plan'; destination: Destination; plan: PlanFile; index: number }
  | { kind: 'file'; path: string }
  | { kind: 'stdout' };

/** A resolved batch: what to read and where to write it. Range bounds still need the server (`resolveRange`). */
export interface BatchJob {
  source: BatchSource;
  output: Selection['output'];
  target: BatchTarget;
  /** The file's name for messages. */
  label: string;
  /** A hand-given range, turned into a batch once connected. */
  range?: { min?: unknown; max?: unknown; cls: string };
}

/** Read the plan (or take the hand-given range) and say what runs. */
export async function resolveJob(
  request: BatchRequest,
  env: NodeJS.ProcessEnv,
  log: Logger,
  name: string,
): Promise<BatchJob> {
  if (!isPlanned(request)) return rangeJob(request);
  const { plan, destination, path: planPath } = await planAt(request.plan);
  if (plan.batches.length === 0)
    throw usage(`${planPath}: the plan has no batches (the collection was empty when planned)`);
  const { index, source } = resolveBatchIndex(request.batch, plan.batches.length, env);
  if (source !== '--batch') log.info(`${name}: batch ${index} (from ${source})`);
  if (request.stdout) log.info(`${name}: batch ${index} to standard output: no file, no record`);
  return {
    source: {
      selection: { source: plan.source, query: decodeQuery(plan.query), fields: plan.fields },
      batch: decodeBatch(plan.batches[index]!),
      ...(plan.snapshot ? { atClusterTime: decodeSnapshot(plan) } : {}),
      ...(plan.method.avgDocBytes ? { avgDocBytes: plan.method.avgDocBytes } : {}),
      ...(plan.output.sortById ? { sortById: true } : {}),
      // one batch of a collection (not of a view: fits is null there) reads through the _id index too
      ...(plan.method.fits ? { hintId: true } : {}),
    },
    output: plan.output,
    target: request.stdout ? { kind: 'stdout' } : { kind: 'plan', destination, plan, index },
    label: request.stdout ? '-' : destination.pathOf(batchFileName(plan, index)),
  };
}

/** --min/--max by hand: both of one type class; an open side is open to the end of that class. */
function rangeJob(r: RangeRequest): BatchJob {
  const job: BatchJob = {
    source: { selection: r.selection, batch: undefined },
    output: r.selection.output,
    target: r.out === '-' ? { kind: 'stdout' } : { kind: 'file', path: resolve(r.out) },
    label: r.out === '-' ? '-' : resolve(r.out),
  };
  if (r.min === undefined && r.max === undefined) return job;
  const cls = classOf(r.min !== undefined ? r.min : r.max);
  if (r.min !== undefined && r.max !== undefined && classOf(r.max) !== cls) {
    throw usage(
      `--min and --max must be of one BSON type class (got ${cls} and ${classOf(r.max)}): a range cannot span types`,
    );
  }
  if (cls === 'array') throw usage('--min/--max: an _id cannot be an array');
  job.range = { cls, ...(r.min !== undefined ? { min: r.min } : {}), ...(r.max !== undefined ? { max: r.max } : {}) };
  return job;
}

/** A hand-given range as a batch; an open low side is bounded by $type, keeping to the aliases this server knows. */
export async function resolveRange(client: MongoClient, job: BatchJob): Promise<Batch | undefined> {
  const m = job.range;
  if (!m) return job.source.batch;
  const batch: Batch = { index: 0, class: m.cls, types: [], estimatedDocs: 0 };
  if (m.min !== undefined) batch.min = m.min;
  if (m.max !== undefined) batch.max = m.max;
  if (m.min === undefined) {
    const { source } = job.source.selection;
    const coll = client.db(source.db).collection(source.collection);
    const aliases = typeClass(m.cls).aliases;
    const any = await hinted((h) => coll.findOne({}, { projection: { _id: 1 }, ...h }));
    const ok = any ? await supportedTypeAliases(coll, aliases) : new Set<string>();
    batch.types = aliases.filter((t) => ok.has(t));
    if (batch.types.length === 0) batch.types = [aliases[0]!];
  }
  return batch;
}
