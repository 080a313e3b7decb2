import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePlan } from '../../src/plan/describe.js';
import type { PlanMethod } from '../../src/plan/model.js';

const method = (m: Partial<PlanMethod>): PlanMethod => ({
  name: 'scan',
  batchSize: 100_000,
  idClasses: { objectId: 1 },
  keysRead: 0,
  seconds: 0.1,
  notes: [],
  ...m,
});
const batches = (n: number) => Array.from({ length: n }, (_, index) => ({ index }) as never);

test('describePlan says how the collection was split and why, in a few words', () => {
  assert.equal(
    describePlan({
      batches: batches(1),
      expectedDocs: 50_000,
      query: null,
      method: method({ name: 'single', batchSize: 50_000, fits: { estimate: 50_000, batchSize: 100_000 } }),
    }),
    "1 batch of 50,000 documents: the collection's 50,000 fit one batch of 100,000 (--batches N splits it)",
  );
  assert.equal(
    describePlan({
      batches: batches(1),
      expectedDocs: 50_000,
      query: null,
      method: method({ name: 'single', fits: { estimate: 50_000, batchSize: 100, asked: true } }),
    }),
    '1 batch of 50,000 documents, as --batches 1 asks (no walk of the _id index)',
  );
  assert.equal(
    describePlan({ batches: batches(1), expectedDocs: 7, query: null, method: method({ name: 'single', fits: null }) }),
    '1 batch of 7 documents (a view has no _id index to split)',
  );
  assert.equal(
    describePlan({ batches: [], expectedDocs: 0, query: null, method: method({}) }),
    'no batches: the collection is empty',
  );
  assert.equal(
    describePlan({
      batches: batches(13),
      expectedDocs: 1_200_000,
      query: null,
      method: method({ keysRead: 1_200_000, idClasses: { number: 2, objectId: 1_199_998 } }),
    }),
    '13 batches of ≤ 100,000 for 1,200,000 documents (walked 1,200,000 _id keys; _id types number, objectId in separate ranges)',
  );
  assert.equal(
    describePlan({
      batches: batches(40),
      expectedDocs: 3,
      query: { a: 1 },
      method: method({ name: 'sample', keysRead: 4000 }),
    }),
    '40 batches of ~100,000 for 3 documents matching (cut at quantiles of 4,000 sampled _id keys: sizes are estimates)',
  );
});

test('describePlan: one document is singular, one scanned batch is "batch", and the sizes are rounded', () => {
  assert.equal(
    describePlan({
      batches: batches(1),
      expectedDocs: 1,
      query: null,
      method: method({ name: 'single', fits: { estimate: 1, batchSize: 100_000 } }),
    }),
    "1 batch of 1 document: the collection's 1 fit one batch of 100,000 (--batches N splits it)",
  );
  assert.equal(
    describePlan({
      batches: batches(1),
      expectedDocs: 1,
      query: { a: 1 },
      method: method({ batchSize: 1_000, keysRead: 1 }),
    }),
    '1 batch of ≤ 1,000 for 1 document matching (walked 1 _id keys)',
  );
  assert.equal(
    describePlan({
      batches: batches(2),
      expectedDocs: 2_000.4,
      query: null,
      method: method({ name: 'sample', batchSize: 1_000.6, keysRead: 40, idClasses: { number: 1, string: 1 } }),
    }),
    '2 batches of ~1,001 for 2,000 documents (cut at quantiles of 40 sampled _id keys: sizes are estimates; _id types number, string in separate ranges)',
  );
});
