import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { codeForExit, type ErrorCode } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import { checkBatch, type BatchRecord } from '../output/record.js';
import { backoffMs } from './backoff.js';
import { runChild, rerunCommand, type Attempt } from './child.js';
import type { Progress } from './progress.js';

export interface RunOptions {
  dir: string;
  planPath: string;
  plan: PlanFile;
  uri: string;
  /** Batches to run (others are already done). */
  pending: number[];
  alreadyDone: number;
  alreadyDocs: number;
  concurrency: number;
  retries: number;
  retryDelay: number;
  batchTimeout: number | undefined;
  graceSeconds: number;
  connectTimeout: number;
  /** More extract-batch options for every child (e.g. --writer). */
  childArgs: string[];
  /** Consecutive connection failures after which no new batch is launched. */
  connectFailuresToStop: number;
  signal: AbortSignal;
  progress: Progress;
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
  attempts: AttemptSummary[];
  record?: BatchRecord;
  rerun: string;
}

export interface RunResult {
  outcomes: BatchOutcome[];
  /** Why the run stopped launching batches early, if it did. */
  stopped: string | undefined;
  maxRunning: number;
  retries: number;
}

const PERMANENT: ReadonlySet<ErrorCode> = new Set(['USAGE', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY']);

/** Why an attempt failed, in one line. */
function describe(a: Attempt, check?: string): string {
  if (check) return `result does not check out: ${check}`;
  if (a.timedOut) return 'exceeded --batch-timeout';
  if (a.failure) return a.failure.message;
  if (a.signal) return `killed by ${a.signal}${a.signal === 'SIGKILL' ? ' (out of memory, or killed from outside)' : ''}`;
  return a.lastLine.replace(/^extract-batch: /, '') || `exit code ${a.exitCode}`;
}

/**
 * Run the pending batches, each in its own process, at most `concurrency` at once. Retries happen inside the
 * batch's slot (re-queuing into the same limiter could deadlock). Every outcome is collected; nothing rejects.
 * Failure policy: a permanent failure (usage, auth, missing collection, output) or repeated connection failures
 * stop new launches; running batches finish.
 */
export async function runPlan(o: RunOptions): Promise<RunResult> {
  const limit = pLimit(o.concurrency);
  let stopped: string | undefined;
  let connectFailures = 0;
  let running = 0;
  let maxRunning = 0;
  let retries = 0;
  let done = o.alreadyDone;
  let failed = 0;
  let docsDone = o.alreadyDocs;
  const live = new Map<number, number>();
  const update = () =>
    o.progress.update({
      total: o.plan.batches.length,
      done,
      running,
      failed,
      retries,
      docs: docsDone + [...live.values()].reduce((a, b) => a + b, 0),
      expectedDocs: o.plan.expectedDocs,
    });

  const runOne = async (index: number): Promise<BatchOutcome> => {
    const outcome: BatchOutcome = { index, status: 'not-run', attempts: [], rerun: rerunCommand(o.planPath, index) };
    for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
      if (stopped || o.signal.aborted) return outcome;
      running++;
      maxRunning = Math.max(maxRunning, running);
      live.set(index, 0);
      update();
      let a: Attempt;
      try {
        a = await runChild({
          planPath: o.planPath,
          index,
          uri: o.uri,
          connectTimeout: o.connectTimeout,
          batchTimeout: o.batchTimeout,
          graceSeconds: o.graceSeconds,
          cancelSignal: o.signal,
          extraArgs: o.childArgs,
          onProgress: (n) => {
            live.set(index, n);
            update();
          },
        });
      } finally {
        running--;
        live.delete(index);
      }
      if (a.canceled || o.signal.aborted) return outcome;
      let check: string | undefined;
      if (a.exitCode === 0 && !a.signal) {
        const c = await checkBatch(o.dir, o.plan, index, { hash: true });
        if (c.ok && (a.result === undefined || a.result.docs === c.record.docs)) {
          connectFailures = 0;
          outcome.status = 'done';
          outcome.record = c.record;
          done++;
          docsDone += c.record.docs;
          update();
          o.progress.event(`batch ${index}: ${c.record.docs} documents in ${a.seconds.toFixed(1)} s${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
          return outcome;
        }
        check = c.ok ? `the child reported ${a.result?.docs} documents, its record says ${c.record.docs}` : c.reason;
      }
      const error = describe(a, check);
      outcome.attempts.push({ exitCode: a.exitCode, signal: a.signal, timedOut: a.timedOut, seconds: Math.round(a.seconds * 1000) / 1000, error, stderrTail: a.stderrTail });
      const code = check ? 'FAILED' : codeForExit(a.exitCode);
      if (code === 'CONNECT') {
        connectFailures++;
        if (connectFailures >= o.connectFailuresToStop && !stopped) {
          stopped = `${connectFailures} connection failures in a row (${error}); stopped launching batches — rerun with --resume when the server is back`;
          o.progress.problem(`extract-all: ${stopped}`);
        }
      }
      if (code && PERMANENT.has(code)) {
        // no retry can fix it; when the cause is not this batch's alone (disk full, auth), stop launching others
        if (a.failure?.global && !stopped) {
          stopped = `batch ${index}: ${error} (stopped launching batches)`;
          o.progress.problem(`extract-all: ${stopped}`);
        }
        break;
      }
      if (attempt > o.retries || stopped || o.signal.aborted) break;
      const wait = backoffMs(attempt, o.retryDelay);
      retries++;
      o.progress.problem(`batch ${index}: attempt ${attempt} failed: ${error}; retrying in ${(wait / 1000).toFixed(1)} s`);
      update();
      try {
        await sleep(wait, undefined, { signal: o.signal });
      } catch {
        return outcome; // interrupted while waiting
      }
    }
    if (outcome.attempts.length > 0 && outcome.status !== 'done') {
      outcome.status = 'failed';
      failed++;
      update();
      o.progress.problem(`batch ${index}: failed after ${outcome.attempts.length} attempt(s): ${outcome.attempts.at(-1)?.error}`);
    }
    return outcome;
  };

  const outcomes = await Promise.all(o.pending.map((index) => limit(() => runOne(index))));
  return { outcomes, stopped, maxRunning, retries };
}
