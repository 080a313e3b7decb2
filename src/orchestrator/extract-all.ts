import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { EXIT, exitForSignal, outputError } from '../errors.js';
import { type Logger, plural } from '../log.js';
import { openAtomic } from '../output/atomic-file.js';
import type { Destination } from '../output/destination.js';
import { PLAN_FILE } from '../output/layout.js';
import { buildManifest } from '../output/manifest.js';
import { mergePlan, writePieces } from '../output/merge.js';
import type { BatchRecord } from '../output/record.js';
import type { WriterName } from '../output/sink.js';
import { doneRecords } from '../output/verify.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import { backoffMs } from './backoff.js';
import { childSpec, rerunCommand } from './child.js';
import { childLauncher } from './launch.js';
import { planStep } from './planning.js';
import { type Progress, progressObserver } from './progress.js';
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
}

export interface ExtractAllRequest extends RunSettings {
  destination: Destination;
  /** What to plan; undefined with --resume: everything comes from the destination's plan. */
  request: PlanRequest | undefined;
  /** Selection options the user named (compared with a plan that is resumed). */
  given: ReadonlySet<string>;
  resume: boolean;
  uri: string;
  connectTimeout: number;
  /** Once complete, put every batch file together into this one file ('-': standard output), in plan order. */
  merge?: string;
}

export interface ExtractAllDeps {
  log: Logger;
  /** Where --merge - goes (default: process.stdout). */
  stdout?: Writable;
  /** Each batch once it is done (those an earlier run finished first, in order), with the plan. */
  onBatchDone?: (plan: PlanFile, index: number, record: BatchRecord) => void;
  /** How the run is shown, made once the plan is known. */
  progress: () => Progress;
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
  try {
    if (lock.tookOverFrom)
      log.info(`${name}: took over ${d.location} from a run that is gone (pid ${lock.tookOverFrom.pid})`);
    const removed = await d.removeStale();
    if (removed > 0) log.info(`${name}: removed ${removed} temporary file(s) left by an earlier run`);
    const planned = await planStep({ ...r, signal: deps.signal });
    if (!planned || deps.signal.aborted) return undefined;
    const { plan, fresh } = planned;
    if (fresh) log.info(plannedLine(plan, name));
    else log.info(`${name}: resuming plan ${plan.planId} (${plural(plan.batches.length, 'batch', 'batches')})`);
    return await runPlan(r, deps, plan, fresh);
  } finally {
    await lock.release();
  }
}

function plannedLine(plan: PlanFile, name: string): string {
  const notes = plan.method.notes.length ? ` (${plan.method.notes.join('; ')})` : '';
  const { db, collection } = plan.source;
  return `${name}: planned ${plural(plan.batches.length, 'batch', 'batches')} of ${plan.expectedDocs} documents of ${db}.${collection} by ${plan.method.name} in ${plan.method.seconds.toFixed(2)} s${notes}`;
}

async function runPlan(r: ExtractAllRequest, deps: ExtractAllDeps, plan: PlanFile, fresh: boolean): Promise<Summary> {
  const d = r.destination;
  // A new plan's destination holds no batch files (the planning step refused any): nothing to check.
  const records = fresh ? new Array<BatchRecord | undefined>(plan.batches.length) : await doneRecords(d, plan);
  const pending = plan.batches.map((b) => b.index).filter((i) => !records[i]);
  const resumed = plan.batches.length - pending.length;
  if (resumed > 0) deps.log.info(`${deps.name}: ${resumed} of ${plan.batches.length} batches already done`);

  const started = performance.now();
  const planPath = d.pathOf(PLAN_FILE);
  const spec = childSpec({
    planPath,
    uri: r.uri,
    connectTimeout: r.connectTimeout,
    writer: r.writer,
    batchTimeout: r.batchTimeout,
    graceSeconds: r.graceSeconds,
  });
  const progress = deps.progress();
  const docsBefore = records.reduce((n, rec) => n + (rec?.docs ?? 0), 0);
  if (deps.onBatchDone)
    for (const b of plan.batches) if (records[b.index]) deps.onBatchDone(plan, b.index, records[b.index]!);
  const observe = progressObserver(
    progress,
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
  progress.stop();
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
  const { pieces, gzip } = mergePlan(plan, d.location, records);
  if (target === '-') {
    const bytes = await writePieces(pieces, deps.stdout ?? process.stdout, gzip);
    return { file: '-', bytes, seconds: elapsedSince(started) };
  }
  const path = resolve(target);
  const file = await openAtomic(path);
  try {
    const stream = file.createStream();
    await writePieces(pieces, stream, gzip);
    stream.end();
    await once(stream, 'finish');
    await file.commit();
  } catch (err) {
    await file.abort();
    throw outputError(err, path);
  }
  const bytes = (await stat(path)).size;
  deps.log.info(`${deps.name}: merged ${plan.batches.length} batch files into ${path} (${bytes} bytes)`);
  return { file: path, bytes, seconds: elapsedSince(started) };
}

const elapsedSince = (t: number): number => Math.round(performance.now() - t) / 1000;
