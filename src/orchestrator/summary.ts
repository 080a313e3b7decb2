import { join } from 'node:path';
import type { PlanFile } from '../plan/model.js';
import { writeFileAtomic } from '../output/atomic-file.js';
import { MANIFEST_FILE } from '../output/layout.js';
import type { BatchRecord } from '../output/record.js';
import type { BatchOutcome } from './run.js';

export const MANIFEST_FORMAT = 'mongo-parallel-extract/manifest@1';

/** The manifest: every batch file with its record, built once at the end from the records on disk. */
export async function writeManifest(dir: string, plan: PlanFile, records: (BatchRecord | undefined)[]): Promise<{ docs: number; bytes: number; complete: boolean }> {
  const present = records.filter((r): r is BatchRecord => r !== undefined);
  const docs = present.reduce((a, r) => a + r.docs, 0);
  const bytes = present.reduce((a, r) => a + r.bytes, 0);
  const complete = present.length === plan.batches.length;
  const manifest = {
    format: MANIFEST_FORMAT,
    planId: plan.planId,
    source: plan.source,
    query: plan.query,
    fields: plan.fields,
    output: plan.output,
    complete,
    expectedDocs: plan.expectedDocs,
    docs,
    bytes,
    missing: plan.batches.map((b) => b.index).filter((i) => !records[i]),
    files: present.map((r) => ({ batch: r.batch, file: r.file, docs: r.docs, bytes: r.bytes, sha256: r.sha256 })),
    writtenAt: new Date().toISOString(),
  };
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return { docs, bytes, complete };
}

export interface Summary {
  status: 'complete' | 'failed' | 'interrupted';
  exitCode: number;
  planId: string;
  source: { db: string; collection: string };
  out: string;
  expectedDocs: number;
  docs: number;
  /** docs − expectedDocs: non-zero when documents were inserted or deleted during the run. */
  difference: number;
  bytes: number;
  seconds: number;
  planningSeconds: number;
  batches: { total: number; done: number; resumed: number; failed: number; notRun: number };
  retries: number;
  maxConcurrent: number;
  stopped: string | null;
  failures: { batch: number; attempts: number; lastError: string; exitCode: number | null; signal: string | null; stderrTail: string; rerun: string }[];
}

export function failuresOf(outcomes: BatchOutcome[]): Summary['failures'] {
  return outcomes
    .filter((o) => o.status === 'failed')
    .map((o) => {
      const last = o.attempts.at(-1);
      return { batch: o.index, attempts: o.attempts.length, lastError: last?.error ?? '', exitCode: last?.exitCode ?? null, signal: last?.signal ?? null, stderrTail: last?.stderrTail ?? '', rerun: o.rerun };
    });
}
