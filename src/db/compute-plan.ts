import { MongoServerError, type Collection, type Document, type MongoClient } from 'mongodb';
import { ExtractError } from '../errors.js';
import { BatchCutter } from '../plan/cut.js';
import type { Batch, OutputOptions, PlanFile, PlanMethod } from '../plan/model.js';
import { makePlanFile } from '../plan/plan-file.js';
import { EXACT_READ } from '../output/ejson.js';
import { assertCollection, classify } from './connect.js';
import { hasSample, supportedTypeAliases } from './capabilities.js';

export const DEFAULT_BATCH_SIZE = 100_000;
/** Above this many documents, `auto` samples instead of walking the whole `_id` index (where the server can). */
export const SAMPLE_ABOVE = 20_000_000;

export type PlanMethodName = 'auto' | 'scan' | 'sample';

export interface PlanRequest {
  db: string;
  collection: string;
  query: Document | null;
  fields: string[] | null;
  output: OutputOptions;
  batchSize?: number | undefined;
  batches?: number | undefined;
  method: PlanMethodName;
  /** Read every batch at one cluster time (MongoDB replica sets and sharded clusters). */
  snapshot?: boolean;
}

/**
 * Plan a collection as `_id` ranges without reading a single document: either walk the `_id` index with a
 * covered, sorted cursor and cut every N keys (exact; works everywhere, FerretDB included), or, on servers with
 * `$sample`, sort a sample of keys and cut it at quantiles (one cheap pass for huge collections).
 */
export async function computePlan(client: MongoClient, req: PlanRequest): Promise<PlanFile> {
  return (await plan(client, req, true))!;
}

/**
 * The plan when it takes no walk (an empty collection, a view, a collection that fits one batch: metadata
 * only), or undefined when the `_id` index must be walked or sampled (see src/db/plan-worker.ts).
 */
export const quickPlan = (client: MongoClient, req: PlanRequest): Promise<PlanFile | undefined> => plan(client, req, false);

async function plan(client: MongoClient, req: PlanRequest, walk: boolean): Promise<PlanFile | undefined> {
  const started = performance.now();
  const kind = await assertCollection(client, req.db, req.collection);
  const coll = client.db(req.db).collection(req.collection);
  const notes: string[] = [];
  try {
    // One batch without _id bounds: nothing to split (a view has no _id index), or nothing worth splitting.
    // Metadata only: the count for planning decisions (on FerretDB estimatedDocumentCount reads every document)
    const stats = kind === 'view' ? {} : await collectionStats(coll);
    const avgDocBytes = stats.avgDocBytes;
    const single = async (expectedDocs: number, atClusterTime: unknown, note: string): Promise<PlanFile> => {
      notes.push(note);
      const method: PlanMethod = { name: 'single', batchSize: expectedDocs, idClasses: {}, keysRead: 0, ...(avgDocBytes ? { avgDocBytes } : {}), seconds: elapsed(started), notes };
      const batches: Batch[] = [{ index: 0, class: 'all', types: [], estimatedDocs: expectedDocs }];
      return makePlanFile({ ...source(req), expectedDocs, method, batches, ...(atClusterTime !== undefined ? { atClusterTime } : {}) });
    };
    if (kind === 'view') return single(await coll.countDocuments(req.query ?? {}), undefined, 'a view has no _id index to split: one batch');
    const estimate = stats.count ?? (await coll.estimatedDocumentCount());
    const any = await coll.findOne({}, { projection: { _id: 1 }, ...EXACT_READ });
    if (!any) {
      const method: PlanMethod = { name: 'scan', batchSize: req.batchSize ?? DEFAULT_BATCH_SIZE, idClasses: {}, keysRead: 0, seconds: elapsed(started), notes: ['empty collection: no batches'] };
      return makePlanFile({ ...source(req), expectedDocs: 0, method, batches: [] });
    }
    const atClusterTime = req.snapshot ? await snapshotTime(client, req) : undefined;
    if (req.method !== 'sample' && !req.batches && estimate <= (req.batchSize ?? DEFAULT_BATCH_SIZE)) {
      // No walk needed: the whole collection fits one batch. Without a filter the metadata count is the expectation.
      const expected = req.query || atClusterTime !== undefined ? await countMatching(client, coll, req, atClusterTime) : estimate;
      return single(expected, atClusterTime, `${estimate} documents fit one batch of ${req.batchSize ?? DEFAULT_BATCH_SIZE}: no split${req.query || atClusterTime !== undefined ? '' : ' (expected count from collection metadata)'}`);
    }
    if (!walk) return undefined;
    const supported = await supportedTypeAliases(coll);
    if (supported.size < 20) notes.push(`server lacks $type aliases: ${['decimal', 'symbol', 'undefined', 'dbPointer', 'javascript', 'javascriptWithScope', 'minKey', 'maxKey'].filter((a) => !supported.has(a)).join(', ')} (it cannot store those types)`);
    const batchSize = req.batches ? Math.max(1, Math.ceil(estimate / req.batches)) : (req.batchSize ?? DEFAULT_BATCH_SIZE);

    let name: 'scan' | 'sample' = req.method === 'sample' ? 'sample' : 'scan';
    if (req.method === 'auto' && estimate > SAMPLE_ABOVE) {
      if (await hasSample(coll)) name = 'sample';
      else notes.push('server has no $sample: walked the _id index instead');
    }
    if (name === 'sample' && !(await hasSample(coll))) {
      throw new ExtractError('USAGE', '--plan-method sample: this server does not support $sample; use --plan-method scan');
    }

    let cutter: BatchCutter;
    if (name === 'scan') {
      cutter = new BatchCutter(batchSize, (a) => supported.has(a));
      const keys =
        atClusterTime === undefined
          ? coll.find({}, { projection: { _id: 1 }, sort: { _id: 1 }, hint: { _id: 1 }, batchSize: 1000, ...EXACT_READ })
          : client.db(req.db).runCursorCommand({ find: req.collection, filter: {}, projection: { _id: 1 }, sort: { _id: 1 }, hint: { _id: 1 }, batchSize: 10_000, readConcern: { level: 'snapshot', atClusterTime } }, EXACT_READ);
      for await (const doc of keys) cutter.push(doc._id);
    } else {
      const batches = Math.max(1, Math.ceil(estimate / batchSize));
      const size = Math.max(1, Math.min(Math.max(100 * batches, 1000), Math.floor(estimate * 0.05) || 1));
      cutter = new BatchCutter(batchSize, (a) => supported.has(a), estimate / size);
      const keys = coll.aggregate([{ $sample: { size } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }], { ...EXACT_READ, allowDiskUse: true });
      for await (const doc of keys) cutter.push(doc._id);
      notes.push(`sampled ${cutter.keys} keys of about ${estimate}; batch sizes are estimates`);
    }
    const { batches, idClasses } = cutter.finish();
    if (Object.keys(idClasses).length > 1) notes.push(`mixed _id types (${Object.keys(idClasses).join(', ')}): separate ranges per type`);
    // Without a filter an index walk has counted every key, and a sampled plan (a collection too large to walk)
    // takes the collection's metadata count rather than count every document; otherwise the server counts.
    let expectedDocs: number;
    if (!req.query && name === 'scan') expectedDocs = cutter.keys;
    else if (!req.query && atClusterTime === undefined) {
      expectedDocs = estimate;
      notes.push('expected count from collection metadata (estimatedDocumentCount)');
    } else expectedDocs = await countMatching(client, coll, req, atClusterTime);
    const method: PlanMethod = { name, batchSize, idClasses, keysRead: cutter.keys, ...(avgDocBytes ? { avgDocBytes } : {}), seconds: elapsed(started), notes };
    return makePlanFile({ ...source(req), expectedDocs, method, batches, ...(atClusterTime !== undefined ? { atClusterTime } : {}) });
  } catch (err) {
    throw classify(err);
  }
}

/**
 * The cluster time every batch of a --snapshot plan reads at: the server names it in its first snapshot read.
 * Servers without snapshot reads (standalone mongod, FerretDB) are refused with a clear error.
 */
async function snapshotTime(client: MongoClient, req: PlanRequest): Promise<unknown> {
  const why = 'needs snapshot reads: MongoDB 5.0+ as a replica set or sharded cluster';
  let res: Document;
  try {
    res = await client.db(req.db).command({ find: req.collection, filter: {}, projection: { _id: 1 }, limit: 1, readConcern: { level: 'snapshot' } });
  } catch (err) {
    if (err instanceof MongoServerError) throw new ExtractError('USAGE', `--snapshot: this server refused a snapshot read (${err.message}); --snapshot ${why}`);
    throw err;
  }
  const t = (res.cursor as Document | undefined)?.atClusterTime;
  if (t === undefined) throw new ExtractError('USAGE', `--snapshot: this server does not read at a point in time (no atClusterTime in its reply); --snapshot ${why}`);
  return t;
}

async function countMatching(client: MongoClient, coll: Collection, req: PlanRequest, atClusterTime: unknown): Promise<number> {
  if (atClusterTime === undefined) return coll.countDocuments(req.query ?? {});
  const cursor = client.db(req.db).runCursorCommand({
    aggregate: req.collection,
    pipeline: [{ $match: req.query ?? {} }, { $group: { _id: null, n: { $sum: 1 } } }],
    cursor: {},
    readConcern: { level: 'snapshot', atClusterTime },
  });
  const [row] = await cursor.toArray();
  return Number(row?.n ?? 0);
}

/**
 * The collection's document count and average document size from its metadata ($collStats: no document is
 * read). Empty where $collStats is not allowed (missing privileges, some collection kinds): the caller falls
 * back to estimatedDocumentCount, which on FerretDB reads every document.
 */
export async function collectionStats(coll: Collection): Promise<CollectionStats> {
  try {
    return sumCollStats(await coll.aggregate([{ $collStats: { storageStats: {} } }]).toArray());
  } catch {
    return {};
  }
}

export interface CollectionStats {
  count?: number;
  avgDocBytes?: number;
}

/** $collStats rows (one per shard on a sharded collection) → one count and a document-weighted average size. */
export function sumCollStats(rows: readonly Document[]): CollectionStats {
  if (rows.length === 0) return {};
  let count = 0;
  let bytes = 0;
  for (const row of rows) {
    const s = (row.storageStats ?? {}) as Document;
    const n = Number(s.count);
    const avg = Number(s.avgObjSize);
    if (!Number.isSafeInteger(n) || n < 0) return {};
    count += n;
    if (Number.isFinite(avg) && avg > 0) bytes += avg * n;
  }
  return { count, ...(count > 0 && bytes > 0 ? { avgDocBytes: Math.round(bytes / count) } : {}) };
}

const elapsed = (since: number): number => Math.round(performance.now() - since) / 1000;

const source = (req: PlanRequest) => ({
  source: { db: req.db, collection: req.collection },
  query: req.query,
  fields: req.fields,
  output: req.output,
});
