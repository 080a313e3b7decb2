import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { parseFields } from '../../src/options/values.js';
import type { Batch } from '../../src/plan/model.js';
import { afterFilter, batchFilter, idCondition, projection } from '../../src/plan/query.js';

const { Int32, Long, ObjectId } = BSON;

const NUMBER_TYPES = ['double', 'int', 'long', 'decimal'];
const batch = (min?: unknown, max?: unknown, types: string[] = NUMBER_TYPES): Batch => {
  const b: Batch = { index: 7, class: 'number', types, estimatedDocs: 0 };
  if (min !== undefined) b.min = min;
  if (max !== undefined) b.max = max;
  return b;
};

describe('idCondition', () => {
  test("closed on both sides: $gte min, $lt max (range operators keep to the bounds' type class)", () => {
    assert.deepEqual(idCondition(batch(10, 20)), { $gte: 10, $lt: 20 });
  });

  test('min only: $gte min, nothing else', () => {
    assert.deepEqual(idCondition(batch(10, undefined)), { $gte: 10 });
  });

  test('max only: bounded by $type, and $not:{$gte} instead of $lt so NaN still lands in this batch', () => {
    const cond = idCondition(batch(undefined, 20));
    assert.deepEqual(cond, { $type: NUMBER_TYPES, $not: { $gte: 20 } });
    assert.equal('$lt' in cond, false);
    assert.equal('$lte' in cond, false);
  });

  test('neither side: every value of the class, by $type', () => {
    assert.deepEqual(idCondition(batch(undefined, undefined, ['string', 'symbol'])), { $type: ['string', 'symbol'] });
  });

  test('an open side without $type aliases is refused (it would match every type)', () => {
    assert.throws(() => idCondition(batch(undefined, 20, [])), /no \$type/);
    assert.throws(() => idCondition(batch(undefined, undefined, [])), /no \$type/);
  });

  test('bounds are passed through as the same BSON values (no conversion to JS numbers or strings)', () => {
    const lo = Long.fromString('9007199254740993');
    const hi = new Int32(5);
    const both = idCondition(batch(lo, hi));
    assert.equal(both.$gte, lo);
    assert.equal(both.$lt, hi);
    const oid = new ObjectId();
    const open = idCondition({ index: 0, class: 'objectId', types: ['objectId'], max: oid, estimatedDocs: 0 });
    assert.equal(open.$not.$gte, oid);
    assert.deepEqual(open.$type, ['objectId']);
  });
});

describe('batchFilter', () => {
  test('no batch, no query: the empty filter', () => {
    assert.deepEqual(batchFilter(undefined, null), {});
    assert.deepEqual(batchFilter(undefined, undefined), {});
    assert.deepEqual(batchFilter(undefined, {}), {});
  });

  test('no batch: the user query alone', () => {
    const q = { status: 'A' };
    assert.deepEqual(batchFilter(undefined, q), q);
  });

  test('a batch without a query (or with an empty one): the _id condition alone', () => {
    assert.deepEqual(batchFilter(batch(1, 2), null), { _id: { $gte: 1, $lt: 2 } });
    assert.deepEqual(batchFilter(batch(1, 2), {}), { _id: { $gte: 1, $lt: 2 } });
  });

  test('a batch and a query: combined with $and, the query untouched', () => {
    const q = { status: 'A', n: { $gt: 3 } };
    assert.deepEqual(batchFilter(batch(1, 2), q), {
      $and: [{ status: 'A', n: { $gt: 3 } }, { _id: { $gte: 1, $lt: 2 } }],
    });
    assert.deepEqual(q, { status: 'A', n: { $gt: 3 } });
  });

  test('a query with its own _id condition is intersected with the range, not overwritten', () => {
    const q = { _id: { $in: [1, 5, 50] } };
    const f = batchFilter(batch(undefined, 10), q);
    assert.deepEqual(f, { $and: [{ _id: { $in: [1, 5, 50] } }, { _id: { $type: NUMBER_TYPES, $not: { $gte: 10 } } }] });
  });

  test('a query with top-level operators ($or) is kept whole inside $and', () => {
    const q = { $or: [{ a: 1 }, { b: 2 }] };
    assert.deepEqual(batchFilter(batch(1, undefined), q), { $and: [q, { _id: { $gte: 1 } }] });
  });
});

describe('the last batch also takes unseen types', () => {
  const last = {
    index: 3,
    class: 'number',
    types: ['double', 'int', 'long'],
    min: 10,
    estimatedDocs: 5,
    alsoTypes: ['string', 'objectId'],
  };
  test('its range or those types, with $or', () => {
    assert.deepEqual(batchFilter(last, null), {
      $or: [{ _id: { $gte: 10 } }, { _id: { $type: ['string', 'objectId'] } }],
    });
  });
  test('the user query narrows both sides', () => {
    assert.deepEqual(batchFilter(last, { a: 1 }), {
      $and: [{ a: 1 }, { $or: [{ _id: { $gte: 10 } }, { _id: { $type: ['string', 'objectId'] } }] }],
    });
  });
  test('an empty list adds nothing', () => {
    assert.deepEqual(batchFilter({ ...last, alsoTypes: [] }, null), { _id: { $gte: 10 } });
  });
});

describe('projection', () => {
  test('no fields: no projection (whole documents)', () => {
    assert.equal(projection(undefined), undefined);
    assert.equal(projection(null), undefined);
  });

  test('the listed paths, and _id always, first', () => {
    const p = projection(['a', 'b.c']);
    assert.deepEqual(p, { _id: 1, a: 1, 'b.c': 1 });
    assert.deepEqual(Object.keys(p!), ['_id', 'a', 'b.c']);
  });

  test('_id listed too: still included, once', () => {
    assert.deepEqual(projection(['_id', 'a']), { _id: 1, a: 1 });
  });

  // parseFields drops "_id" from the list, so `--fields _id` reaches projection() as []; that must still mean
  // "only _id", not "no projection at all" (whole documents).
  test('--fields _id projects _id only', () => {
    assert.deepEqual(projection(parseFields('_id')), { _id: 1 });
  });
});

describe('afterFilter (a batch reading on after its last written _id)', () => {
  test('a range of one class: the larger _ids of that class only', () => {
    assert.deepEqual(afterFilter(batch(10, 20), new Int32(15)), { _id: { $gt: new Int32(15) } });
  });

  test('a last batch that also takes unseen types: the larger _ids, and the types that sort after the last _id', () => {
    const b = { ...batch(10), alsoTypes: ['minKey', 'null', 'string', 'objectId', 'maxKey'] };
    assert.deepEqual(afterFilter(b, 12), {
      $or: [{ _id: { $gt: 12 } }, { _id: { $type: ['string', 'objectId', 'maxKey'] } }],
    });
  });

  test('a last _id of an unseen type: its class onwards, nothing of the classes before it', () => {
    const b = { ...batch(10), alsoTypes: ['minKey', 'string', 'objectId', 'date'] };
    const id = new ObjectId('64b000000000000000000000');
    assert.deepEqual(afterFilter(b, id), { $or: [{ _id: { $gt: id } }, { _id: { $type: ['date'] } }] });
  });

  test('only aliases the batch itself names (a server may lack some $type aliases)', () => {
    const b: Batch = { index: 0, class: 'string', types: ['string'], estimatedDocs: 0, alsoTypes: ['objectId'] };
    assert.deepEqual(afterFilter(b, 'k'), { $or: [{ _id: { $gt: 'k' } }, { _id: { $type: ['objectId'] } }] });
  });

  test('nothing can come after a NaN, a regex, a null, or in a batch of class "all": undefined', () => {
    assert.equal(afterFilter(batch(), Number.NaN), undefined);
    assert.equal(afterFilter(batch(), new BSON.Double(Number.NaN)), undefined);
    assert.equal(afterFilter(batch(), BSON.Decimal128.fromString('NaN')), undefined);
    assert.equal(afterFilter(batch(), new BSON.BSONRegExp('a', '')), undefined);
    assert.equal(afterFilter(batch(), null), undefined);
    assert.equal(afterFilter({ index: 0, class: 'all', types: [], estimatedDocs: 0 }, 5), undefined);
  });

  test('a Long or a Decimal128 last _id is a number like any other', () => {
    assert.deepEqual(afterFilter(batch(), Long.fromNumber(7)), { _id: { $gt: Long.fromNumber(7) } });
    const d = BSON.Decimal128.fromString('7.5');
    assert.deepEqual(afterFilter(batch(), d), { _id: { $gt: d } });
  });
});

describe('a batch of class "all" (a source without an _id index to split)', () => {
  const all: Batch = { index: 0, class: 'all', types: [], estimatedDocs: 5 };
  test('has no _id condition: the user query alone, or the empty filter', () => {
    assert.deepEqual(batchFilter(all, { a: 1 }), { a: 1 });
    assert.deepEqual(batchFilter(all, null), {});
    assert.deepEqual(batchFilter(all, {}), {});
  });
});

describe('afterFilter with a last _id no range can follow', () => {
  test('an array (never an _id) and a Double or Int32 that is a number like any other', () => {
    assert.equal(afterFilter(batch(), [1]), undefined);
    const d = new BSON.Double(2.5);
    assert.deepEqual(afterFilter(batch(), d), { _id: { $gt: d } });
    assert.deepEqual(afterFilter(batch(), 2.5), { _id: { $gt: 2.5 } });
    const inf = new BSON.Double(Number.POSITIVE_INFINITY);
    assert.deepEqual(afterFilter(batch(), inf), { _id: { $gt: inf } });
    // a string that reads "NaN" is an ordinary string _id
    const str: Batch = { index: 0, class: 'string', types: ['string'], estimatedDocs: 0 };
    assert.deepEqual(afterFilter(str, 'NaN'), { _id: { $gt: 'NaN' } });
  });
});
