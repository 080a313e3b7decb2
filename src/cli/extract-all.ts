import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from './main.js';
import { intOption, nonEmpty, parseWriter, secondsOption } from './options.js';
import { planRequest, sourceOptions } from './source-options.js';
import { EXIT, usage } from '../errors.js';
import { configureLog, error, info, plural } from '../log.js';
import { registerSecrets, resolveUri } from '../uri.js';
import { connect } from '../db/connect.js';
import { quickPlan } from '../db/compute-plan.js';
import { planInWorker } from '../db/plan-worker.js';
import type { PlanFile } from '../plan/model.js';
import { readPlanIn, writePlan } from '../output/plan-store.js';
import { PLAN_FILE } from '../output/layout.js';
import { removeStaleTemps, writeFileAtomic } from '../output/atomic-file.js';
import { checkBatch, type BatchRecord } from '../output/record.js';
import { acquireLock } from '../orchestrator/lock.js';
import { assertNoStrayBatches, planMismatch, prepareDir, samePlan } from '../orchestrator/prepare.js';
import { lineProgress, ttyProgress } from '../orchestrator/progress.js';
import { runPlan } from '../orchestrator/run.js';
import { failuresOf, writeManifest, type Summary } from '../orchestrator/summary.js';

export const NAME = 'extract-all';
const SOURCE_KEYS = ['db', 'collection', 'query', 'fields', 'format', 'ejson', 'gzip', 'batch-size', 'batches', 'plan-method', 'snapshot'] as const;

export async function run(): Promise<number> {
  const a = await sourceOptions(
    cli(
      NAME,
      `$0 --db DB --collection C --out DIR [options]      (server: $MONGO_URI or --uri)

Plan the collection as _id ranges, extract each in its own extract-batch process, at most --concurrency at a time,
retry failed batches, and prove the result complete (records, manifest, count check). --resume finishes a run.`,
    ),
  )
    .option('concurrency', { alias: 'j', type: 'string', describe: `Batches at once  [default: ${availableParallelism()} (available cores)]` })
    .option('retries', { type: 'string', describe: 'Attempts after the first for a failed batch  [default: 3]' })
    .option('retry-delay', { type: 'string', describe: 'Base seconds of the exponential backoff between attempts (with jitter)  [default: 1]' })
    .option('batch-timeout', { type: 'string', describe: 'Seconds a batch may run before it is stopped and retried  [default: none]' })
    .option('grace', { type: 'string', describe: 'Seconds between SIGTERM and SIGKILL when stopping a child  [default: 5]' })
    .option('writer', { type: 'string', describe: 'fast or jsonstream: how children write (same bytes; see README)  [default: fast]' })
    .option('resume', { type: 'boolean', describe: 'Reuse the plan in --out; skip batches whose files and records check out' })
    .option('quiet', { type: 'boolean', describe: 'Print errors only' })
    .option('summary', { type: 'string', describe: 'Write the final summary as JSON to FILE, or - for stdout' })
    .parseAsync();

  configureLog({ level: a.quiet ? 'quiet' : 'normal' });
  if (a.out === undefined) throw usage('--out DIR is required');
  const dir = resolve(nonEmpty('out', a.out));
  const concurrency = intOption('concurrency', a.concurrency, 1, 1024) ?? availableParallelism();
  const retries = intOption('retries', a.retries, 0, 100) ?? 3;
  const retryDelay = a['retry-delay'] === undefined ? 1 : (secondsOption('retry-delay', a['retry-delay']) as number);
  const batchTimeout = secondsOption('batch-timeout', a['batch-timeout']);
  const graceSeconds = secondsOption('grace', a.grace) ?? 5;
  const connectTimeout = secondsOption('connect-timeout', a['connect-timeout']) ?? 15;
  const writer = parseWriter(a.writer);
  if (a.summary !== undefined) nonEmpty('summary', a.summary);
  const uri = resolveUri(a.uri);
  registerSecrets(uri);

  const aborter = new AbortController();
  let exitSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (exitSignal) process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM); // second signal: now
    exitSignal = signal;
    error(`${NAME}: ${signal}: stopping the running batches (again to exit at once)`);
    aborter.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Bad source options are usage errors before the directory is created or locked (a held lock must not hide them).
  if (!a.resume || a.db !== undefined || a.collection !== undefined) planRequest(a);
  await prepareDir(dir);
  const lock = await acquireLock(dir);
  try {
    if (lock.tookOverFrom) info(`${NAME}: took over ${dir} from a run that is gone (pid ${lock.tookOverFrom.pid})`);
    const removed = await removeStaleTemps(dir);
    if (removed > 0) info(`${NAME}: removed ${removed} temporary file(s) left by an earlier run`);

    // The plan: reuse (--resume) or compute.
    let plan = await readPlanIn(dir);
    const fresh = !plan;
    const given = SOURCE_KEYS.filter((k) => a[k] !== undefined);
    if (plan) {
      if (!a.resume) throw usage(`${dir} already holds an extraction of ${plan.source.db}.${plan.source.collection} (plan ${plan.planId}); pass --resume to finish it, or use another --out`);
      if (given.includes('db') || given.includes('collection')) {
        const req = planRequest({ ...planDefaults(plan), ...a });
        if (!samePlan(plan, req)) throw planMismatch(dir, plan, req);
      } else if (given.length > 0) {
        throw usage(`--resume takes the source and output options from ${join(dir, PLAN_FILE)}; drop --${given.join(', --')}`);
      }
      info(`${NAME}: resuming plan ${plan.planId} (${plural(plan.batches.length, 'batch', 'batches')})`);
    } else {
      await assertNoStrayBatches(dir);
      const req = planRequest(a);
      const client = await connect(uri, { connectTimeout });
      try {
        plan = await quickPlan(client, req);
      } finally {
        await client.close().catch(() => {});
      }
      // a walk of the _id index runs in a worker thread with a small young generation (memory; see plan-worker.ts)
      plan ??= await planInWorker({ uri, req, connectTimeout, signal: aborter.signal }).catch((err: unknown) => {
        if (aborter.signal.aborted) return undefined;
        throw err;
      });
      if (!plan) return exitCodeFor(exitSignal);
      await writePlan(dir, plan);
      info(`${NAME}: planned ${plural(plan.batches.length, 'batch', 'batches')} of ${plan.expectedDocs} documents of ${req.db}.${req.collection} by ${plan.method.name} in ${plan.method.seconds.toFixed(2)} s${plan.method.notes.length ? ` (${plan.method.notes.join('; ')})` : ''}`);
    }
    if (aborter.signal.aborted) return exitCodeFor(exitSignal);

    // What is already done (a resumed run): files and records that check out, sha256 included. A new plan's
    // directory holds no batch files (assertNoStrayBatches), so nothing to check.
    const records: (BatchRecord | undefined)[] = new Array(plan.batches.length);
    const pending: number[] = [];
    for (const b of plan.batches) {
      const c = fresh ? undefined : await checkBatch(dir, plan, b.index, { hash: true });
      if (c?.ok) records[b.index] = c.record;
      else pending.push(b.index);
    }
    const resumed = plan.batches.length - pending.length;
    if (resumed > 0) info(`${NAME}: ${resumed} of ${plan.batches.length} batches already done`);

    const started = performance.now();
    const progress = process.stderr.isTTY && !a.quiet ? ttyProgress() : lineProgress();
    const result = await runPlan({
      dir,
      planPath: join(dir, PLAN_FILE),
      plan,
      uri,
      pending,
      alreadyDone: resumed,
      alreadyDocs: records.reduce((n, r) => n + (r?.docs ?? 0), 0),
      concurrency,
      retries,
      retryDelay,
      batchTimeout,
      graceSeconds,
      connectTimeout,
      childArgs: ['--writer', writer],
      connectFailuresToStop: Math.max(3, Math.min(concurrency, 8)),
      signal: aborter.signal,
      progress,
    });
    progress.stop();
    for (const o of result.outcomes) if (o.record) records[o.index] = o.record;
    await removeStaleTemps(dir);
    const totals = await writeManifest(dir, plan, records);
    const interrupted = aborter.signal.aborted;
    const exitCode = interrupted ? exitCodeFor(exitSignal) : totals.complete ? EXIT.OK : EXIT.FAILED;
    const summary: Summary = {
      status: interrupted ? 'interrupted' : totals.complete ? 'complete' : 'failed',
      exitCode,
      planId: plan.planId,
      source: plan.source,
      out: dir,
      expectedDocs: plan.expectedDocs,
      docs: totals.docs,
      difference: totals.docs - plan.expectedDocs,
      bytes: totals.bytes,
      seconds: Math.round(performance.now() - started) / 1000,
      planningSeconds: plan.method.seconds,
      batches: {
        total: plan.batches.length,
        done: records.filter(Boolean).length,
        resumed,
        failed: result.outcomes.filter((o) => o.status === 'failed').length,
        notRun: result.outcomes.filter((o) => o.status === 'not-run').length,
      },
      retries: result.retries,
      maxConcurrent: result.maxRunning,
      stopped: result.stopped ?? null,
      failures: failuresOf(result.outcomes),
    };
    report(summary);
    if (a.summary === '-') process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else if (a.summary) await writeFileAtomic(resolve(a.summary), JSON.stringify(summary, null, 2) + '\n');
    return exitCode;
  } finally {
    await lock.release();
  }
}

const exitCodeFor = (signal: NodeJS.Signals | undefined): number => (signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT);

/** Options as stored in a plan, so that a --resume naming the source can be compared with it. */
function planDefaults(plan: PlanFile): Record<string, unknown> {
  return {
    query: plan.query ? JSON.stringify(plan.query) : undefined,
    fields: plan.fields ? plan.fields.join(',') : undefined,
    format: plan.output.format,
    ejson: plan.output.ejson,
    gzip: plan.output.gzip,
  };
}

function report(s: Summary): void {
  const count = s.difference === 0 ? `matches the count at plan time` : `count at plan time was ${s.expectedDocs} (difference ${s.difference > 0 ? '+' : ''}${s.difference}: documents inserted or deleted during the run?)`;
  if (s.status === 'complete') {
    info(`${NAME}: complete: ${s.docs} documents, ${s.bytes} bytes in ${plural(s.batches.total, 'batch', 'batches')}, ${s.seconds.toFixed(1)} s; ${count}`);
    return;
  }
  if (s.status === 'interrupted') {
    error(`${NAME}: interrupted: ${s.batches.done} of ${s.batches.total} batches done; finish with --resume`);
    return;
  }
  error(`${NAME}: incomplete: ${s.batches.done} of ${s.batches.total} batches done, ${s.batches.failed} failed, ${s.batches.notRun} not run${s.stopped ? ` (${s.stopped})` : ''}`);
  for (const f of s.failures) error(`  batch ${f.batch}: ${f.lastError} — rerun: ${f.rerun}`);
  error(`${NAME}: after fixing the cause, finish with: extract-all --out ${s.out} --resume`);
}

