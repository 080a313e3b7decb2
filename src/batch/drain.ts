import type { Document, MongoClient } from 'mongodb';
import { classify } from '../db/connect.js';
import { EXACT_READ } from '../db/read-options.js';
import type { DocSink } from '../output/writers.js';
import type { Batch, Selection } from '../plan/model.js';
import { batchFilter, projection } from '../plan/query.js';

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
}

function openCursor(client: MongoClient, src: BatchSource, raw: boolean) {
  const { source, query, fields } = src.selection;
  const coll = client.db(source.db).collection(source.collection);
  const proj = projection(fields);
  const filter = batchFilter(src.batch, query);
  const batchSize = cursorBatchSize(src.avgDocBytes);
  const read = { ...EXACT_READ, ...(raw ? { raw: true } : {}) };
  // A range is read in _id order through the _id index: the server never sorts, and never scans outside the range.
  const ranged = src.batch !== undefined && src.batch.class !== 'all';
  const order = src.order
    ? src.order
    : ranged
      ? { sort: { _id: 1 as const }, hint: { _id: 1 } }
      : src.sortById
        ? { sort: { _id: 1 as const } }
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

/** Read one batch's documents into a sink. Returns how many were written; the sink is ended by the caller. */
export async function drainBatch(
  client: MongoClient,
  src: BatchSource,
  sink: DocSink,
  options: DrainOptions = {},
): Promise<number> {
  const { signal, onProgress } = options;
  const cursor = openCursor(client, src, options.raw !== false);
  let docs = 0;
  let sinkError: unknown;
  let lastReport = Date.now();
  try {
    for await (const doc of cursor) {
      if (signal?.aborted) throw signal.reason;
      docs++;
      if (!sink.write(doc as Document)) await sink.drained().catch((err: unknown) => Promise.reject((sinkError = err)));
      if ((docs & 1023) === 0 && Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        onProgress?.(docs);
      }
    }
  } catch (err) {
    await cursor.close().catch(() => {});
    throw err === sinkError || err === signal?.reason ? err : classify(err);
  }
  return docs;
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
  const count = async (hint: boolean): Promise<number> => {
    const reply = await db.command(
      {
        aggregate: source.collection,
        pipeline: [{ $match: filter }, { $group: { _id: null, n: { $sum: 1 } } }],
        cursor: {},
        ...(hint ? { hint: { _id: 1 } } : {}),
        ...readConcern,
      },
      { ...EXACT_READ, readPreference: db.readPreference }, // where the batch read (the URI's readPreference)
    );
    const first = (reply as { cursor?: { firstBatch?: { n?: unknown }[] } }).cursor?.firstBatch?.[0];
    return Number(first?.n ?? 0);
  };
  try {
    return await count(ranged);
  } catch (err) {
    if (!ranged || !/hint/i.test(String((err as Error)?.message))) throw classify(err);
    return count(false).catch((e: unknown) => Promise.reject(classify(e)));
  }
}
