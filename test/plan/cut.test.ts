import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { BatchCutter } from '../../src/plan/cut.js';
import type { Batch } from '../../src/plan/model.js';

const { Int32, Long, Double, ObjectId } = BSON;

const cut = (keys: unknown[], size: number, supported?: (alias: string) => boolean, weight?: number) => {
  const c = new BatchCutter(size, supported, weight);
  for (const k of keys) c.push(k);
  return c.finish();
};

/** The batches as [class, min, max, estimatedDocs]. */
const shape = (batches: Batch[]) => batches.map((b) => [b.class, b.min, b.max, b.estimatedDocs]);

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('BatchCutter', () => {
  test('cuts every N keys; the first batch of a class is open below, the last open above', () => {
    const { batches } = cut(range(1, 11), 3);
    assert.deepEqual(shape(batches), [
      ['number', undefined, 4, 3],
      ['number', 4, 7, 3],
      ['number', 7, 10, 3],
      ['number', 10, undefined, 1],
    ]);
    assert.deepEqual(
      batches.map((b) => b.index),
      batches.map((_, i) => i),
    );
  });

  test('an exact multiple of N leaves no empty batch at the end', () => {
    assert.deepEqual(shape(cut(range(0, 6), 3).batches), [
      ['number', undefined, 3, 3],
      ['number', 3, undefined, 3],
    ]);
  });

  test('bounds are the keys themselves, BSON types kept', () => {
    const k = [new Int32(1), new Int32(2 ** 30), Long.fromString('9007199254740993'), new Double(9.5e15)];
    const { batches } = cut(k, 1);
    assert.equal(batches[0]!.max, k[1]);
    assert.equal(batches[1]!.min, k[1]);
    assert.equal(batches[1]!.max, k[2]);
    assert.equal(batches[3]!.min, k[3]);
  });

  test('never spans type classes: a new class starts a new batch, open at the class edges', () => {
    const oids = [1, 2, 3].map((i) => ObjectId.createFromTime(1_700_000_000 + i));
    const { batches, idClasses } = cut([1, 2, 3, 4, 5, 'a', 'b', ...oids], 2);
    assert.deepEqual(shape(batches), [
      ['number', undefined, 3, 2],
      ['number', 3, 5, 2],
      ['number', 5, undefined, 1],
      ['string', undefined, undefined, 2],
      ['objectId', undefined, oids[2], 2],
      ['objectId', oids[2], undefined, 1],
    ]);
    for (const b of batches) {
      assert.notEqual(b.types.length, 0, `batch ${b.index} has no $type`);
    }
    assert.deepEqual(batches.find((b) => b.class === 'number')!.types, ['double', 'int', 'long', 'decimal']);
    assert.deepEqual(batches.find((b) => b.class === 'string')!.types, ['string', 'symbol']);
    assert.deepEqual(idClasses, { number: 5, string: 2, objectId: 3 });
  });

  test('Int32, Int64, Double and Decimal128 are one class', () => {
    const keys = [new Int32(1), Long.fromNumber(2), new Double(2.5), BSON.Decimal128.fromString('3'), 4];
    const { batches } = cut(keys, 100);
    assert.deepEqual(shape(batches), [['number', undefined, undefined, 5]]);
  });

  test('a class that cannot be ranged (null) gets exactly one batch, however many keys', () => {
    const { batches } = cut([null, null, undefined, null, null, 1, 2, 3], 2);
    assert.deepEqual(shape(batches), [
      ['null', undefined, undefined, 5],
      ['number', undefined, 3, 2],
      ['number', 3, undefined, 1],
    ]);
    assert.deepEqual(batches[0]!.types, ['null', 'undefined']);
  });

  test("the last batch also takes every unseen class's supported $type aliases, in BSON order; no other batch does", () => {
    const unsupported = new Set(['minKey', 'maxKey', 'decimal', 'symbol', 'dbPointer', 'javascriptWithScope']);
    const { batches } = cut([1, 2, 3, 4], 2, (a) => !unsupported.has(a));
    assert.equal(batches.length, 2);
    assert.equal(batches[0]!.alsoTypes, undefined);
    const last = batches[1]!;
    assert.equal(last.class, 'number');
    assert.equal(last.min, 3);
    assert.equal(last.max, undefined);
    assert.deepEqual(last.alsoTypes, [
      'null',
      'undefined',
      'string',
      'object',
      'binData',
      'objectId',
      'bool',
      'date',
      'timestamp',
      'regex',
      'javascript',
    ]);
    // the seen class keeps only its supported aliases too
    assert.deepEqual(batches[0]!.types, ['double', 'int', 'long']);
  });

  test('with every class seen but one, the last batch also takes only that one', () => {
    // one key of each class in BSON order, except dbPointer (deprecated: bson has no class to make one)
    const keys = [
      new BSON.MinKey(),
      null,
      1,
      'a',
      { a: 1 },
      new BSON.Binary(Buffer.from('x')),
      new ObjectId(),
      true,
      new Date(0),
      new BSON.Timestamp({ t: 1, i: 1 }),
      new BSON.BSONRegExp('a'),
      new BSON.Code('x'),
      new BSON.Code('x', { a: 1 }),
      new BSON.MaxKey(),
    ];
    const { batches } = cut(keys, 10);
    assert.equal(batches.length, 14);
    assert.deepEqual(
      batches.map((b) => b.class),
      [
        'minKey',
        'null',
        'number',
        'string',
        'object',
        'binData',
        'objectId',
        'bool',
        'date',
        'timestamp',
        'regex',
        'javascript',
        'javascriptWithScope',
        'maxKey',
      ],
    );
    assert.deepEqual(batches[13]!.alsoTypes, ['dbPointer']);
  });

  test('out-of-order type classes throw', () => {
    const c = new BatchCutter(10);
    c.push('a');
    assert.throws(() => c.push(1), /out of BSON order/);
    const d = new BatchCutter(10);
    d.push(new ObjectId());
    assert.throws(() => d.push(null), /out of BSON order/);
  });

  // Keys 1, 5, 3 cut one by one give [.., 5), [5, 3), [3, ..): an inverted range, and the first and last overlap,
  // so documents with 3 <= _id < 5 would be exported twice. Numbers have one order whatever the collation
  // (strings may not: a collection's collation decides their index order), so at least numbers must be checked.
  test('out-of-order numeric keys within a class throw rather than make overlapping ranges', () => {
    const c = new BatchCutter(1);
    c.push(1);
    c.push(5);
    assert.throws(() => c.push(3), /out of BSON order|order/);
  });

  test('out-of-order Dates, Int32s, Doubles, Longs and ObjectIds throw too', () => {
    const pairs: [unknown, unknown][] = [
      [new Date(5), new Date(1)],
      [new Int32(5), new Int32(1)],
      [new Double(5.5), new Double(1.5)],
      [Long.fromNumber(5), Long.fromNumber(1)],
      [new Int32(5), Long.fromNumber(1)],
      [ObjectId.createFromTime(1_700_000_005), ObjectId.createFromTime(1_700_000_001)],
    ];
    for (const [hi, lo] of pairs) {
      const c = new BatchCutter(10);
      c.push(hi);
      assert.throws(() => c.push(lo), { message: `keys out of BSON order within ${c.finish().batches[0]!.class}` });
    }
  });

  test('a key equal to the one before (a sample may repeat one) is in order', () => {
    const { batches } = cut([1, new Int32(1), Long.fromNumber(1), 2, new Date(3), new Date(3)], 10);
    assert.deepEqual(shape(batches), [
      ['number', undefined, undefined, 4],
      ['date', undefined, undefined, 2],
    ]);
  });

  test('order is only compared within a class: a small key of a later class is in order', () => {
    const { batches } = cut([1_000_000, new Date(0), new Date(1)], 10);
    assert.deepEqual(
      batches.map((b) => b.class),
      ['number', 'date'],
    );
    const oid = cut([999, ObjectId.createFromTime(0)], 10);
    assert.equal(oid.batches.length, 2);
  });

  test("strings are not checked for order: the collection's collation decides it", () => {
    const { batches } = cut(['b', 'a', 'B', 'A'], 2);
    assert.deepEqual(shape(batches), [
      ['string', undefined, 'B', 2],
      ['string', 'B', undefined, 2],
    ]);
  });

  test('out-of-order classes name both of them', () => {
    const c = new BatchCutter(10);
    c.push(new Date(0));
    assert.throws(() => c.push('a'), { message: 'keys out of BSON order: string after date' });
  });

  test('a batch open below has no min at all, one open above no max (not an undefined one)', () => {
    const { batches } = cut([1, 2, 3], 2);
    assert.equal(Object.hasOwn(batches[0]!, 'min'), false);
    assert.equal(Object.hasOwn(batches[0]!, 'max'), true);
    assert.equal(Object.hasOwn(batches[1]!, 'min'), true);
    assert.equal(Object.hasOwn(batches[1]!, 'max'), false);
  });

  test('every supported class seen: the last batch takes no unseen types', () => {
    const keys = [new BSON.MinKey(), null, 1, 'a', new Date(0), new BSON.MaxKey()];
    const seen = new Set(['minKey', 'null', 'undefined', 'double', 'int', 'long', 'decimal', 'string', 'symbol']);
    const { batches } = cut(keys, 10, (a) => seen.has(a) || a === 'date' || a === 'maxKey');
    assert.equal(batches.length, 6);
    for (const b of batches) assert.equal(Object.hasOwn(b, 'alsoTypes'), false, `batch ${b.index}`);
    assert.deepEqual(
      batches.map((b) => b.types),
      [
        ['minKey'],
        ['null', 'undefined'],
        ['double', 'int', 'long', 'decimal'],
        ['string', 'symbol'],
        ['date'],
        ['maxKey'],
      ],
    );
  });

  test('cut counts the batches so far, the one being filled included', () => {
    const c = new BatchCutter(2);
    assert.equal(c.cut, 0);
    c.push(1);
    assert.equal(c.cut, 1);
    c.push(2);
    assert.equal(c.cut, 1);
    c.push(3);
    assert.equal(c.cut, 2);
    c.push('a');
    assert.equal(c.cut, 3);
    assert.equal(c.finish().batches.length, c.cut);
  });

  test('without a weight, each key counts once', () => {
    const c = new BatchCutter(2);
    for (const k of [1, 2, 3]) c.push(k);
    assert.deepEqual(c.finish().idClasses, { number: 3 });
    assert.equal(c.keys, 3);
  });

  test('an array key throws (an _id cannot be an array)', () => {
    assert.throws(() => new BatchCutter(10).push([1]), { message: 'an _id cannot be an array' });
    const c = new BatchCutter(10);
    c.push(1);
    assert.throws(() => c.push([2]), { message: 'an _id cannot be an array' });
  });

  test('empty input gives no batches', () => {
    const { batches, idClasses } = new BatchCutter(10).finish();
    assert.deepEqual(batches, []);
    assert.deepEqual(idClasses, {});
  });

  test('batch size must be a positive number', () => {
    for (const bad of [0, -1, Number.NaN]) {
      assert.throws(() => new BatchCutter(bad), {
        name: 'RangeError',
        message: `batchSize: expected a positive number, got ${bad}`,
      });
    }
    assert.equal(new BatchCutter(1).cut, 0);
  });

  test('sampled keys count with their weight: cuts every size/weight keys, estimates rounded', () => {
    const { batches, idClasses } = cut(range(0, 10), 10, undefined, 2.5);
    assert.deepEqual(shape(batches), [
      ['number', undefined, 4, 10],
      ['number', 4, 8, 10],
      ['number', 8, undefined, 5],
    ]);
    assert.deepEqual(idClasses, { number: 25 });
  });

  test('finish() hands out copies and can be called again', () => {
    const c = new BatchCutter(2);
    for (const k of [1, 2, 3]) c.push(k);
    const first = c.finish();
    first.batches[0]!.max = 99;
    const again = c.finish();
    assert.equal(again.batches[0]!.max, 3);
    assert.equal(c.keys, 3);
  });
});
