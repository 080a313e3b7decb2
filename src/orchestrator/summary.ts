import type { Manifest } from '../output/manifest.js';
import type { BatchRecord } from '../output/record.js';
import type { PlanFile } from '../plan/model.js';
import type { BatchOutcome, ScheduleResult } from './scheduler.js';

export type RunStatus = 'complete' | 'failed' | 'interrupted';

export interface Summary {
  status: RunStatus;
  exitCode: number;
  planId: string;
  source: { db: string; collection: string };
  out: string;
  expectedDocs: number;
  docs: number;
  /** docs − expectedDocs: non-zero when documents were inserted or deleted during the run. */
  difference: number;
  bytes: number;
  /** What this run wrote (a resumed run: without the batches an earlier run finished); its rate is theirs. */
  docsThisRun: number;
  bytesThisRun: number;
  /** Strings and field names that were not valid UTF-8, written as `\ufffd` (see --strict-utf8). */
  invalidUtf8: number;
  /** --check-counts: batches whose documents differ from the server's count of their range after they were written. */
  countMismatches?: { batch: number; docs: number; serverCount: number }[];
  seconds: number;
  planningSeconds: number;
  batches: { total: number; done: number; resumed: number; failed: number; notRun: number };
  retries: number;
  /** New cursors this run's batches opened after their last written `_id` (--cursor-retries): no document re-read. */
  cursorResumes: number;
  maxConcurrent: number;
  stopped: string | null;
  /** --merge: the one file the batch files became. */
  merged?: { file: string; bytes: number; seconds: number };
  failures: {
    batch: number;
    attempts: number;
    lastError: string;
    exitCode: number | null;
    signal: string | null;
    stderrTail: string;
    rerun: string;
  }[];
}

export function failuresOf(outcomes: readonly BatchOutcome[], rerun: (index: number) => string): Summary['failures'] {
  return outcomes
    .filter((o) => o.status === 'failed')
    .map((o) => {
      const last = o.attempts.at(-1);
      return {
        batch: o.index,
        attempts: o.attempts.length,
        lastError: last?.error ?? '',
        exitCode: last?.exitCode ?? null,
        signal: last?.signal ?? null,
        stderrTail: last?.stderrTail ?? '',
        rerun: rerun(o.index),
      };
    });
}

export interface SummaryInput {
  status: RunStatus;
  exitCode: number;
  plan: PlanFile;
  out: string;
  manifest: Manifest;
  seconds: number;
  resumed: number;
  result: ScheduleResult;
  rerun: (index: number) => string;
}

const sum = (outcomes: readonly BatchOutcome[], of: (r: BatchRecord) => number): number =>
  outcomes.reduce((n, o) => n + (o.status === 'done' && o.record ? of(o.record) : 0), 0);

export function buildSummary(i: SummaryInput): Summary {
  const { plan, manifest, result } = i;
  return {
    status: i.status,
    exitCode: i.exitCode,
    planId: plan.planId,
    source: plan.source,
    out: i.out,
    expectedDocs: plan.expectedDocs,
    docs: manifest.docs,
    difference: manifest.docs - plan.expectedDocs,
    bytes: manifest.bytes,
    docsThisRun: sum(result.outcomes, (r) => r.docs),
    bytesThisRun: sum(result.outcomes, (r) => r.bytes),
    invalidUtf8: manifest.invalidUtf8,
    ...(manifest.countMismatches ? { countMismatches: manifest.countMismatches } : {}),
    seconds: Math.round(i.seconds * 1000) / 1000,
    planningSeconds: plan.method.seconds,
    batches: {
      total: plan.batches.length,
      done: manifest.files.length,
      resumed: i.resumed,
      failed: result.outcomes.filter((o) => o.status === 'failed').length,
      notRun: result.outcomes.filter((o) => o.status === 'not-run').length,
    },
    retries: result.retried,
    cursorResumes: sum(result.outcomes, (r) => r.cursorResumes ?? 0),
    maxConcurrent: result.maxRunning,
    stopped: result.stopped ?? null,
    failures: failuresOf(result.outcomes, i.rerun),
  };
}
