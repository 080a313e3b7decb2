import { access, constants, stat } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { cli } from './main.js';
import { intOption, nonEmpty, parseEjson, parseFields, parseOutput, parseQuery, parseWriter, secondsOption } from './options.js';
import { resolveBatchIndex } from './batch-index.js';
import { EXIT, ExtractError, outputError, usage } from '../errors.js';
import { configureLog, info } from '../log.js';
import { registerSecrets, resolveUri } from '../uri.js';
import { connect, assertCollection } from '../db/connect.js';
import { supportedTypeAliases } from '../db/capabilities.js';
import { classOf, typeClass } from '../plan/type-classes.js';
import type { Batch, OutputOptions, PlanFile } from '../plan/model.js';
import { decodeBatch, decodeQuery, decodeSnapshot } from '../plan/plan-file.js';
import { readPlan } from '../output/plan-store.js';
import { batchPath } from '../output/layout.js';
import { openAtomic, type AtomicFile } from '../output/atomic-file.js';
import { createDocSink } from '../output/writers.js';
import { createFastSink } from '../output/fast-writer.js';
import { checkBatch, makeRecord } from '../output/record.js';
import { publishBatch } from '../output/publish.js';
import { reporterFor } from '../batch/report.js';
import { drainBatch, type BatchSource } from '../batch/run-batch.js';

export const NAME = 'extract-batch';

const MANUAL_ONLY = ['db', 'collection', 'query', 'fields', 'min', 'max', 'format', 'ejson', 'gzip', 'out'] as const;

interface Job {
  src: BatchSource;
  output: OutputOptions;
  out: string;
  plan?: { file: PlanFile; dir: string; index: number };
}

async function resolveJob(a: Record<string, unknown>): Promise<Job> {
  if (a.plan !== undefined) {
    const clash = MANUAL_ONLY.filter((o) => a[o] !== undefined);
    if (clash.length > 0) throw usage(`--plan fixes the source and the output; drop --${clash.join(', --')}`);
    const planPath = resolve(nonEmpty('plan', a.plan));
    const plan = await readPlan(planPath);
    if (plan.batches.length === 0) throw usage(`${planPath}: the plan has no batches (the collection was empty when planned)`);
    const { index, source } = resolveBatchIndex(a.batch, plan.batches.length);
    if (source !== '--batch') info(`${NAME}: batch ${index} (from ${source})`);
    const dir = dirname(planPath);
    return {
      src: {
        db: plan.source.db,
        collection: plan.source.collection,
        query: decodeQuery(plan.query),
        fields: plan.fields,
        batch: decodeBatch(plan.batches[index]!),
        ...(plan.snapshot ? { atClusterTime: decodeSnapshot(plan) } : {}),
        ...(plan.method.avgDocBytes ? { avgDocBytes: plan.method.avgDocBytes } : {}),
      },
      output: plan.output,
      out: batchPath(dir, plan, index),
      plan: { file: plan, dir, index },
    };
  }
  if (a.batch !== undefined) throw usage('--batch goes with --plan');
  if (a.out === undefined) throw usage('--out FILE (or - for stdout) is required');
  const out = nonEmpty('out', a.out);
  return {
    src: { db: nonEmpty('db', a.db), collection: nonEmpty('collection', a.collection), query: parseQuery(a.query as string | undefined), fields: parseFields(a.fields as string | undefined), batch: undefined },
    output: parseOutput(a as { format?: string; ejson?: string; gzip?: boolean }),
    out: out === '-' ? '-' : resolve(out),
  };
}

/** --min/--max by hand: both of one type class; an open side is open to the end of that class. */
function manualBatch(a: Record<string, unknown>): { min?: unknown; max?: unknown; cls: string } | undefined {
  const min = a.min === undefined ? undefined : parseEjson('min', String(a.min));
  const max = a.max === undefined ? undefined : parseEjson('max', String(a.max));
  if (min === undefined && max === undefined) return undefined;
  const cls = classOf(min !== undefined ? min : max);
  if (min !== undefined && max !== undefined && classOf(max) !== cls) {
    throw usage(`--min and --max must be of one BSON type class (got ${cls} and ${classOf(max)}): a range cannot span types`);
  }
  if (cls === 'array') throw usage('--min/--max: an _id cannot be an array');
  return { min, max, cls };
}

async function checkWritable(out: string): Promise<void> {
  if (out === '-') return;
  const dir = dirname(out);
  const st = await stat(dir).catch((err: unknown) => Promise.reject(outputError(err, out)));
  if (!st.isDirectory()) throw new ExtractError('OUTPUT', `cannot write ${out}: ${dir} is not a directory`);
  await access(dir, constants.W_OK).catch((err: unknown) => Promise.reject(outputError(err, out)));
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new ExtractError('OUTPUT', `cannot write ${out}: is a directory`);
}

let report = reporterFor(undefined);

/** Tell the orchestrator (if any) what kind of failure this is before the CLI layer prints it. */
export async function run(): Promise<number> {
  try {
    return await extract();
  } catch (err) {
    if (err instanceof ExtractError) report({ type: 'error', code: err.code, global: err.global, message: err.message });
    throw err;
  }
}

async function extract(): Promise<number> {
  const a = await cli(NAME, `$0 --uri URI --db DB --collection C [--min EJSON] [--max EJSON] --out FILE|-
$0 --plan DIR/plan.json --batch K

Extract one batch: the documents whose _id is in [--min, --max) (either side open), narrowed by --query, into one file that appears atomically. With --plan, batch K of a plan exactly as extract-all runs it.`)
    .option('uri', { type: 'string', describe: 'Connection string (default: $MONGO_URI, which keeps secrets out of argv)' })
    .option('db', { alias: 'd', type: 'string', describe: 'Database' })
    .option('collection', { alias: 'c', type: 'string', describe: 'Collection' })
    .option('min', { type: 'string', describe: 'Lowest _id, inclusive (Extended JSON, e.g. \'{"$oid":"…"}\' or 42)' })
    .option('max', { type: 'string', describe: 'Highest _id, exclusive (Extended JSON)' })
    .option('query', { alias: 'q', type: 'string', describe: 'Filter, as an Extended JSON object' })
    .option('fields', { alias: 'f', type: 'string', describe: 'Comma-separated fields to keep (_id is always kept)' })
    .option('format', { type: 'string', describe: 'json (one array per file) or ndjson (one document per line)  [default: json]' })
    .option('ejson', { type: 'string', describe: 'Extended JSON mode: relaxed or canonical (type-exact)  [default: relaxed]' })
    .option('gzip', { type: 'boolean', describe: 'Compress the file with gzip' })
    .option('out', { alias: 'o', type: 'string', describe: 'Output file, or - for stdout' })
    .option('plan', { type: 'string', describe: 'A plan.json written by extract-plan or extract-all' })
    .option('batch', { type: 'string', describe: 'Batch number in the plan (default: $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID or $AWS_BATCH_JOB_ARRAY_INDEX)' })
    .option('writer', { type: 'string', describe: 'fast (raw BSON to Extended JSON) or jsonstream (driver documents through JSONStream); same bytes  [default: fast]' })
    .option('skip-done', { type: 'boolean', describe: 'With --plan: exit 0 at once if the batch file and record already check out (for array-job engines that rerun tasks)' })
    .option('connect-timeout', { type: 'number', default: 15, describe: 'Seconds to wait for the server' })
    .option('quiet', { type: 'boolean', describe: 'Print errors only' })
    .option('report-fd', { type: 'number', hidden: true, describe: 'File descriptor for progress and result lines (used by extract-all)' })
    .parseAsync();

  configureLog({ level: a.quiet ? 'quiet' : 'normal' });
  const connectTimeout = secondsOption('connect-timeout', a['connect-timeout'])!;
  const reportFd = intOption('report-fd', a['report-fd'], 3);
  report = reporterFor(reportFd);
  const writer = parseWriter(a.writer);
  const job = await resolveJob(a as Record<string, unknown>);
  if (a['skip-done'] && !job.plan) throw usage('--skip-done goes with --plan');
  if (a['skip-done'] && job.plan) {
    const done = await checkBatch(job.plan.dir, job.plan.file, job.plan.index, { hash: true });
    if (done.ok) {
      info(`${NAME}: batch ${job.plan.index} is already done (${done.record.docs} documents, sha256 checked); skipped`);
      return EXIT.OK;
    }
  }
  const manual = job.plan ? undefined : manualBatch(a as Record<string, unknown>);
  const uri = resolveUri(a.uri);
  registerSecrets(uri);
  await checkWritable(job.out);

  const started = performance.now();
  const client = await connect(uri, { connectTimeout });
  let file: AtomicFile | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // Synchronous on purpose: whatever else is in flight, no temporary file survives the process.
    if (file) {
      try {
        unlinkSync(file.tmpPath);
      } catch {
        // already renamed or removed
      }
    }
    process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await assertCollection(client, job.src.db, job.src.collection);
    if (manual) job.src.batch = await manualToBatch(client, job.src, manual);
    file = job.out === '-' ? undefined : await openAtomic(job.out);
    const dest = file ? file.createStream() : process.stdout;
    const sink = writer === 'fast' ? createFastSink(dest, job.output) : createDocSink(dest, job.output);
    let docs: number;
    let written: { bytes: number; sha256: string };
    try {
      docs = await drainBatch(client, job.src, sink, (n) => report({ type: 'progress', docs: n }), { raw: writer === 'fast' });
      written = await sink.end();
    } catch (err) {
      sink.destroy(err as Error);
      if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(141);
      throw err instanceof ExtractError ? err : outputError(err, job.out);
    }
    const seconds = (performance.now() - started) / 1000;
    const p = job.plan;
    // With a plan, data file and record are published together under a per-batch lock: the same batch may run twice.
    if (file && p) await publishBatch(p.dir, p.file, p.index, file, () => makeRecord(p.file, p.index, { docs, ...written, seconds }));
    else if (file) await file.commit();
    report({ type: 'result', docs, ...written, seconds, file: job.out });
    info(`${NAME}: wrote ${docs} documents, ${written.bytes} bytes to ${job.out} in ${seconds.toFixed(2)} s (sha256 ${written.sha256})`);
    return EXIT.OK;
  } catch (err) {
    await file?.abort();
    throw err;
  } finally {
    await client.close().catch(() => {});
  }
}

async function manualToBatch(client: Awaited<ReturnType<typeof connect>>, src: BatchSource, m: { min?: unknown; max?: unknown; cls: string }): Promise<Batch> {
  const batch: Batch = { index: 0, class: m.cls, types: [], estimatedDocs: 0 };
  if (m.min !== undefined) batch.min = m.min;
  if (m.max !== undefined) batch.max = m.max;
  if (m.min === undefined) {
    // an open low side is bounded by $type: keep to the aliases this server knows
    const coll = client.db(src.db).collection(src.collection);
    const aliases = typeClass(m.cls).aliases;
    const any = await coll.findOne({}, { projection: { _id: 1 } });
    const ok = any ? await supportedTypeAliases(coll, aliases) : new Set<string>();
    batch.types = aliases.filter((t) => ok.has(t));
    if (batch.types.length === 0) batch.types = [typeClass(m.cls).aliases[0]!];
  }
  return batch;
}

