import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { EXIT, exitForSignal, outputError } from '../errors.js';
import { plural } from '../log.js';
import { openAtomic } from '../output/atomic-file.js';
import type { Destination } from '../output/destination.js';
import { PLAN_FILE } from '../output/layout.js';
import { buildManifest } from '../output/manifest.js';
import { mergePlan, readerOf, writePieces } from '../output/merge.js';
import type { BatchRecord } from '../output/record.js';
import type { WriterName } from '../output/sink.js';
import { doneRecords } from '../output/verify.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import type { Display } from '../progress.js';
import type { Rates } from '../throttle.js';
import { backoffMs } from './backoff.js';
import { childSpec, rerunCommand } from './child.js';
import { childLauncher } from './launch.js';
import { planStep } from './planning.js';
import { bytesText, count, progressObserver } from './progress.js';
import { type RunEvent, runBatches } from './scheduler.js';
import { buildSummary, type Summary } from './summary.js';

/** How the batches of a run are run. */
export interface RunSettings {
  /** Batches at once. */
  concurrency: number;
  /** Attempts after the first for a failed batch. */
  retryLimit: number;
  /** Base seconds of the backoff between attempts. */
  retryDelay: number;
  /** Seconds a batch may run before it is stopped and retried; undefined: no limit. */
  batchTimeout: number | undefined;
  /** Seconds between SIGTERM and SIGKILL when a child is stopped. */
  graceSeconds: number;
  writer: WriterName;
  /** After each batch the server counts its range (--check-counts): 'strict' fails a batch whose counts differ. */
  checkCounts?: 'on' | 'strict';
  /** Times a batch's dying cursor is replaced by one reading after its last written `_id` (--cursor-retries). */
  cursorRetries: number;
  /** --max-docs-per-second / --max-bytes-per-second for the whole run, shared by the batches running at once. */
  throttle?: Rates;
}

export interface ExtractAllRequest extends RunSettings {
  destination: Destination;
  /** What to plan; undefined with --resume: everything comes from the destination's plan. */
  request: PlanRequest | undefined;
  /** Selection options the user named (compared with a plan that is resumed). */
  given: ReadonlySet<string>;
  resume: boolean;
  /** Export again into a destination holding an export (not with resume). */
  overwrite?: boolean;
  uri: string;
  connectTimeout: number;
  /** Once complete, put every batch file together into this one file ('-': standard output), in plan order. */
  merge?: string;
}

export interface ExtractAllDeps {
  /** Lines and phases (connect, plan, verify, run, merge), as the command shows them. */
  log: Display;
  /** Where --merge - goes (default: process.stdout). */
  stdout?: Writable;
  /** Each batch once it is done (those an earlier run finished first, in order), with the plan. */
  onBatchDone?: (plan: PlanFile, index: number, record: BatchRecord) => void;
  /** Aborted with the signal's name as its reason: stop launching, stop the children, clean up, report. */
  signal: AbortSignal;
  name: string;
}

const interruptedExit = (signal: AbortSignal): number =>
  exitForSignal(typeof signal.reason === 'string' ? signal.reason : 'SIGINT');

/**
 * A whole export: lock the destination, plan (or reuse the plan), skip what is done, run every other batch in its
 * own process, write the manifest. Undefined: interrupted before there was a plan to run.
 */
export async function extractAll(r: ExtractAllRequest, deps: ExtractAllDeps): Promise<Summary | undefined> {
  const { destination: d, log, name } = { ...r, ...deps };
  await d.prepare();
  const lock = await d.lock();
  let planned: Awaited<ReturnType<typeof planStep>>;
  try {
    if (lock.tookOverFrom)
      log.info(`${name}: took over ${d.location} from a run that is gone (pid ${lock.tookOverFrom.pid})`);
    const removed = await d.removeStale();
    if (removed > 0) log.info(`${name}: removed ${removed} temporary file(s) left by an earlier run`);
    const onRetired = (files: number, earlier: PlanFile) =>
      log.info(
        `${name}: --overwrite: the export of plan ${earlier.planId} is replaced (${files} of its records and files removed; its other batch files stay until new ones replace them)`,
      );
    // the throttle holds for planning too: the walk of the _id index reads keys at most at the documents' rate
    const keysPerSecond = r.throttle?.docs;
    const request = r.request && keysPerSecond ? { ...r.request, maxKeysPerSecond: keysPerSecond } : r.request;
    planned = await planStep({ ...r, request, signal: deps.signal, onRetired, display: log, name });
    if (!planned || deps.signal.aborted) return undefined;
    const { plan, fresh } = planned;
    if (!fresh) log.info(`${name}: resuming plan ${plan.planId} (${plural(plan.batches.length, 'batch', 'batches')})`);
    return await runPlan(r, deps, plan, fresh);
  } finally {
    await lock.release();
    // a run that failed before its plan was written leaves nothing it created
    if (!planned) await d.discardIfUnused();
  }
}

async function runPlan(r: ExtractAllRequest, deps: ExtractAllDeps, plan: PlanFile, fresh: boolean): Promise<Summary> {
  const d = r.destination;
  // A new plan's destination holds no batch files of it (the planning step refused or retired any): nothing to check.
  const records = fresh ? new Array<BatchRecord | undefined>(plan.batches.length) : await checkKept(d, plan, deps);
  const pending = plan.batches.map((b) => b.index).filter((i) => !records[i]);
  const resumed = plan.batches.length - pending.length;

  const started = performance.now();
  const planPath = d.pathOf(PLAN_FILE);
  const spec = childSpec({
    planPath,
    uri: r.uri,
    connectTimeout: r.connectTimeout,
    writer: r.writer,
    batchTimeout: r.batchTimeout,
    graceSeconds: r.graceSeconds,
    ...(r.checkCounts ? { checkCounts: r.checkCounts } : {}),
    cursorRetries: r.cursorRetries,
    ...(r.throttle ? { throttle: r.throttle } : {}),
  });
  const docsBefore = records.reduce((n, rec) => n + (rec?.docs ?? 0), 0);
  if (deps.onBatchDone)
    for (const b of plan.batches) if (records[b.index]) deps.onBatchDone(plan, b.index, records[b.index]!);
  const activity = deps.log.begin('run', `running ${plural(pending.length, 'batch', 'batches')}`, {
    batches: pending.length,
    concurrency: r.concurrency,
  });
  const observe = progressObserver(
    deps.log,
    activity,
    { total: plan.batches.length, done: resumed, docs: docsBefore, expectedDocs: plan.expectedDocs },
    deps.name,
  );
  const policy = {
    concurrency: r.concurrency,
    retryLimit: r.retryLimit,
    backoffMs: (attempt: number) => backoffMs(attempt, r.retryDelay),
    connectFailuresToStop: Math.max(3, Math.min(r.concurrency, 8)),
  };
  const onEvent = (e: RunEvent) => {
    observe(e);
    if (e.type === 'done') deps.onBatchDone?.(plan, e.index, e.record);
  };
  const result = await runBatches(pending, childLauncher(spec, d, plan), policy, { signal: deps.signal, onEvent });
  activity.end();
  for (const o of result.outcomes) if (o.record) records[o.index] = o.record;
  await d.removeStale();
  const manifest = buildManifest(plan, records);
  await d.writeManifest(manifest);
  const interrupted = deps.signal.aborted;
  const merged =
    r.merge && manifest.complete && !interrupted ? await mergeRun(r.merge, plan, d, records, deps) : undefined;
  const status = interrupted ? 'interrupted' : manifest.complete ? 'complete' : 'failed';
  const exitCode = interrupted ? interruptedExit(deps.signal) : manifest.complete ? EXIT.OK : EXIT.FAILED;
  const rerun = (index: number) => rerunCommand(planPath, index);
  const seconds = (performance.now() - started) / 1000;
  const summary = buildSummary({ status, exitCode, plan, out: d.location, manifest, seconds, resumed, result, rerun });
  return merged ? { ...summary, merged } : summary;
}

/** --merge: the batch files as one file, atomically (or on standard output). */
async function mergeRun(
  target: string,
  plan: PlanFile,
  d: Destination,
  records: readonly (BatchRecord | undefined)[],
  deps: ExtractAllDeps,
): Promise<NonNullable<Summary['merged']>> {
  const started = performance.now();
  const { pieces, compress } = mergePlan(plan, records);
  const total = records.reduce((n, rec) => n + (rec?.bytes ?? 0), 0);
  const where = target === '-' ? 'standard output' : resolve(target);
  const activity = deps.log.begin(
    'merge',
    `merging ${plural(plan.batches.length, 'batch file', 'batch files')} into ${where}`,
  );
  const onBytes = (bytes: number) =>
    activity.update(`merging into ${where} · ${bytesText(bytes)}${compress ? '' : ` of ${bytesText(total)}`}`, {
      bytes,
    });
  if (target === '-') {
    const bytes = await writePieces(pieces, readerOf(d), deps.stdout ?? process.stdout, compress, onBytes);
    activity.end(undefined, { bytes });
    return { file: '-', bytes, seconds: elapsedSince(started) };
  }
  const path = where;
  const file = await openAtomic(path);
  try {
    const stream = file.createStream();
    await writePieces(pieces, readerOf(d), stream, compress, onBytes);
    stream.end();
    await once(stream, 'finish');
    await file.commit();
  } catch (err) {
    activity.end();
    await file.abort();
    throw outputError(err, path);
  }
  const bytes = (await stat(path)).size;
  const seconds = elapsedSince(started);
  activity.end(
    `${deps.name}: merged ${plural(plan.batches.length, 'batch file', 'batch files')} into ${path} (${bytesText(bytes)} in ${seconds.toFixed(1)} s)`,
    { file: path, bytes },
  );
  return { file: path, bytes, seconds };
}

/** A resumed run checks every batch an earlier run kept (size and sha256) before it believes it. */
async function checkKept(d: Destination, plan: PlanFile, deps: ExtractAllDeps): Promise<(BatchRecord | undefined)[]> {
  const n = plan.batches.length;
  const activity = deps.log.begin('verify', `checking the batch files an earlier run kept (0 of ${count(n)})`);
  const records = await doneRecords(d, plan, (checked, done, bytes) =>
    activity.update(
      `checking kept batch files · ${count(checked)} of ${count(n)} · ${done} done · ${bytesText(bytes)} read`,
      {
        checked,
        total: n,
        done,
        bytes,
      },
    ),
  );
  const kept = records.filter(Boolean).length;
  activity.end(kept > 0 ? `${deps.name}: ${kept} of ${n} batches already done (checked: size and sha256)` : undefined);
  return records;
}

const elapsedSince = (t: number): number => Math.round(performance.now() - t) / 1000;
