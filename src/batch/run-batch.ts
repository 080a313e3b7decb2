import type { Document, MongoClient } from 'mongodb';
import type { Batch } from '../plan/model.js';
import { batchFilter, projection } from '../plan/query.js';
import { EXACT_READ } from '../output/ejson.js';
import type { DocSink } from '../output/writers.js';
import { classify } from '../db/connect.js';

export interface BatchSource {
  db: string;
  collection: string;
  query: Document | null;
  fields: string[] | null;
  /** Undefined: the whole collection (narrowed by the query). */
  batch: Batch | undefined;
  /** Read at this cluster time (a BSON Timestamp): the plan's --snapshot. */
  atClusterTime?: unknown;
  /** Average document size known from planning: bounds how much one server reply holds. */
  avgDocBytes?: number;
}

/**
 * Documents per server reply for large documents: about 8 MiB of them. MongoDB caps a reply at 16 MiB anyway;
 * FerretDB sends its first 101 documents in one reply however large they are. Small documents keep the
 * driver's defaults.
 */
export function cursorBatchSize(avgDocBytes: number | undefined): number | undefined {
  const n = avgDocBytes ? Math.floor((8 << 20) / avgDocBytes) : Infinity;
  return n < 101 ? Math.max(1, n) : undefined;
}

/** Read one batch's documents into a sink. Returns how many were written; the sink is ended by the caller. */
export async function drainBatch(
  client: MongoClient,
  src: BatchSource,
  sink: DocSink,
  onProgress: (docs: number) => void = () => {},
  options: { raw?: boolean; signal?: AbortSignal } = {},
): Promise<number> {
  const { signal } = options;
  const coll = client.db(src.db).collection(src.collection);
  const proj = projection(src.fields);
  const filter = batchFilter(src.batch, src.query);
  const batchSize = cursorBatchSize(src.avgDocBytes);
  // raw: the fast writer turns BSON bytes into Extended JSON itself, so the driver does not deserialize
  const read = { ...EXACT_READ, ...(options.raw ? { raw: true } : {}) };
  const cursor =
    src.atClusterTime === undefined
      ? coll.find(filter, { ...read, ...(proj ? { projection: proj } : {}), ...(batchSize ? { batchSize } : {}) })
      : // the driver's find() has no way to name atClusterTime; the generic cursor command does
        client.db(src.db).runCursorCommand(
          { find: src.collection, filter, ...(proj ? { projection: proj } : {}), ...(batchSize ? { batchSize } : {}), readConcern: { level: 'snapshot', atClusterTime: src.atClusterTime } },
          read,
        );
  if (batchSize && src.atClusterTime !== undefined) cursor.batchSize(batchSize);
  let docs = 0;
  let sinkError: unknown;
  let lastReport = Date.now();
  try {
    for await (const doc of cursor) {
      if (signal?.aborted) throw signal.reason;
      docs++;
      if (!sink.write(doc)) await sink.drained().catch((err: unknown) => Promise.reject((sinkError = err)));
      if ((docs & 1023) === 0 && Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        onProgress(docs);
      }
    }
  } catch (err) {
    await cursor.close().catch(() => {});
    throw err === sinkError || err === signal?.reason ? err : classify(err);
  }
  return docs;
}
