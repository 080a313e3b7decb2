import { setTimeout as sleep } from 'node:timers/promises';
import type { Document, MongoClient } from 'mongodb';
import { classify, cursorGone, cursorSurvivable } from '../db/connect.js';
import { hinted, ID_HINT } from '../db/id-hint.js';
import { EXACT_READ } from '../db/read-options.js';
import { BSON } from '../driver.js';
import { ExtractError } from '../errors.js';
import type { DocSink } from '../output/writers.js';
import type { Batch, Selection } from '../plan/model.js';
import { afterFilter, batchFilter, projection } from '../plan/query.js';
import type { Throttle } from '../throttle.js';

/** What one batch reads: the selection's source, filter and fields, narrowed to the batch's `_id` range. */
export interface BatchSource {
  selection: Pick<Selection, 'source' | 'query' | 'fields'>;
  /** Undefined: the whole collection (narrowed by the query). */
  batch: Batch | undefined;
  /** Read at this cluster time (a BSON Timestamp): the plan's --snapshot. */
  atClusterTime?: unknown;
  /** Average document size known from planning: bounds how much one server reply holds. */
  avgDocBytes?: number;
  /** In `_id` order even without `_id` bounds (a batch with bounds always is). */
  sortById?: boolean;
  /** A batch without bounds of a collection: read through the `_id` index all the same (no collection scan). */
  hintId?: boolean;
  /** One ordered cursor (mongoexport's --sort, --skip, --limit), instead of `_id` order. */
  order?: { sort?: Document; skip?: number; limit?: number };
}

/**
 * Documents per server reply for large documents: about 8 MiB of them. MongoDB caps a reply at 16 MiB anyway;
 * FerretDB sends its first 101 documents in one reply however large they are. Small documents keep the
 * driver's defaults.
 */
export function cursorBatchSize(avgDocBytes: number | undefined): number | undefined {
  const n = avgDocBytes ? Math.floor((8 << 20) / avgDocBytes) : Number.POSITIVE_INFINITY;
  return n < 101 ? Math.max(1, n) : undefined;
}

export interface DrainOptions {
  /** Raw BSON documents (default): the writers turn the bytes into Extended JSON themselves. */
  raw?: boolean;
  signal?: AbortSignal;
  onProgress?: (docs: number) => void;
  /**
   * How many times a batch whose cursor dies (cursorSurvivable) opens a new one after the last `_id` written
   * (--cursor-retries; default 0: the error ends the drain). Only a range read in `_id` order can resume.
   */
  cursorRetries?: number;
  /** Called before each new cursor: the count so far and why the last one ended. */
  onResume?: (resumes: number, why: string) => void;
  /** --max-docs-per-second / --max-bytes-per-second (BSON bytes read): the reader waits when it is ahead. */
  throttle?: Throttle | undefined;
  /** The pause before a new cursor after a network error (default 250 ms doubling to 5 s); a dead cursor reopens at once. */
  resumeDelayMs?: (resumes: number) => number;
}

export interface Drained {
  docs: number;
  /** New cursors opened after the last written `_id`. */
  resumes: number;
}

/**
 * Whether a batch can go on after its last written `_id`: a range read in `_id` order. A batch of class "all" (a
 * view, or a collection that fits one batch) is read without a sort; an ordered export (--sort/--skip/--limit) is
 * not in `_id` order.
 */
export function resumable(src: BatchSource): boolean {
  return src.batch !== undefined && src.batch.class !== 'all' && !src.order;
}

/** The `_id` of a document as read (raw BSON or a document), exactly typed. */
export function idOf(doc: unknown): unknown {
  const d = doc instanceof Uint8Array ? BSON.deserialize(doc, EXACT_READ) : (doc as Document | undefined);
  return d?._id;
}

function openCursor(client: MongoClient, src: BatchSource, raw: boolean, after?: Document) {
  const { source, query, fields } = src.selection;
  const coll = client.db(source.db).collection(source.collection);
  const proj = projection(fields);
  const range = batchFilter(src.batch, query);
  const filter = after === undefined ? range : { $and: [range, after] };
  const batchSize = cursorBatchSize(src.avgDocBytes);
  const read = { ...EXACT_READ, ...(raw ? { raw: true } : {}) };
  // A range is read in _id order through the _id index: the server never sorts, and never scans outside the range.
  const ranged = src.batch !== undefined && src.batch.class !== 'all';
  const order = src.order
    ? src.order
    : ranged
      ? { sort: { _id: 1 as const }, ...ID_HINT }
      : src.sortById
        ? { sort: { _id: 1 as const }, ...(src.hintId ? ID_HINT : {}) }
        : src.hintId
          ? ID_HINT
          : {};
  const shape = { ...(proj ? { projection: proj } : {}), ...(batchSize ? { batchSize } : {}), ...order };
  if (src.atClusterTime === undefined) return coll.find(filter, { ...read, ...shape });
  // the driver's find() has no way to name atClusterTime; the generic cursor command does
  const readConcern = { level: 'snapshot', atClusterTime: src.atClusterTime };
  const cursor = client
    .db(source.db)
    .runCursorCommand({ find: source.collection, filter, ...shape, readConcern }, read);
  if (batchSize) cursor.batchSize(batchSize);
  return cursor;
}

const defaultDelay = (resumes: number): number => Math.min(5000, 250 * 2 ** (resumes - 1));

/**
 * Read one batch's documents into a sink; the sink is ended by the caller. A cursor that dies with an error a new
 * cursor survives is replaced (up to `cursorRetries` times) by one reading after the last `_id` written: the sink
 * goes on, so the file is one, with no document twice and none missing.
 */
export async function drainBatch(
  client: MongoClient,
  src: BatchSource,
  sink: DocSink,
  options: DrainOptions = {},
): Promise<Drained> {
  const { signal, onProgress, throttle } = options;
  const raw = options.raw !== false;
  const retries = resumable(src) ? (options.cursorRetries ?? 0) : 0;
  let docs = 0;
  let resumes = 0;
  let last: unknown; // the last document given to the sink
  let after: Document | undefined;
  let sinkError: unknown;
  let lastReport = Date.now();
  for (;;) {
    const cursor = openCursor(client, src, raw, after);
    try {
      for await (const doc of cursor) {
        if (signal?.aborted) throw signal.reason;
        docs++;
        last = doc;
        if (!sink.write(doc as Document))
          await sink.drained().catch((err: unknown) => Promise.reject((sinkError = err)));
        if (throttle) await throttle.take((doc as Uint8Array).byteLength ?? 0, signal);
        if ((docs & 1023) === 0 && Date.now() - lastReport >= 1000) {
          lastReport = Date.now();
          onProgress?.(docs);
        }
      }
      return { docs, resumes };
    } catch (err) {
      await cursor.close().catch(() => {});
      if (err === sinkError || err === signal?.reason) throw err;
      const e = classify(err);
      if (!cursorSurvivable(err) || retries === 0) throw e;
      if (resumes >= retries) {
        throw new ExtractError('FAILED', `${e.message} (the cursor was reopened ${resumes} times: --cursor-retries)`, {
          cause: err,
        });
      }
      if (last !== undefined) {
        // nothing can be read "after" this _id (a NaN, a regex): the whole batch restarts
        after = src.batch && afterFilter(src.batch, idOf(last));
        if (!after) throw e;
        last = undefined; // decoded once: the next document read replaces it
      }
      resumes++;
      options.onResume?.(resumes, e.message);
      const ms = cursorGone(err) ? 0 : (options.resumeDelayMs ?? defaultDelay)(resumes);
      if (ms > 0) await sleep(ms, undefined, signal ? { signal } : {});
    }
  }
}

/**
 * The server's count of what a batch reads: its `_id` range with the selection's filter (--check-counts). A range
 * alone is counted through the `_id` index (covered on MongoDB: no document is fetched); a server that refuses the
 * hint is asked again without it.
 */
export async function countBatch(client: MongoClient, src: BatchSource): Promise<number> {
  const { source, query } = src.selection;
  const filter = batchFilter(src.batch, query);
  const ranged = src.batch !== undefined && src.batch.class !== 'all';
  const readConcern =
    src.atClusterTime === undefined ? {} : { readConcern: { level: 'snapshot', atClusterTime: src.atClusterTime } };
  const db = client.db(source.db);
  const count = async (hint: typeof ID_HINT | Record<string, never>): Promise<number> => {
    const reply = await db.command(
      {
        aggregate: source.collection,
        pipeline: [{ $match: filter }, { $group: { _id: null, n: { $sum: 1 } } }],
        cursor: {},
        ...hint,
        ...readConcern,
      },
      { ...EXACT_READ, readPreference: db.readPreference }, // where the batch read (the URI's readPreference)
    );
    const first = (reply as { cursor?: { firstBatch?: { n?: unknown }[] } }).cursor?.firstBatch?.[0];
    return Number(first?.n ?? 0);
  };
  return (ranged ? hinted(count) : count({})).catch((err: unknown) => Promise.reject(classify(err)));
}
