import type { Collection, Document, MongoClient } from 'mongodb';
import { MongoServerError } from '../driver.js';
import { ExtractError } from '../errors.js';
import { BatchCutter } from '../plan/cut.js';
import { type Batch, DEFAULT_BATCH_SIZE, type PlanFile, type PlanMethod, type PlanRequest } from '../plan/model.js';
import { makePlanFile } from '../plan/plan-file.js';
import { Throttle } from '../throttle.js';
import { hasSample, supportedTypeAliases } from './capabilities.js';
import { checkSelection } from './check-selection.js';
import { assertCollection, classify } from './connect.js';
import { hinted, ID_HINT } from './id-hint.js';
import { EXACT_READ } from './read-options.js';

/** Above this many documents, `auto` samples instead of walking the whole `_id` index (where the server can). */
export const SAMPLE_ABOVE = 20_000_000;

/** Keys walked between two progress reports. */
const PROGRESS_EVERY = 10_000;

export interface PlanHooks {
  /** Keys read so far (an index walk or a sample), every few thousand keys. */
  /** Keys walked (or sampled) so far, and the batches cut from them. */
  onKeys?: (keys: number, batches: number) => void;
}

/**
 * Plan a collection as `_id` ranges without reading a single document: either walk the `_id` index with a
 * covered, sorted cursor and cut every N keys (exact; works everywhere, FerretDB included), or, on servers with
 * `$sample`, sort a sample of keys and cut it at quantiles (one cheap pass for huge collections).
 */
export async function computePlan(client: MongoClient, req: PlanRequest, hooks: PlanHooks = {}): Promise<PlanFile> {
  return (await plan(client, req, hooks))!;
}

/**
 * The plan when it takes no walk (an empty collection, a view, a collection that fits one batch: metadata
 * only), or undefined when the `_id` index must be walked or sampled (in a process of its own:
 * src/orchestrator/plan-process.ts).
 */
export const quickPlan = (client: MongoClient, req: PlanRequest): Promise<PlanFile | undefined> =>
  plan(client, req, undefined);

interface Planning {
  client: MongoClient;
  req: PlanRequest;
  coll: Collection;
  started: number;
  notes: string[];
  avgDocBytes: number | undefined;
}

/**
 * Metadata first: an empty collection, a view, a collection that fits one batch need no walk. Without hooks: stop
 * where a walk would begin.
 */
async function plan(
  client: MongoClient,
  req: PlanRequest,
  hooks: PlanHooks | undefined,
): Promise<PlanFile | undefined> {
  const started = performance.now();
  try {
    const kind = await assertCollection(client, req.source.db, req.source.collection);
    await checkSelection(client, req);
    const coll = client.db(req.source.db).collection(req.source.collection);
    // Metadata only: the count for planning decisions (on FerretDB estimatedDocumentCount reads every document)
    const stats = kind === 'view' ? {} : await collectionStats(coll);
    const p: Planning = { client, req, coll, started, notes: [], avgDocBytes: stats.avgDocBytes };
    if (req.batchBytes !== undefined && kind !== 'view') {
      // --batch-bytes: documents per batch from the average BSON size (the metadata's, else measured on a sample)
      const avg = stats.avgDocBytes ?? (await sampledDocBytes(coll));
      if (avg) {
        const batchSize = Math.max(1, Math.floor(req.batchBytes / avg));
        p.avgDocBytes = avg;
        p.req = req = { ...req, batchSize };
        p.notes.push(
          `--batch-bytes ${req.batchBytes}: documents average ${avg} B of BSON${stats.avgDocBytes ? '' : ' (measured on up to 1,000 documents)'}, so ${batchSize} documents per batch`,
        );
      }
    }
    if (kind === 'view') {
      const n = await hinted((h) => coll.countDocuments(req.query ?? {}, h));
      return single(p, n, undefined, 'a view has no _id index to split: one batch');
    }
    const estimate = stats.count ?? (await coll.estimatedDocumentCount());
    const any = await hinted((h) => coll.findOne({}, { projection: { _id: 1 }, ...h, ...EXACT_READ }));
    if (!any) return emptyPlan(p);
    const atClusterTime = req.snapshot ? await snapshotTime(client, req) : undefined;
    const batchSize = req.batchSize ?? DEFAULT_BATCH_SIZE;
    const oneAsked = req.batches === 1;
    if (req.method !== 'sample' && (oneAsked || (!req.batches && estimate <= batchSize))) {
      // No walk needed: the whole collection fits one batch, or one was asked for. Without a filter the metadata
      // count is the expectation.
      const counted = req.query !== null || atClusterTime !== undefined;
      const expected = counted ? await countMatching(p, atClusterTime) : estimate;
      const why = oneAsked ? '--batches 1' : `${estimate} documents fit one batch of ${batchSize}`;
      const note = `${why}: no split${counted ? '' : ' (expected count from collection metadata)'}`;
      return single(p, expected, atClusterTime, note, {
        estimate,
        batchSize,
        ...(oneAsked ? { asked: true as const } : {}),
      });
    }
    if (!hooks) return undefined;
    return await cutPlan(p, estimate, atClusterTime, hooks);
  } catch (err) {
    throw classify(err);
  }
}

const elapsed = (since: number): number => Math.round(performance.now() - since) / 1000;

/** One batch without `_id` bounds: nothing to split (a view has no _id index), or nothing worth splitting. */
function single(
  p: Planning,
  expectedDocs: number,
  atClusterTime: unknown,
  note: string,
  fits?: { estimate: number; batchSize: number; asked?: true },
): PlanFile {
  p.notes.push(note);
  const method: PlanMethod = {
    name: 'single',
    batchSize: expectedDocs,
    idClasses: {},
    keysRead: 0,
    ...(fits ? { fits } : { fits: null }),
    ...(p.avgDocBytes ? { avgDocBytes: p.avgDocBytes } : {}),
    seconds: elapsed(p.started),
    notes: p.notes,
  };
  const batches: Batch[] = [{ index: 0, class: 'all', types: [], estimatedDocs: expectedDocs }];
  return makePlanFile({
    ...p.req,
    expectedDocs,
    method,
    batches,
    ...(atClusterTime !== undefined ? { atClusterTime } : {}),
  });
}

function emptyPlan(p: Planning): PlanFile {
  const method: PlanMethod = {
    name: 'scan',
    batchSize: p.req.batchSize ?? DEFAULT_BATCH_SIZE,
    idClasses: {},
    keysRead: 0,
    seconds: elapsed(p.started),
    notes: ['empty collection: no batches'],
  };
  return makePlanFile({ ...p.req, expectedDocs: 0, method, batches: [] });
}

const RARE_ALIASES = [
  'decimal',
  'symbol',
  'undefined',
  'dbPointer',
  'javascript',
  'javascriptWithScope',
  'minKey',
  'maxKey',
];

/** Walk or sample the `_id` index and cut it into batches. */
async function cutPlan(p: Planning, estimate: number, atClusterTime: unknown, hooks: PlanHooks): Promise<PlanFile> {
  const { req, coll } = p;
  const supported = await supportedTypeAliases(coll);
  if (supported.size < 20) {
    const lacks = RARE_ALIASES.filter((a) => !supported.has(a));
    p.notes.push(`server lacks $type aliases: ${lacks.join(', ')} (it cannot store those types)`);
  }
  const batchSize = req.batches
    ? Math.max(1, Math.ceil(estimate / req.batches))
    : (req.batchSize ?? DEFAULT_BATCH_SIZE);
  const name = await methodFor(p, estimate);
  const cutter =
    name === 'scan'
      ? await walkIndex(p, new BatchCutter(batchSize, (a) => supported.has(a)), atClusterTime, hooks)
      : await sampleIndex(p, estimate, batchSize, (a) => supported.has(a), hooks);
  const { batches, idClasses } = cutter.finish();
  if (Object.keys(idClasses).length > 1) {
    p.notes.push(`mixed _id types (${Object.keys(idClasses).join(', ')}): separate ranges per type`);
  }
  // Without a filter an index walk has counted every key, and a sampled plan (a collection too large to walk)
  // takes the collection's metadata count rather than count every document; otherwise the server counts.
  let expectedDocs: number;
  if (!req.query && name === 'scan') expectedDocs = cutter.keys;
  else if (!req.query && atClusterTime === undefined) {
    expectedDocs = estimate;
    p.notes.push('expected count from collection metadata (estimatedDocumentCount)');
  } else expectedDocs = await countMatching(p, atClusterTime);
  const method: PlanMethod = {
    name,
    batchSize,
    idClasses,
    keysRead: cutter.keys,
    ...(p.avgDocBytes ? { avgDocBytes: p.avgDocBytes } : {}),
    seconds: elapsed(p.started),
    notes: p.notes,
  };
  const snapshot = atClusterTime !== undefined ? { atClusterTime } : {};
  return makePlanFile({ ...req, expectedDocs, method, batches, ...snapshot });
}

async function methodFor(p: Planning, estimate: number): Promise<'scan' | 'sample'> {
  if (p.req.method === 'sample') {
    if (!(await hasSample(p.coll))) {
      throw new ExtractError(
        'USAGE',
        '--plan-method sample: this server does not support $sample; use --plan-method scan',
      );
    }
    return 'sample';
  }
  if (p.req.method === 'auto' && estimate > SAMPLE_ABOVE) {
    if (await hasSample(p.coll)) return 'sample';
    p.notes.push('server has no $sample: walked the _id index instead');
  }
  return 'scan';
}

/** Every key of the `_id` index in order, through a covered cursor (no document is read). */
async function walkIndex(
  p: Planning,
  cutter: BatchCutter,
  atClusterTime: unknown,
  hooks: PlanHooks,
): Promise<BatchCutter> {
  const { req } = p;
  const walk = { projection: { _id: 1 }, sort: { _id: 1 as const }, hint: { _id: 1 } };
  const keys =
    atClusterTime === undefined
      ? p.coll.find({}, { ...walk, batchSize: 1000, ...EXACT_READ })
      : p.client.db(req.source.db).runCursorCommand(
          {
            find: req.source.collection,
            filter: {},
            ...walk,
            batchSize: 10_000,
            readConcern: { level: 'snapshot', atClusterTime },
          },
          EXACT_READ,
        );
  const throttle = req.maxKeysPerSecond ? new Throttle({ docs: req.maxKeysPerSecond }) : undefined;
  for await (const doc of keys) {
    if (throttle) await throttle.take(0);
    cutter.push(doc._id);
    if (cutter.keys % PROGRESS_EVERY === 0) hooks.onKeys?.(cutter.keys, cutter.cut);
  }
  return cutter;
}

/** A sorted `$sample` of keys, each standing for estimate / sample-size documents. */
async function sampleIndex(
  p: Planning,
  estimate: number,
  batchSize: number,
  supported: (alias: string) => boolean,
  hooks: PlanHooks,
): Promise<BatchCutter> {
  const batches = Math.max(1, Math.ceil(estimate / batchSize));
  const size = Math.max(1, Math.min(Math.max(100 * batches, 1000), Math.floor(estimate * 0.05) || 1));
  const cutter = new BatchCutter(batchSize, supported, estimate / size);
  const pipeline = [{ $sample: { size } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }];
  for await (const doc of p.coll.aggregate(pipeline, { ...EXACT_READ, allowDiskUse: true })) {
    cutter.push(doc._id);
    if (cutter.keys % PROGRESS_EVERY === 0) hooks.onKeys?.(cutter.keys, cutter.cut);
  }
  p.notes.push(`sampled ${cutter.keys} keys of about ${estimate}; batch sizes are estimates`);
  return cutter;
}

/**
 * The cluster time every batch of a --snapshot plan reads at: the server names it in its first snapshot read.
 * Servers without snapshot reads (standalone mongod, FerretDB) are refused with a clear error.
 */
async function snapshotTime(client: MongoClient, req: PlanRequest): Promise<unknown> {
  const why = 'needs snapshot reads: MongoDB 5.0+ as a replica set or sharded cluster';
  let res: Document;
  try {
    const { db, collection } = req.source;
    res = await client.db(db).command({
      find: collection,
      filter: {},
      projection: { _id: 1 },
      limit: 1,
      ...ID_HINT,
      readConcern: { level: 'snapshot' },
    });
  } catch (err) {
    if (err instanceof MongoServerError) {
      throw new ExtractError(
        'USAGE',
        `--snapshot: this server refused a snapshot read (${err.message}); --snapshot ${why}`,
      );
    }
    throw err;
  }
  const t = (res.cursor as Document | undefined)?.atClusterTime;
  if (t === undefined) {
    throw new ExtractError(
      'USAGE',
      `--snapshot: this server does not read at a point in time (no atClusterTime in its reply); --snapshot ${why}`,
    );
  }
  return t;
}

async function countMatching(p: Planning, atClusterTime: unknown): Promise<number> {
  const { req } = p;
  if (atClusterTime === undefined) return hinted((h) => p.coll.countDocuments(req.query ?? {}, h));
  return hinted(async (h) => {
    const cursor = p.client.db(req.source.db).runCursorCommand({
      aggregate: req.source.collection,
      pipeline: [{ $match: req.query ?? {} }, { $group: { _id: null, n: { $sum: 1 } } }],
      cursor: {},
      ...h,
      readConcern: { level: 'snapshot', atClusterTime },
    });
    const [row] = await cursor.toArray();
    return Number(row?.n ?? 0);
  });
}

/**
 * The collection's document count and average document size from its metadata ($collStats: no document is
 * read). Empty where $collStats is not allowed (missing privileges, some collection kinds): the caller falls
 * back to estimatedDocumentCount, which on FerretDB reads every document.
 */
/** The average BSON size of up to 1,000 documents, read as they are stored; undefined for an empty collection. */
async function sampledDocBytes(coll: Collection): Promise<number | undefined> {
  let n = 0;
  let bytes = 0;
  for await (const raw of coll.find({}, { raw: true, limit: 1000, batchSize: 1000, ...ID_HINT, ...EXACT_READ })) {
    n++;
    bytes += (raw as unknown as Uint8Array).byteLength;
  }
  return n > 0 ? Math.round(bytes / n) : undefined;
}

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
