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

/** One run's state: what the failure policy looks at between attempts. */
class Run {
  stopped: string | undefined;
  connectFailures = 0;
  running = 0;
  maxRunning = 0;
  retried = 0;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly emit: (e: RunEvent) => void;

  constructor(
    private readonly launch: Launch,
    private readonly policy: SchedulePolicy,
    private readonly signal: AbortSignal,
    onEvent: ((e: RunEvent) => void) | undefined,
  ) {
    this.wait = policy.sleep ?? defaultSleep;
    this.emit = onEvent ?? (() => {});
  }

  private stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.emit({ type: 'stopped', reason });
  }

  /** After a failed attempt: whether another one may follow. */
  private judge(index: number, f: Failure): boolean {
    if (f.code === 'CONNECT') {
      this.connectFailures++;
      if (this.connectFailures >= this.policy.connectFailuresToStop) {
        this.stop(
          `${this.connectFailures} connection failures in a row (${f.error}); stopped launching batches — rerun with --resume when the server is back`,
        );
      }
    }
    if (f.code && PERMANENT.has(f.code)) {
      // no retry can fix it; when the cause is not this batch's alone, stop launching others
      if (f.global) this.stop(`batch ${index}: ${f.error} (stopped launching batches)`);
      return false;
    }
    return true;
  }

  private async attempt(index: number, attempt: number): Promise<AttemptResult> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.emit({ type: 'start', index, attempt });
    try {
      return await this.launch(index, attempt, this.signal, (docs) => this.emit({ type: 'docs', index, docs }));
    } finally {
      this.running--;
    }
  }

  /** Batch `index` through its attempts, in its slot. */
  async batch(index: number): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { index, status: 'not-run', attempts: [] };
    for (let attempt = 1; attempt <= this.policy.retryLimit + 1; attempt++) {
      if (this.stopped || this.signal.aborted) break;
      const r = await this.attempt(index, attempt);
      if (r.ok) {
        this.connectFailures = 0;
        outcome.status = 'done';
        outcome.record = r.record;
        this.emit({ type: 'done', index, attempt, record: r.record, seconds: r.seconds });
        return outcome;
      }
      if (r.canceled || this.signal.aborted) return outcome;
      outcome.attempts.push(summarize(r));
      const again = this.judge(index, r);
      if (!again || attempt > this.policy.retryLimit || this.stopped) break;
      const waitMs = this.policy.backoffMs(attempt);
      this.retried++;
      this.emit({ type: 'retry', index, attempt, error: r.error, waitMs });
      try {
        await this.wait(waitMs, this.signal);
      } catch {
        return outcome; // interrupted while waiting
      }
    }
    if (outcome.attempts.length > 0) {
      outcome.status = 'failed';
      this.emit({ type: 'failed', index, attempts: outcome.attempts.length, error: outcome.attempts.at(-1)!.error });
    }
    return outcome;
  }
}

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
  const run = new Run(launch, policy, o.signal, o.onEvent);
  const outcomes = await Promise.all(pending.map((index) => limit(() => run.batch(index))));
  return { outcomes, stopped: run.stopped, maxRunning: run.maxRunning, retried: run.retried };
}
