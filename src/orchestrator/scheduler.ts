import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { type ErrorCode, PERMANENT } from '../errors.js';
import type { BatchRecord } from '../output/record.js';

/** What one attempt at a batch came to, as the launcher judged it (the child's exit, its report, its file). */
export type AttemptResult =
  | { ok: true; record: BatchRecord; seconds: number }
  | {
      ok: false;
      /** Stopped because the run was cancelled: not a failure of the batch. */
      canceled: boolean;
      /** Why, in one line. */
      error: string;
      /** The failure's class, when known (from the child's exit code). */
      code: ErrorCode | undefined;
      /** The cause is not this batch's alone (disk full, authentication): launch no more batches. */
      global: boolean;
      exitCode: number | undefined;
      signal: string | undefined;
      timedOut: boolean;
      seconds: number;
      stderrTail: string;
    };

export type Failure = Extract<AttemptResult, { ok: false }>;

/** Runs attempt `attempt` (1-based) of batch `index`; never rejects. */
export type Launch = (
  index: number,
  attempt: number,
  signal: AbortSignal,
  onDocs: (docs: number) => void,
) => Promise<AttemptResult>;

export interface SchedulePolicy {
  /** Batches at once. */
  concurrency: number;
  /** Attempts after the first for a failed batch: at most retryLimit + 1 attempts per batch. */
  retryLimit: number;
  /** Milliseconds to wait before attempt `attempt + 1`, after attempt `attempt` failed. */
  backoffMs: (attempt: number) => number;
  /** Connection failures in a row after which no new batch is launched. */
  connectFailuresToStop: number;
  /** How to wait (tests pass one that does not). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface AttemptSummary {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  seconds: number;
  error: string;
  stderrTail: string;
}

export interface BatchOutcome {
  index: number;
  status: 'done' | 'failed' | 'not-run';
  /** The failed attempts (a batch done on its third attempt has two). */
  attempts: AttemptSummary[];
  record?: BatchRecord;
}

/** What the run tells its observers, as it happens. */
export type RunEvent =
  | { type: 'start'; index: number; attempt: number }
  | { type: 'docs'; index: number; docs: number }
  | { type: 'done'; index: number; attempt: number; record: BatchRecord; seconds: number }
  | { type: 'retry'; index: number; attempt: number; error: string; waitMs: number }
  | { type: 'failed'; index: number; attempts: number; error: string }
  | { type: 'stopped'; reason: string };

export interface ScheduleResult {
  outcomes: BatchOutcome[];
  /** Why the run stopped launching batches early, if it did. */
  stopped: string | undefined;
  maxRunning: number;
  /** Retries made (attempts after a batch's first), across all batches. */
  retried: number;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, undefined, { signal });

const summarize = (f: Failure): AttemptSummary => ({
  exitCode: f.exitCode,
  signal: f.signal,
  timedOut: f.timedOut,
  seconds: Math.round(f.seconds * 1000) / 1000,
  error: f.error,
  stderrTail: f.stderrTail,
});

/**
 * Run the pending batches, at most `concurrency` at once. Retries happen inside the batch's slot (re-queuing into
 * the same limiter could deadlock). Every outcome is collected; nothing rejects.
 *
 * Failure policy: a batch is attempted up to retryLimit + 1 times; a permanent failure (usage, authentication,
 * missing collection, unwritable output, busy) is not retried; when its cause is shared (disk full,
 * authentication), and after `connectFailuresToStop` connection failures in a row, no new batch is launched.
 * Running batches finish either way.
 */
export async function runBatches(
  pending: readonly number[],
  launch: Launch,
  policy: SchedulePolicy,
  o: { signal: AbortSignal; onEvent?: (e: RunEvent) => void },
): Promise<ScheduleResult> {
  const limit = pLimit(policy.concurrency);
  const wait = policy.sleep ?? defaultSleep;
  const emit = o.onEvent ?? (() => {});
  let stopped: string | undefined;
  let connectFailures = 0;
  let running = 0;
  let maxRunning = 0;
  let retried = 0;

  const stop = (reason: string) => {
    if (stopped) return;
    stopped = reason;
    emit({ type: 'stopped', reason });
  };

  /** After a failed attempt: whether another one may follow. */
  const judge = (index: number, f: Failure): boolean => {
    if (f.code === 'CONNECT') {
      connectFailures++;
      if (connectFailures >= policy.connectFailuresToStop) {
        stop(
          `${connectFailures} connection failures in a row (${f.error}); stopped launching batches — rerun with --resume when the server is back`,
        );
      }
    }
    if (f.code && PERMANENT.has(f.code)) {
      // no retry can fix it; when the cause is not this batch's alone, stop launching others
      if (f.global) stop(`batch ${index}: ${f.error} (stopped launching batches)`);
      return false;
    }
    return true;
  };

  const runOne = async (index: number): Promise<BatchOutcome> => {
    const outcome: BatchOutcome = { index, status: 'not-run', attempts: [] };
    for (let attempt = 1; attempt <= policy.retryLimit + 1; attempt++) {
      if (stopped || o.signal.aborted) break;
      running++;
      maxRunning = Math.max(maxRunning, running);
      emit({ type: 'start', index, attempt });
      let r: AttemptResult;
      try {
        r = await launch(index, attempt, o.signal, (docs) => emit({ type: 'docs', index, docs }));
      } finally {
        running--;
      }
      if (r.ok) {
        connectFailures = 0;
        outcome.status = 'done';
        outcome.record = r.record;
        emit({ type: 'done', index, attempt, record: r.record, seconds: r.seconds });
        return outcome;
      }
      if (r.canceled || o.signal.aborted) return outcome;
      outcome.attempts.push(summarize(r));
      const again = judge(index, r);
      if (!again || attempt > policy.retryLimit || stopped) break;
      const waitMs = policy.backoffMs(attempt);
      retried++;
      emit({ type: 'retry', index, attempt, error: r.error, waitMs });
      try {
        await wait(waitMs, o.signal);
      } catch {
        return outcome; // interrupted while waiting
      }
    }
    if (outcome.attempts.length > 0) {
      outcome.status = 'failed';
      emit({ type: 'failed', index, attempts: outcome.attempts.length, error: outcome.attempts.at(-1)!.error });
    }
    return outcome;
  };

  const outcomes = await Promise.all(pending.map((index) => limit(() => runOne(index))));
  return { outcomes, stopped, maxRunning, retried };
}
