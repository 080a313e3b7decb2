import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BSON } from 'mongodb';
import { EXACT_READ } from '../../src/db/read-options.js';
import { toEjsonText } from '../../src/output/ejson.js';
import { type EjsonTarget, rawToEjson, writeEjson } from '../../src/output/raw-ejson.js';
import { edgeDocs, encodeDoc, type Field, generateCorpus, prng, V } from '../fixtures/bson-corpus.js';

type Mode = 'relaxed' | 'canonical';
const MODES: readonly Mode[] = ['relaxed', 'canonical'];

const reference = (bson: Buffer, mode: Mode): string => toEjsonText(BSON.deserialize(bson, EXACT_READ), mode);

const corpus = generateCorpus();
const edges = edgeDocs();

/** Where the two texts first differ, for readable failures. */
function diffAt(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}:\n  expected …${a.slice(Math.max(0, i - 60), i + 60)}\n  actual   …${b.slice(Math.max(0, i - 60), i + 60)}`;
}

function assertSame(bson: Buffer, mode: Mode, label: string): void {
  const expected = reference(bson, mode);
  const actual = rawToEjson(bson, mode);
  if (actual !== expected) assert.fail(`${label} (${mode}) differs ${diffAt(expected, actual)}`);
}

test('the corpus is large and covers every BSON type', () => {
  assert.ok(corpus.length >= 20000);
  const seen = new Map<number, number>();
  const walk = (b: Buffer, start: number): void => {
    let p = start + 4;
    for (;;) {
      const t = b[p++]!;
      if (t === 0) return;
      while (b[p++] !== 0);
      seen.set(t, (seen.get(t) ?? 0) + 1);
      const size = (): number => b.readInt32LE(p);
      switch (t) {
        case 0x01:
        case 0x09:
        case 0x11:
        case 0x12:
          p += 8;
          break;
        case 0x02:
        case 0x0d:
        case 0x0e:
          p += 4 + size();
          break;
        case 0x03:
        case 0x04:
          walk(b, p);
          p += size();
          break;
        case 0x05:
          p += 5 + size();
          break;
        case 0x06:
        case 0x0a:
        case 0xff:
        case 0x7f:
          break;
        case 0x07:
          p += 12;
          break;
        case 0x08:
          p += 1;
          break;
        case 0x0b:
          while (b[p++] !== 0);
          while (b[p++] !== 0);
          break;
        case 0x0c:
          p += 4 + size() + 12;
          break;
        case 0x0f: {
          const total = size();
          const s = b.readInt32LE(p + 4);
          walk(b, p + 8 + s);
          p += total;
          break;
        }
        case 0x10:
          p += 4;
          break;
        case 0x13:
          p += 16;
          break;
        default:
          assert.fail(`unknown type ${t}`);
      }
    }
  };
  for (const doc of corpus) walk(doc, 0);
  for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0xff, 0x7f]) {
    assert.ok((seen.get(t) ?? 0) >= 50, `type 0x${t.toString(16)} appears ${seen.get(t) ?? 0} times`);
  }
  // DBRefs (converted by the reference) and near misses are present too.
  const texts = corpus.slice(0, 5000).map((d) => rawToEjson(d, 'canonical'));
  assert.ok(texts.filter((t) => t.includes('{"$ref":')).length >= 50);
  assert.ok(texts.filter((t) => t.includes('"$db":')).length >= 20);
  assert.ok(texts.filter((t) => t.includes('"$scope":')).length >= 50);
});

test('generated corpus: identical to deserialize + toEjsonText, both modes', () => {
  for (const mode of MODES) {
    for (let i = 0; i < corpus.length; i++) assertSame(corpus[i]!, mode, `corpus #${i}`);
  }
});

test('hand-written edge documents: identical to the reference, both modes', () => {
  for (const mode of MODES) for (const { name, bson } of edges) assertSame(bson, mode, name);
});

test('spot checks of the formats (the reference agrees, see above)', () => {
  const one = (v: ReturnType<typeof V.null>, mode: Mode): string => rawToEjson(encodeDoc([['v', v]]), mode);
  assert.equal(one(V.double(42), 'canonical'), '{"v":{"$numberDouble":"42.0"}}');
  assert.equal(one(V.double(42), 'relaxed'), '{"v":42}');
  assert.equal(one(V.double(-0), 'canonical'), '{"v":{"$numberDouble":"-0.0"}}');
  assert.equal(one(V.double(-0), 'relaxed'), '{"v":0}');
  assert.equal(one(V.double(1e21), 'canonical'), '{"v":{"$numberDouble":"1e+21"}}');
  assert.equal(one(V.double(NaN), 'relaxed'), '{"v":{"$numberDouble":"NaN"}}');
  assert.equal(one(V.int64(2n ** 53n + 1n), 'relaxed'), '{"v":{"$numberLong":"9007199254740993"}}');
  assert.equal(one(V.int64(2n ** 53n - 1n), 'relaxed'), '{"v":9007199254740991}');
  assert.equal(one(V.date(0), 'relaxed'), '{"v":{"$date":"1970-01-01T00:00:00Z"}}');
  assert.equal(one(V.date(1), 'relaxed'), '{"v":{"$date":"1970-01-01T00:00:00.001Z"}}');
  assert.equal(one(V.date(-1), 'relaxed'), '{"v":{"$date":{"$numberLong":"-1"}}}');
  assert.equal(one(V.date(253402300800000), 'relaxed'), '{"v":{"$date":{"$numberLong":"253402300800000"}}}');
  assert.equal(one(V.regex('a', 'xsmi'), 'relaxed'), '{"v":{"$regularExpression":{"pattern":"a","options":"imsx"}}}');
  assert.equal(one(V.binary(2, [1, 2]), 'relaxed'), '{"v":{"$binary":{"base64":"AQI=","subType":"02"}}}');
  assert.equal(one(V.undefined(), 'canonical'), '{"v":null}');
  assert.equal(
    one(V.dbPointer('db.coll', '65a1b2c3d4e5f60718293a4b'), 'relaxed'),
    '{"v":{"$ref":"coll","$id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"$db":"db"}}',
  );
  assert.equal(one(V.timestamp(1, 2), 'relaxed'), '{"v":{"$timestamp":{"t":1,"i":2}}}');
  assert.equal(one(V.string('"\\\n\u0001\u007f\u2028é'), 'relaxed'), '{"v":"\\"\\\\\\n\\u0001\u007f\u2028é"}');
});

test('writeEjson appends after existing bytes and grows the buffer at any point without losing a byte', () => {
  const r = prng(7);
  const docs = [...edges.map((e) => e.bson), ...corpus.slice(0, 3000)];
  for (const mode of MODES) {
    for (const bson of docs) {
      const expected = Buffer.from(rawToEjson(bson, mode), 'utf8');
      // Every amount of free space for small documents; random ones for the others.
      const frees =
        expected.length <= 200
          ? Array.from({ length: expected.length + 2 }, (_, i) => i)
          : [0, 1, 2, 7, Math.floor(r() * expected.length), expected.length - 1];
      for (const free of frees) {
        const prefix = 3;
        const t: EjsonTarget = { buf: Buffer.alloc(prefix + free, 0x7e), pos: prefix };
        writeEjson(bson, mode, t);
        assert.equal(t.pos, prefix + expected.length);
        assert.equal(t.buf.subarray(0, prefix).toString('latin1'), '~~~');
        if (!t.buf.subarray(prefix, t.pos).equals(expected))
          assert.fail(`free=${free} ${diffAt(expected.toString(), t.buf.subarray(prefix, t.pos).toString())}`);
      }
    }
  }
});

test('writeEjson leaves the target as it was when a document is rejected', () => {
  const t: EjsonTarget = { buf: Buffer.alloc(8), pos: 2 };
  const before = t.buf;
  assert.throws(
    () =>
      writeEjson(
        encodeDoc([
          ['a', V.string('x'.repeat(100))],
          ['s', V.string(Uint8Array.from([0xff]))],
        ]),
        'relaxed',
        t,
      ),
    /Invalid UTF-8/,
  );
  assert.equal(t.buf, before);
  assert.equal(t.pos, 2);
});

// ---------------------------------------------------------------------------------------------------------
// Deliberate differences: the reference is wrong here, the raw path keeps the data.

test('deliberate difference (a): integer-like field names keep their BSON order', () => {
  const fields: Field[] = [
    ['b', V.int32(1)],
    ['2', V.int32(2)],
    ['10', V.int32(3)],
    ['a', V.int32(4)],
    ['1', V.doc(['z', V.null()], ['0', V.null()])],
  ];
  const bson = encodeDoc(fields);
  assert.equal(rawToEjson(bson, 'relaxed'), '{"b":1,"2":2,"10":3,"a":4,"1":{"z":null,"0":null}}');
  // The reference moves them first (JS object key order); the content is the same.
  assert.equal(reference(bson, 'relaxed'), '{"1":{"0":null,"z":null},"2":2,"10":3,"b":1,"a":4}');
  assert.deepEqual(JSON.parse(rawToEjson(bson, 'canonical')), JSON.parse(reference(bson, 'canonical')));
  // Names that only look numeric are not reordered by anyone.
  assert.equal(
    rawToEjson(
      encodeDoc([
        ['b', V.null()],
        ['01', V.null()],
        ['-1', V.null()],
        ['4294967295', V.null()],
      ]),
      'relaxed',
    ),
    '{"b":null,"01":null,"-1":null,"4294967295":null}',
  );
  assertSame(
    encodeDoc([
      ['b', V.null()],
      ['01', V.null()],
      ['-1', V.null()],
      ['4294967295', V.null()],
    ]),
    'relaxed',
    'not array indexes',
  );
});

test('deliberate difference: duplicate field names are all written', () => {
  const bson = encodeDoc([
    ['a', V.int32(1)],
    ['b', V.int32(2)],
    ['a', V.int32(3)],
  ]);
  assert.equal(rawToEjson(bson, 'relaxed'), '{"a":1,"b":2,"a":3}');
  assert.equal(reference(bson, 'relaxed'), '{"a":3,"b":2}');
});

test('deliberate difference (b): dates outside JavaScript range are written exactly, in both modes', () => {
  const values = [8640000000000001n, -8640000000000001n, 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n];
  const bson = encodeDoc(values.map((v, i) => [`d${i}`, V.date(v)]));
  const expected = '{' + values.map((v, i) => `"d${i}":{"$date":{"$numberLong":"${v}"}}`).join(',') + '}';
  for (const mode of MODES) {
    assert.equal(rawToEjson(bson, mode), expected);
    assert.throws(() => reference(bson, mode), /outside JavaScript's range/);
  }
  // The last in-range milliseconds are ordinary.
  assertSame(
    encodeDoc([
      ['a', V.date(8.64e15)],
      ['b', V.date(-8.64e15)],
    ]),
    'relaxed',
    'range ends',
  );
  assertSame(
    encodeDoc([
      ['a', V.date(8.64e15)],
      ['b', V.date(-8.64e15)],
    ]),
    'canonical',
    'range ends',
  );
});

test('deliberate difference: Int64 and dates inside DBRefs and code scopes stay exact in relaxed mode', () => {
  const big = 2n ** 60n + 1n;
  const ref = encodeDoc([
    ['r', V.doc(['$ref', V.string('c')], ['$id', V.int64(big)], ['x', V.int64(big)], ['d', V.date(2n ** 60n)])],
  ]);
  assert.equal(
    rawToEjson(ref, 'relaxed'),
    `{"r":{"$ref":"c","$id":{"$numberLong":"${big}"},"x":{"$numberLong":"${big}"},"d":{"$date":{"$numberLong":"${2n ** 60n}"}}}}`,
  );
  assert.equal(
    reference(ref, 'relaxed'),
    '{"r":{"$ref":"c","$id":1152921504606847000,"x":1152921504606847000,"d":{"$date":{"$numberLong":"NaN"}}}}',
  );
  const scope = encodeDoc([['c', V.codeWithScope('f', ['x', V.int64(big)])]]);
  assert.equal(rawToEjson(scope, 'relaxed'), `{"c":{"$code":"f","$scope":{"x":{"$numberLong":"${big}"}}}}`);
  assert.equal(reference(scope, 'relaxed'), '{"c":{"$code":"f","$scope":{"x":1152921504606847000}}}');
  // In canonical mode the reference is exact for Int64, and agrees.
  assertSame(scope, 'canonical', 'scope canonical');
});

test('deliberate difference: a DBRef whose $id is false or "" still gets Extended JSON fields', () => {
  const bson = encodeDoc([
    [
      'r',
      V.doc(
        ['$ref', V.string('c')],
        ['$id', V.bool(false)],
        ['x', V.int64(5)],
        ['o', V.oid('65a1b2c3d4e5f60718293a4b')],
      ),
    ],
  ]);
  assert.equal(
    rawToEjson(bson, 'canonical'),
    '{"r":{"$ref":"c","$id":false,"x":{"$numberLong":"5"},"o":{"$oid":"65a1b2c3d4e5f60718293a4b"}}}',
  );
  assert.equal(
    reference(bson, 'canonical'),
    '{"r":{"$ref":"c","$id":false,"x":{"high":0,"low":5,"unsigned":false},"o":"65a1b2c3d4e5f60718293a4b"}}',
  );
});

test('deliberate difference: well-formed values the reference refuses are written', () => {
  const vec = encodeDoc([['v', V.binary(9, [0x03, 1, 5])]]); // int8 vector with non-zero padding
  assert.equal(rawToEjson(vec, 'relaxed'), '{"v":{"$binary":{"base64":"AwEF","subType":"09"}}}');
  assert.throws(() => reference(vec, 'relaxed'), /Invalid Vector/);
  const re = encodeDoc([['r', V.regex('a', 'gz')]]);
  assert.equal(rawToEjson(re, 'relaxed'), '{"r":{"$regularExpression":{"pattern":"a","options":"gz"}}}');
  assert.throws(() => reference(re, 'relaxed'), /not supported/);
});

// ---------------------------------------------------------------------------------------------------------
// Errors

test('invalid UTF-8 in string values throws like the deserializer; names and regexes decode it to U+FFFD', () => {
  for (const bytes of [
    [0xff],
    [0x61, 0xc3],
    [0xed, 0xa0, 0x80],
    [0xc0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
  ]) {
    for (const v of [
      V.string(Uint8Array.from(bytes)),
      V.doc(['$ref', V.string(Uint8Array.from(bytes))], ['$id', V.int32(1)]),
    ]) {
      const bson = encodeDoc([['s', v]]);
      assert.throws(() => BSON.deserialize(bson, EXACT_READ), /Invalid UTF-8 string in BSON document/);
      assert.throws(
        () => rawToEjson(bson, 'relaxed'),
        (err: Error) => err instanceof BSON.BSONError && err.message === 'Invalid UTF-8 string in BSON document',
      );
    }
    const named = encodeDoc([[Uint8Array.from([0x6b, ...bytes]), V.regex(Uint8Array.from(bytes), 'i')]]);
    for (const mode of MODES) assertSame(named, mode, `invalid UTF-8 ${bytes}`);
  }
});

test('malformed BSON is rejected', () => {
  const good = encodeDoc([
    ['a', V.int32(1)],
    ['b', V.bool(true)],
  ]);
  assert.throws(() => rawToEjson(good.subarray(0, 4), 'relaxed'), BSON.BSONError);
  assert.throws(() => rawToEjson(Buffer.concat([good, Buffer.of(0)]), 'relaxed'), /must === bson size/);
  const badBool = Buffer.from(good);
  badBool[badBool.length - 2] = 2;
  assert.throws(() => rawToEjson(badBool, 'relaxed'), /illegal boolean/);
  const badType = Buffer.from(good);
  badType[4] = 0x42;
  assert.throws(() => rawToEjson(badType, 'relaxed'), /unknown BSON type 42/);
  const badLen = encodeDoc([['s', V.string('abc')]]);
  badLen.writeInt32LE(100, 7);
  assert.throws(() => rawToEjson(badLen, 'relaxed'), /bad string length/);
  const badSub = encodeDoc([['d', V.doc(['a', V.int32(1)])]]);
  badSub.writeInt32LE(6, 7);
  assert.throws(() => rawToEjson(badSub, 'relaxed'), BSON.BSONError);
  assert.throws(
    () => rawToEjson(encodeDoc([['b', V.binary(2, [1, 2, 3])]]).fill(9, 12, 13), 'relaxed'),
    /subtype 0x02/,
  );
});

test('accepts any Uint8Array view, not only Buffers', () => {
  const bson = encodeDoc([['a', V.string('x')]]);
  const copy = new Uint8Array(bson.length + 8);
  copy.set(bson, 4);
  assert.equal(rawToEjson(copy.subarray(4, 4 + bson.length), 'relaxed'), '{"a":"x"}');
});
