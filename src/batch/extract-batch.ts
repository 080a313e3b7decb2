import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { MongoClient } from 'mongodb';
import { checkSelection } from '../db/check-selection.js';
import { assertCollection, connectShown } from '../db/connect.js';
import { ExtractError, outputError } from '../errors.js';
import type { Logger } from '../log.js';
import { openAtomic } from '../output/atomic-file.js';
import type { Written } from '../output/destination.js';
import { makeRecord } from '../output/record.js';
import { createSink, type WriterName } from '../output/sink.js';
import type { Batch } from '../plan/model.js';
import { displayFor } from '../progress.js';
import type { Throttle } from '../throttle.js';
import { countBatch, drainBatch } from './drain.js';
import { type BatchJob, type BatchRequest, isPlanned, resolveJob, resolveRange } from './job.js';
import type { Reporter } from './report.js';

export interface BatchDeps {
  /** The connection string, asked for only when the batch must be read. */
  uri: () => string;
  connectTimeout: number;
  writer: WriterName;
  /** The orchestrator's channel (progress, result, error), or a reporter that drops everything. */
  report: Reporter;
  log: Logger;
  /** Aborted: the temporary file is removed at once (synchronously) and the batch rejects. */
  signal: AbortSignal;
  /** Where an abort that cannot finish synchronously (an S3 upload) leaves its promise, for the exit to await. */
  settling?: Set<Promise<unknown>>;
  /** A planned batch: once written, the server counts its range ('strict': a different count fails the batch). */
  checkCounts?: 'on' | 'strict' | undefined;
  /** Times a dying cursor is replaced by one reading after the last written `_id` (--cursor-retries). */
  cursorRetries: number;
  /** --max-docs-per-second / --max-bytes-per-second: this batch's limit (its share of a run's). */
  throttle?: Throttle | undefined;
  stdout: Writable;
  env: NodeJS.ProcessEnv;
  /** The command's name, for messages. */
  name: string;
}

export interface BatchResult extends Written {
  /** true: --skip-done found the batch done; nothing was read. */
  skipped: boolean;
  docs: number;
  seconds: number;
  /** Where the data went ('-' for standard output). */
  file: string;
  /** The plan's batch number, for a planned batch. */
  batch?: number;
  /** New cursors opened after the last written `_id` (absent when none was). */
  cursorResumes?: number;
}

/** One batch: resolve it, connect, read its documents into its file (or stdout) and publish it with its record. */
export async function extractBatch(request: BatchRequest, deps: BatchDeps): Promise<BatchResult> {
  const job = await resolveJob(request, deps.env, deps.log, deps.name);
  const done = isPlanned(request) && request.skipDone ? await doneAlready(job) : undefined;
  if (done) return done;
  const uri = deps.uri();
  if (job.target.kind === 'file') await checkWritable(job.target.path);
  if (job.target.kind === 'plan') await job.target.destination.prepare();
  const started = performance.now();
  const client = await connectShown(displayFor(deps.log), uri, deps.connectTimeout);
  try {
    const { source } = job.source.selection;
    await assertCollection(client, source.db, source.collection);
    // a planned batch's filter was checked when it was planned; a hand-given one is checked here
    if (!isPlanned(request)) await checkSelection(client, job.source.selection);
    const batch = await resolveRange(client, job);
    const out = await openTarget(job, deps);
    const onAbort = () => {
      const pending = out.abortNow();
      if (pending) deps.settling?.add(pending);
    };
    deps.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const { docs, written, serverCount, resumes } = await writeBatch(client, job, batch, out.stream, deps);
      const seconds = (performance.now() - started) / 1000;
      const resumed = resumes > 0 ? { cursorResumes: resumes } : {};
      const counted = serverCount !== undefined ? { serverCount } : {};
      await out.publish({ docs, ...written, seconds, ...counted, ...resumed });
      const planned = job.target.kind === 'plan' ? { batch: job.target.index } : {};
      return { skipped: false, docs, ...written, seconds, file: job.label, ...planned, ...resumed };
    } catch (err) {
      await out.abort();
      throw err;
    } finally {
      deps.signal.removeEventListener('abort', onAbort);
    }
  } finally {
    await client.close().catch(() => {});
  }
}

/** --skip-done: the planned batch's result when its file and record already check out (sha256 included). */
async function doneAlready(job: BatchJob): Promise<BatchResult | undefined> {
  if (job.target.kind !== 'plan') return undefined;
  const { destination, plan, index } = job.target;
  const done = await destination.checkBatch(plan, index, { hash: true });
  if (!done.ok) return undefined;
  const { docs, bytes, sha256 } = done.record;
  const invalidUtf8 = done.record.invalidUtf8 ?? 0;
  return { skipped: true, docs, bytes, sha256, invalidUtf8, seconds: 0, file: job.label, batch: index };
}

interface Drained {
  docs: number;
  written: Written;
  /** --check-counts: the server's count of the range once the batch was written. */
  serverCount: number | undefined;
  resumes: number;
}

/** Drain the range into `stream` through the sink, end it, and with --check-counts have the server count the range. */
async function writeBatch(
  client: MongoClient,
  job: BatchJob,
  batch: Batch | undefined,
  stream: Writable,
  deps: BatchDeps,
): Promise<Drained> {
  const sink = createSink(deps.writer, stream, job.output);
  try {
    const onResume = (n: number, why: string) => {
      deps.report({ type: 'resume', resumes: n, reason: why });
      deps.log.info(
        `${job.label}: ${why}; reading on after the last written _id (${n} of --cursor-retries ${deps.cursorRetries})`,
      );
    };
    const drain = {
      signal: deps.signal,
      onProgress: (n: number) => deps.report({ type: 'progress', docs: n }),
      onResume,
      cursorRetries: deps.cursorRetries,
      throttle: deps.throttle,
    };
    const { docs, resumes } = await drainBatch(client, { ...job.source, batch }, sink, drain);
    const written = await sink.end();
    let serverCount: number | undefined;
    if (deps.checkCounts && job.target.kind === 'plan') {
      serverCount = await countBatch(client, { ...job.source, batch });
      if (serverCount !== docs && deps.checkCounts === 'strict') {
        throw new ExtractError(
          'FAILED',
          `batch ${job.target.index}: wrote ${docs} documents and the server now counts ${serverCount} in its range (--check-counts strict; live writes explain it)`,
        );
      }
    }
    return { docs, written, serverCount, resumes };
  } catch (err) {
    sink.destroy(err as Error);
    throw err instanceof ExtractError || (err as NodeJS.ErrnoException)?.code === 'EPIPE'
      ? err
      : outputError(err, job.label);
  }
}

interface OpenTarget {
  stream: Writable;
  publish(r: {
    docs: number;
    bytes: number;
    sha256: string;
    seconds: number;
    invalidUtf8: number;
    serverCount?: number;
    cursorResumes?: number;
  }): Promise<void>;
  abort(): Promise<void>;
  abortNow(): void | Promise<void>;
}

/** The stream a batch writes into, and how it is published: a plan's batch file, a file by hand, or stdout. */
async function openTarget(job: BatchJob, deps: BatchDeps): Promise<OpenTarget> {
  const t = job.target;
  if (t.kind === 'stdout') {
    return { stream: deps.stdout, publish: async () => {}, abort: async () => {}, abortNow: () => {} };
  }
  if (t.kind === 'plan') {
    const w = await t.destination.openBatch(t.plan, t.index);
    return {
      stream: w.stream,
      publish: (r) => w.publish(() => makeRecord(t.plan, t.index, r)),
      abort: () => w.abort(),
      abortNow: () => w.abortNow(),
    };
  }
  const file = await openAtomic(t.path);
  return {
    stream: file.createStream(),
    publish: () => file.commit(),
    abort: () => file.abort(),
    abortNow: () => file.abortNow(),
  };
}

async function checkWritable(out: string): Promise<void> {
  const dir = dirname(out);
  const st = await stat(dir).catch((err: unknown) => Promise.reject(outputError(err, out)));
  if (!st.isDirectory()) throw new ExtractError('OUTPUT', `cannot write ${out}: ${dir} is not a directory`);
  await access(dir, constants.W_OK).catch((err: unknown) => Promise.reject(outputError(err, out)));
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new ExtractError('OUTPUT', `cannot write ${out}: is a directory`);
}
