import type { PlanFile } from '../plan/model.js';
import type { BatchRecord } from './record.js';

export const MANIFEST_FORMAT = 'mongo-parallel-extract/manifest@1';

/** The manifest: every batch file with its record; written last, from the records on disk. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  planId: string;
  source: PlanFile['source'];
  query: PlanFile['query'];
  fields: PlanFile['fields'];
  output: PlanFile['output'];
  complete: boolean;
  expectedDocs: number;
  docs: number;
  bytes: number;
  /** Strings and field names written with `\ufffd` because they were not valid UTF-8, over every batch. */
  invalidUtf8: number;
  missing: number[];
  /** --check-counts: batches whose written documents differ from the server's count of their range. */
  countMismatches?: CountMismatch[];
  files: { batch: number; file: string; docs: number; bytes: number; sha256: string }[];
  writtenAt: string;
}

export interface CountMismatch {
  batch: number;
  docs: number;
  serverCount: number;
}

/** Batches whose record holds a server count (--check-counts) that differs from the documents written. */
export const countMismatches = (records: readonly (BatchRecord | undefined)[]): CountMismatch[] =>
  records
    .filter((r): r is BatchRecord & { serverCount: number } => r?.serverCount !== undefined && r.serverCount !== r.docs)
    .map((r) => ({ batch: r.batch, docs: r.docs, serverCount: r.serverCount }));

/** `records[i]`: batch i's record when it is done. */
export function buildManifest(plan: PlanFile, records: readonly (BatchRecord | undefined)[]): Manifest {
  const present = records.filter((r): r is BatchRecord => r !== undefined);
  return {
    format: MANIFEST_FORMAT,
    planId: plan.planId,
    source: plan.source,
    query: plan.query,
    fields: plan.fields,
    output: plan.output,
    complete: present.length === plan.batches.length,
    expectedDocs: plan.expectedDocs,
    docs: present.reduce((a, r) => a + r.docs, 0),
    bytes: present.reduce((a, r) => a + r.bytes, 0),
    invalidUtf8: present.reduce((a, r) => a + (r.invalidUtf8 ?? 0), 0),
    missing: plan.batches.map((b) => b.index).filter((i) => !records[i]),
    ...(present.some((r) => r.serverCount !== undefined) ? { countMismatches: countMismatches(records) } : {}),
    files: present.map((r) => ({ batch: r.batch, file: r.file, docs: r.docs, bytes: r.bytes, sha256: r.sha256 })),
    writtenAt: new Date().toISOString(),
  };
}
