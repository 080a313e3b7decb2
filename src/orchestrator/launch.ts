import { codeForExit } from '../errors.js';
import type { Destination } from '../output/destination.js';
import type { PlanFile } from '../plan/model.js';
import { type Attempt, type ChildSpec, runChild } from './child.js';
import type { AttemptResult, Launch } from './scheduler.js';

/** Why an attempt failed, in one line. */
export function describeAttempt(a: Attempt, check?: string): string {
  if (check) return `result does not check out: ${check}`;
  if (a.timedOut) return 'exceeded --batch-timeout';
  if (a.failure) return a.failure.message;
  if (a.signal)
    return `killed by ${a.signal}${a.signal === 'SIGKILL' ? ' (out of memory, or killed from outside)' : ''}`;
  return a.lastLine.replace(/^extract-batch: /, '') || `exit code ${a.exitCode}`;
}

/**
 * The launcher of a run: batch K in its own process, then judged. A child's exit 0 is not believed on its word:
 * the orchestrator re-reads the batch's file and record (sha256 included) and compares the documents the child
 * reported with the record.
 */
export function childLauncher(spec: ChildSpec, destination: Destination, plan: PlanFile, run = runChild): Launch {
  return async (index, _attempt, signal, onDocs): Promise<AttemptResult> => {
    const a = await run(spec, index, signal, onDocs);
    let check: string | undefined;
    if (a.exitCode === 0 && !a.signal && !a.canceled) {
      const c = await destination.checkBatch(plan, index, { hash: true });
      if (c.ok && (a.result === undefined || a.result.docs === c.record.docs))
        return { ok: true, record: c.record, seconds: a.seconds };
      check = c.ok ? `the child reported ${a.result?.docs} documents, its record says ${c.record.docs}` : c.reason;
    }
    return {
      ok: false,
      canceled: a.canceled,
      error: describeAttempt(a, check),
      code: check ? 'FAILED' : codeForExit(a.exitCode),
      global: a.failure?.global === true,
      exitCode: a.exitCode,
      signal: a.signal,
      timedOut: a.timedOut,
      seconds: a.seconds,
      stderrTail: a.stderrTail,
    };
  };
}
