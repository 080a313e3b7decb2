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
}

/** Read one batch's documents into a sink. Returns how many were written; the sink is ended by the caller. */
export async function drainBatch(
  client: MongoClient,
  src: BatchSource,
  sink: DocSink,
  onProgress: (docs: number) => void = () => {},
  signal?: AbortSignal,
): Promise<number> {
  const coll = client.db(src.db).collection(src.collection);
  const proj = projection(src.fields);
  const cursor = coll.find(batchFilter(src.batch, src.query), { ...EXACT_READ, ...(proj ? { projection: proj } : {}) });
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
