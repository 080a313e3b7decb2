// The BSON type classes a plan splits by: which class a deserialized `_id` falls in, the classes' server sort order,
// their $type aliases, and which of them can be cut into ranges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { BatchCutter } from '../../src/plan/cut.js';
import { afterFilter } from '../../src/plan/query.js';
import { classOf, classRank, TYPE_CLASSES, typeClass } from '../../src/plan/type-classes.js';

describe('classOf: the type class of a deserialized _id', () => {
  const cases: [string, unknown, string][] = [
    ['null', null, 'null'],
    ['undefined', undefined, 'null'],
    ['a JS number', 1.5, 'number'],
    ['a bigint (useBigInt64)', 5n, 'number'],
    ['Int32', new BSON.Int32(1), 'number'],
    ['Double', new BSON.Double(1), 'number'],
    ['Long', BSON.Long.fromNumber(1), 'number'],
    ['Decimal128', BSON.Decimal128.fromString('1'), 'number'],
    ['a string', 'a', 'string'],
    ['BSONSymbol', new BSON.BSONSymbol('s'), 'string'],
    ['a plain object', { a: 1 }, 'object'],
    ['DBRef', new BSON.DBRef('c', new BSON.ObjectId()), 'object'],
    ['an unknown _bsontype', { _bsontype: 'SomethingNew' }, 'object'],
    ['Binary', new BSON.Binary(Buffer.from('x')), 'binData'],
    ['UUID', new BSON.UUID(), 'binData'],
    ['a Buffer (promoteBuffers)', Buffer.from('x'), 'binData'],
    ['a Uint8Array', new Uint8Array(2), 'binData'],
    ['ObjectId', new BSON.ObjectId(), 'objectId'],
    ['true', true, 'bool'],
    ['false', false, 'bool'],
    ['a Date', new Date(0), 'date'],
    ['Timestamp', new BSON.Timestamp({ t: 1, i: 1 }), 'timestamp'],
    ['BSONRegExp', new BSON.BSONRegExp('a', 'i'), 'regex'],
    ['a native RegExp (promoteValues)', /a/i, 'regex'],
    ['DBPointer', { _bsontype: 'DBPointer', namespace: 'd.c', oid: new BSON.ObjectId() }, 'dbPointer'],
    ['Code', new BSON.Code('x'), 'javascript'],
    ['Code with a scope', new BSON.Code('x', { a: 1 }), 'javascriptWithScope'],
    ['MinKey', new BSON.MinKey(), 'minKey'],
    ['MaxKey', new BSON.MaxKey(), 'maxKey'],
    ['an array', [1], 'array'],
  ];
  for (const [what, value, cls] of cases) {
    test(`${what} → ${cls}`, () => assert.equal(classOf(value), cls));
  }
});

describe('the classes', () => {
  test("in the server's sort order, each with its $type aliases", () => {
    assert.deepEqual(
      TYPE_CLASSES.map((c) => [c.name, c.aliases]),
      [
        ['minKey', ['minKey']],
        ['null', ['null', 'undefined']],
        ['number', ['double', 'int', 'long', 'decimal']],
        ['string', ['string', 'symbol']],
        ['object', ['object']],
        ['binData', ['binData']],
        ['objectId', ['objectId']],
        ['bool', ['bool']],
        ['date', ['date']],
        ['timestamp', ['timestamp']],
        ['regex', ['regex']],
        ['dbPointer', ['dbPointer']],
        ['javascript', ['javascript']],
        ['javascriptWithScope', ['javascriptWithScope']],
        ['maxKey', ['maxKey']],
      ],
    );
    assert.deepEqual(
      TYPE_CLASSES.map((c) => classRank(c.name)),
      TYPE_CLASSES.map((_, i) => i),
    );
    assert.equal(classRank('array'), -1);
  });

  test('typeClass looks a class up by name, and refuses a name that is none', () => {
    assert.equal(typeClass('date'), TYPE_CLASSES[8]);
    assert.throws(() => typeClass('array'), { message: 'unknown BSON type class "array"' });
  });

  // one value of each class, and whether a plan can cut the class into ranges
  const samples: [unknown, unknown, boolean][] = [
    [new BSON.MinKey(), new BSON.MinKey(), false],
    [null, null, false],
    [1, 2, true],
    ['a', 'b', true],
    [{ a: 1 }, { a: 2 }, true],
    [new BSON.Binary(Buffer.from('a')), new BSON.Binary(Buffer.from('b')), true],
    [new BSON.ObjectId('64b000000000000000000001'), new BSON.ObjectId('64b000000000000000000002'), true],
    [false, true, true],
    [new Date(1), new Date(2), true],
    [new BSON.Timestamp({ t: 1, i: 1 }), new BSON.Timestamp({ t: 2, i: 1 }), true],
    [new BSON.BSONRegExp('a'), new BSON.BSONRegExp('b'), false],
    [{ _bsontype: 'DBPointer' }, { _bsontype: 'DBPointer' }, false],
    [new BSON.Code('a'), new BSON.Code('b'), true],
    [new BSON.Code('a', { x: 1 }), new BSON.Code('b', { x: 1 }), false],
    [new BSON.MaxKey(), new BSON.MaxKey(), false],
  ];

  for (const [a, b, rangeable] of samples) {
    const cls = classOf(a);
    test(`${cls}: ${rangeable ? 'cut into ranges, and read on after a last _id' : 'one batch, never cut, nothing after a last _id'}`, () => {
      assert.equal(typeClass(cls).rangeable, rangeable);
      const c = new BatchCutter(1);
      for (const k of [a, b, b]) c.push(k);
      const { batches } = c.finish();
      assert.equal(batches.length, rangeable ? 3 : 1);
      assert.deepEqual(batches[0]!.types, typeClass(cls).aliases);
      const batch = { index: 0, class: cls, types: [...typeClass(cls).aliases], estimatedDocs: 1 };
      assert.equal(afterFilter(batch, a) !== undefined, rangeable);
    });
  }
});
