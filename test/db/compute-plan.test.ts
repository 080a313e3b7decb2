import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Long } from 'mongodb';
import { collectionStats, computePlan, sumCollStats } from '../../src/db/compute-plan.js';
import type { PlanRequest } from '../../src/plan/model.js';
import { withDb } from '../helpers/server.js';

const tdb = withDb('compute_plan');

const request = (collection: string, more: Partial<PlanRequest> = {}): PlanRequest => ({
  source: { db: tdb.name, collection },
  query: null,
  fields: null,
  output: { format: 'json', ejson: 'relaxed', gzip: false },
  method: 'auto',
  ...more,
});

describe('sumCollStats', () => {
  test('one row: its count and average size', () => {
    assert.deepEqual(sumCollStats([{ storageStats: { count: 10, avgObjSize: 100 } }]), { count: 10, avgDocBytes: 100 });
  });

  test('one row per shard: counts add up, the average is weighted by documents', () => {
    const rows = [
      { shard: 'a', storageStats: { count: 30, avgObjSize: 100 } },
      { shard: 'b', storageStats: { count: 10, avgObjSize: 500 } },
    ];
    assert.deepEqual(sumCollStats(rows), { count: 40, avgDocBytes: 200 });
  });

  test('a Long count, an empty collection, no rows, a row without a count', () => {
    assert.deepEqual(sumCollStats([{ storageStats: { count: Long.fromNumber(7), avgObjSize: 50 } }]), {
      count: 7,
      avgDocBytes: 50,
    });
    assert.deepEqual(sumCollStats([{ storageStats: { count: 0, avgObjSize: 0 } }]), { count: 0 });
    assert.deepEqual(sumCollStats([]), {});
    assert.deepEqual(sumCollStats([{ storageStats: {} }]), {});
  });
});

describe('planning from metadata (real server)', () => {
  test('collectionStats counts the documents without reading them', async () => {
    const coll = tdb.db.collection<{ _id: number; pad: string }>('counted');
    await coll.insertMany(Array.from({ length: 1234 }, (_, i) => ({ _id: i, pad: 'x'.repeat(200) })));
    const stats = await collectionStats(tdb.db.collection('counted'));
    assert.equal(stats.count, 1234);
    assert.ok(stats.avgDocBytes !== undefined && stats.avgDocBytes >= 200, `average size ${stats.avgDocBytes}`);
  });

  test('a collection that fits one batch: one batch, expected count from metadata, no index walk', async () => {
    const plan = await computePlan(tdb.client, request('counted'));
    assert.equal(plan.method.name, 'single');
    assert.equal(plan.method.keysRead, 0);
    assert.equal(plan.expectedDocs, 1234);
    assert.equal(plan.batches.length, 1);
  });

  test('--batches 1 on a collection larger than a batch: one batch, no walk, the read through the _id index', async () => {
    const plan = await computePlan(tdb.client, request('counted', { batchSize: 500, batches: 1 }));
    assert.equal(plan.method.name, 'single');
    assert.equal(plan.method.keysRead, 0);
    assert.equal(plan.expectedDocs, 1234);
    assert.equal(plan.batches.length, 1);
    assert.deepEqual(plan.method.fits, { estimate: 1234, batchSize: 500, asked: true }); // a collection, not a view
    const two = await computePlan(tdb.client, request('counted', { batches: 2 }));
    assert.equal(two.method.keysRead, 1234);
    assert.equal(two.batches.length, 2);
  });

  test('a larger collection is walked and cut; the walk counts every key', async () => {
    const plan = await computePlan(tdb.client, request('counted', { batchSize: 500 }));
    assert.equal(plan.method.name, 'scan');
    assert.equal(plan.method.keysRead, 1234);
    assert.equal(plan.expectedDocs, 1234);
    assert.deepEqual(
      plan.batches.map((b) => b.estimatedDocs),
      [500, 500, 234],
    );
  });
});
