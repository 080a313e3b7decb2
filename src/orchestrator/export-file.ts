import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { drainBatch } from '../batch/drain.js';
import { checkSelection } from '../db/check-selection.js';
import { assertCollection, connect } from '../db/connect.js';
import { ExtractError, exitForSignal, outputError } from '../errors.js';
import type { Logger } from '../log.js';
import { openAtomic } from '../output/atomic-file.js';
import { createFastSink } from '../output/fast-writer.js';
import { wholeFileFraming } from '../output/framing.js';
import { destinationAt } from '../output/local-destination.js';
import { mergePlan, readerOf, StreamedMerge, writePieces } from '../output/merge.js';
import type { BatchRecord } from '../output/record.js';
import { doneRecords } from '../output/verify.js';
import type { PlanFile, Selection } from '../plan/model.js';
import { storedSelection } from '../plan/plan-file.js';
import type { Display } from '../progress.js';
import { extractAll, type RunSettings } from './extract-all.js';

/** mpe-export: mongoexport's one file (or standard output), made by parallel batches or one ordered cursor. */
export interface ExportFileRequest extends RunSettings {
  selection: Selection;
  uri: string;
  connectTimeout: number;
  /** A file path (created with its directories, replaced atomically), or standard output. */
  target: { kind: 'file'; path: string } | { kind: 'stdout' };
  /** --sort (other than `{_id: 1}`), --skip, --limit: one ordered cursor instead of batches. */
  ordered?: { sort?: Record<string, unknown>; skip?: number; limit?: number };
  /** --assertExists: a missing collection is an error (else: no output at all, as mongoexport). */
  assertExists: boolean;
  /** Finish an export that failed, from the batches its work directory kept. */
  resume: boolean;
  /** Documents per batch (undefined: the planner's default). */
  batchSize?: number;
}

export interface ExportFileDeps {
  /** mongoexport's lines: `connected to: …`, `exported N records`, failures. */
  log: Logger;
  /** The batches' own lines (planning, each batch): shown with -v only. */
  detail: Logger;
  /** How the batches' phases show (mongoexport's progress bar). */
  display: Display;
  signal: AbortSignal;
  stdout: Writable;
  name: string;
}

export interface ExportFileResult {
  exitCode: number;
  docs: number;
}

/** Where the batches of an export live while it runs: beside the output file, or under the temp directory. */
export function workDirFor(r: Pick<ExportFileRequest, 'target' | 'selection'>): string {
  if (r.target.kind === 'file') return join(dirname(r.target.path), `.${basename(r.target.path)}.mpe-export`);
  const key = createHash('sha256')
    .update(JSON.stringify(storedSelection(r.selection)))
    .digest('hex')
    .slice(0, 12);
  return join(tmpdir(), `mpe-export-${process.getuid?.() ?? 'user'}-${key}`);
}

/** mongoexport's `connected to:` line: the URI with any user information masked as mongoexport masks it. */
export const sanitizedUri = (uri: string): string => uri.replace(/^([^:]+):\/\/[^/?]*@/, '$1://[**REDACTED**]@');

const recordsLine = (n: number): string => `exported ${n} ${n === 1 ? 'record' : 'records'}`;

export async function exportFile(r: ExportFileRequest, deps: ExportFileDeps): Promise<ExportFileResult> {
  const { db, collection } = r.selection.source;
  const client = await connect(r.uri, { connectTimeout: r.connectTimeout });
  try {
    deps.log.info(`connected to: ${sanitizedUri(r.uri)}`);
    try {
      await assertCollection(client, db, collection);
      await checkSelection(client, r.selection);
    } catch (err) {
      if (!(err instanceof ExtractError && err.code === 'NOT_FOUND') || r.assertExists) throw err;
      // mongoexport writes nothing at all for a collection that does not exist (not even `[]`), and exits 0
      if (r.target.kind === 'file') await writeWhole(r.target.path, async () => {});
      deps.log.info(recordsLine(0));
      return { exitCode: 0, docs: 0 };
    }
    if (r.ordered) return await orderedExport(r, deps, client);
  } finally {
    await client.close().catch(() => {});
  }
  return parallelExport(r, deps);
}

/** Write a file atomically (its directories created, as mongoexport creates them). */
async function writeWhole(path: string, fill: (stream: Writable) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 }).catch((err: unknown) =>
    Promise.reject(outputError(err, path)),
  );
  const file = await openAtomic(path);
  try {
    const stream = file.createStream();
    await fill(stream);
    stream.end();
    await once(stream, 'finish');
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err instanceof ExtractError ? err : outputError(err, path);
  }
}

/** --sort, --skip, --limit: one cursor, in the server's order, into the file as mongoexport lays it out. */
async function orderedExport(
  r: ExportFileRequest,
  deps: ExportFileDeps,
  client: Awaited<ReturnType<typeof connect>>,
): Promise<ExportFileResult> {
  deps.log.info(`${deps.name}: --sort/--skip/--limit: one ordered cursor (no parallel batches)`);
  let docs = 0;
  const fill = async (dest: Writable) => {
    const sink = createFastSink(dest, r.selection.output, wholeFileFraming(r.selection.output));
    const order = r.ordered as NonNullable<ExportFileRequest['ordered']> & { sort?: Record<string, 1 | -1> };
    ({ docs } = await drainBatch(client, { selection: r.selection, batch: undefined, order }, sink, {
      signal: deps.signal,
    }));
    await sink.end();
  };
  if (r.target.kind === 'file') await writeWhole(r.target.path, fill);
  else await fill(deps.stdout);
  deps.log.info(recordsLine(docs));
  return { exitCode: 0, docs };
}

/** The batches of a plan in a work directory, then one file in plan order (or streamed to stdout as they finish). */
async function parallelExport(r: ExportFileRequest, deps: ExportFileDeps): Promise<ExportFileResult> {
  const work = workDirFor(r);
  // a run that failed before left its batches here: --resume finishes it; without, start afresh (as mongoexport)
  if (!r.resume && existsSync(work)) await rm(work, { recursive: true, force: true });
  let streamed: StreamedMerge | undefined;
  const onBatchDone = (plan: PlanFile, index: number, record: BatchRecord) => {
    if (r.target.kind !== 'stdout') return;
    streamed ??= new StreamedMerge(plan, destinationAt(work), deps.stdout);
    // a failure (a closed stdout) is thrown by finish(); the run goes on meanwhile
    streamed.batchDone(index, record).catch(() => {});
  };
  const request = { ...r.selection, method: 'auto' as const, snapshot: false, batchSize: r.batchSize };
  const given = new Set(['query', 'fields', 'format', 'ejson', 'gzip', 'strict-utf8', 'layout']);
  const summary = await extractAll(
    { ...r, destination: destinationAt(work), request, given, uri: r.uri, connectTimeout: r.connectTimeout },
    { log: deps.display, signal: deps.signal, name: deps.name, onBatchDone },
  );
  if (!summary) return { exitCode: exitForSignal(String(deps.signal.reason)), docs: 0 };
  if (summary.status !== 'complete') {
    for (const f of summary.failures) deps.log.error(`Failed: batch ${f.batch}: ${f.lastError}`);
    if (summary.stopped) deps.log.error(`Failed: ${summary.stopped}`);
    deps.log.error(
      `${deps.name}: ${summary.batches.done} of ${summary.batches.total} batches are kept in ${work}: run the same command with --resume to finish`,
    );
    return { exitCode: summary.exitCode, docs: summary.docs };
  }
  if (streamed) await streamed.finish();
  else if (r.target.kind === 'stdout') {
    // nothing was streamed: a plan without batches (an empty collection)
    const d = destinationAt(work);
    const plan = (await d.readPlan())!;
    await writePieces(mergePlan(plan, []).pieces, readerOf(d), deps.stdout, false);
  } else {
    const d = destinationAt(work);
    const plan = (await d.readPlan())!;
    const records = await doneRecords(d, plan);
    const { pieces, compress } = mergePlan(plan, records);
    await writeWhole(r.target.path, async (stream) => void (await writePieces(pieces, readerOf(d), stream, compress)));
    deps.detail.info(`${deps.name}: ${r.target.path}: ${(await stat(r.target.path)).size} bytes`);
  }
  await rm(work, { recursive: true, force: true });
  deps.log.info(recordsLine(summary.docs));
  return { exitCode: 0, docs: summary.docs };
}
