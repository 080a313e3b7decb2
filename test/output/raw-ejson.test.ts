// The encoder's rules, value by value, with the bytes mongoexport writes for them (seen from the real binary and
// its own output code: see test/output/mongoexport-oracle.test.ts for the whole corpus and bson-corpus.test.ts for
// the specification's vectors).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BSON } from 'mongodb';
import { formatDouble } from '../../src/output/go-format.js';
import { type EjsonTarget, InvalidUtf8Error, rawToEjson, writeEjson } from '../../src/output/raw-ejson.js';
import { edgeDocs, encodeDoc, type Field, generateCorpus, prng, V, type Val } from '../fixtures/bson-corpus.js';
import { walkBson } from '../helpers/ejson-bson.js';

type Mode = 'relaxed' | 'canonical';
const MODES: readonly Mode[] = ['relaxed', 'canonical'];

const corpus = generateCorpus();
const edges = edgeDocs();

/** Where the two texts first differ, for readable failures. */
function diffAt(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}:\n  expected …${a.slice(Math.max(0, i - 60), i + 60)}\n  actual   …${b.slice(Math.max(0, i - 60), i + 60)}`;
}

/** One field `v` holding `value`, in `mode`, as mongoexport writes it (`wrapLongs: false`) unless told. */
const one = (value: Val, mode: Mode, options = { wrapLongs: false }): string =>
  rawToEjson(encodeDoc([['v', value]]), mode, options);

test('the corpus is large and covers every BSON type', () => {
  // 20,000 in npm test; npm run mutate sets MPE_CORPUS_DOCS=2000 (test/fixtures/bson-corpus.ts)
  assert.ok(corpus.length >= (process.env.MPE_CORPUS_DOCS ? 2000 : 20000), `${corpus.length} documents`);
  const seen = new Map<number, number>();
  for (const doc of corpus) {
    walkBson(doc, (t) => {
      seen.set(t, (seen.get(t) ?? 0) + 1);
      return false;
    });
  }
  for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0xff, 0x7f]) {
    assert.ok((seen.get(t) ?? 0) >= 50, `type 0x${t.toString(16)} appears ${seen.get(t) ?? 0} times`);
  }
  // DBRef shapes, DBPointers and code scopes are present too.
  const texts = corpus.slice(0, 5000).map((d) => rawToEjson(d, 'canonical'));
  assert.ok(texts.filter((t) => t.includes('{"$ref":')).length >= 50);
  assert.ok(texts.filter((t) => t.includes('"$dbPointer":')).length >= 20);
  assert.ok(texts.filter((t) => t.includes('"$scope":')).length >= 50);
});

test("doubles: Go's shortest %G, .0 when there is neither a point nor an exponent", () => {
  const cases: [number, string][] = [
    [10, '10.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.1, '0.1'],
    [0.30000000000000004, '0.30000000000000004'],
    [123456, '123456.0'],
    [999999, '999999.0'],
    [999999.9, '999999.9'],
    [-5, '-5.0'],
    [1e6, '1E+06'],
    [1.5e6, '1.5E+06'],
    [1234567, '1.234567E+06'],
    [2 ** 53, '9.007199254740992E+15'],
    [1e20, '1E+20'],
    [1e21, '1E+21'],
    [1e100, '1E+100'],
    [1.7976931348623157e308, '1.7976931348623157E+308'],
    [1.2345678921232e18, '1.2345678921232E+18'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [1e-5, '1E-05'],
    [2.5e-5, '2.5E-05'],
    [1.5e-7, '1.5E-07'],
    [-1e-7, '-1E-07'],
    [5e-324, '5E-324'],
    [-4.5010945594527e-142, '-4.5010945594527E-142'],
    [0.000012345, '1.2345E-05'],
    [1234567.5, '1.2345675E+06'],
  ];
  for (const [v, text] of cases) {
    assert.equal(formatDouble(v), text, String(v));
    assert.equal(one(V.double(v), 'relaxed'), `{"v":${text}}`, String(v));
    assert.equal(one(V.double(v), 'canonical'), `{"v":{"$numberDouble":"${text}"}}`, String(v));
  }
  assert.equal(one(V.double(Number.NaN), 'relaxed'), '{"v":{"$numberDouble":"NaN"}}');
  assert.equal(one(V.double(Number.POSITIVE_INFINITY), 'relaxed'), '{"v":{"$numberDouble":"Infinity"}}');
  assert.equal(one(V.double(Number.NEGATIVE_INFINITY), 'canonical'), '{"v":{"$numberDouble":"-Infinity"}}');
  // every double's text reads back as the same double
  const rnd = prng(7);
  for (let i = 0; i < 20000; i++) {
    const v = new Float64Array(
      new BigUint64Array([BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32))])
        .buffer,
    )[0]!;
    if (Number.isFinite(v)) assert.equal(Number(formatDouble(v)), v, formatDouble(v));
  }
});

test('integers: Int32 and Int64 as numbers in relaxed mode; Int64 beyond ±(2^53-1) exact, as $numberLong by default', () => {
  assert.equal(one(V.int32(-5), 'relaxed'), '{"v":-5}');
  assert.equal(one(V.int32(-5), 'canonical'), '{"v":{"$numberInt":"-5"}}');
  for (const n of [2n ** 60n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n)]) {
    assert.equal(one(V.int64(n), 'relaxed'), `{"v":${n}}`);
    assert.equal(one(V.int64(n), 'relaxed', { wrapLongs: true }), `{"v":{"$numberLong":"${n}"}}`);
    assert.equal(one(V.int64(n), 'canonical'), `{"v":{"$numberLong":"${n}"}}`);
  }
  for (const n of [2n ** 53n - 1n, -(2n ** 53n - 1n), 0n, 42n]) {
    assert.equal(one(V.int64(n), 'relaxed', { wrapLongs: true }), `{"v":${n}}`);
  }
});

test("dates: ISO in UTC for 1970 to 9999 with the fraction's trailing zeros dropped, else $numberLong, exactly", () => {
  const iso: [number, string][] = [
    [0, '1970-01-01T00:00:00Z'],
    [100, '1970-01-01T00:00:00.1Z'],
    [120, '1970-01-01T00:00:00.12Z'],
    [1, '1970-01-01T00:00:00.001Z'],
    [1000, '1970-01-01T00:00:01Z'],
    [1709210096780, '2024-02-29T12:34:56.78Z'],
    [253402300799999, '9999-12-31T23:59:59.999Z'],
  ];
  for (const [ms, text] of iso) {
    assert.equal(one(V.date(ms), 'relaxed'), `{"v":{"$date":"${text}"}}`);
    assert.equal(one(V.date(ms), 'canonical'), `{"v":{"$date":{"$numberLong":"${ms}"}}}`);
  }
  for (const ms of [-1n, -86399877n, 253402300800000n, 8640000000000001n, -(2n ** 63n), 2n ** 63n - 1n]) {
    for (const mode of MODES) assert.equal(one(V.date(ms), mode), `{"v":{"$date":{"$numberLong":"${ms}"}}}`);
  }
});

test('strings and names: escaped as Go does — C0 controls, quote, backslash, U+2028/U+2029; the rest raw', () => {
  assert.equal(
    one(V.string('a\u2028b\u2029c <>& \u0001\u001f\u007f "\\/ é😀 \t\n\r\b\f\u000b'), 'relaxed'),
    '{"v":"a\\u2028b\\u2029c <>& \\u0001\\u001f\u007f \\"\\\\/ é😀 \\t\\n\\r\\b\\f\\u000b"}',
  );
  assert.equal(rawToEjson(encodeDoc([['k<\u2028', V.string('v')]]), 'relaxed'), '{"k<\\u2028":"v"}');
  assert.equal(one(V.string('a\u0000b'), 'relaxed'), '{"v":"a\\u0000b"}');
  assert.equal(one(V.string('\ufffd'), 'relaxed'), '{"v":"\ufffd"}', 'a valid U+FFFD stays raw');
  const long = 'x'.repeat(100) + '\u2028' + 'é'.repeat(50);
  assert.equal(JSON.parse(one(V.string(long), 'relaxed')).v, long);
});

test('invalid UTF-8 never stops an export: each byte that starts no valid sequence is \\ufffd, and counted', () => {
  const cases: [number[], string][] = [
    [[0x61, 0xff, 0x62], 'a\\ufffdb'],
    [[0xe2, 0x80], '\\ufffd\\ufffd'],
    [[0xed, 0xa0, 0x80], '\\ufffd\\ufffd\\ufffd'],
    [[0xc0, 0x80], '\\ufffd\\ufffd'],
    [[0xf4, 0x90, 0x80, 0x80], '\\ufffd\\ufffd\\ufffd\\ufffd'],
    [[0x61, 0xc3], 'a\\ufffd'],
  ];
  for (const [bytes, text] of cases) {
    const b = Uint8Array.from(bytes);
    for (const [value, expected] of [
      [V.string(b), `"${text}"`],
      [V.code(b), `{"$code":"${text}"}`],
      [V.regex(b, 'i'), `{"$regularExpression":{"pattern":"${text}","options":"i"}}`],
    ] as const) {
      const target: EjsonTarget = { buf: Buffer.alloc(16), pos: 0 };
      writeEjson(encodeDoc([['v', value as Val]]), 'relaxed', target);
      assert.equal(target.buf.subarray(0, target.pos).toString(), `{"v":${expected}}`, String(bytes));
      assert.equal(target.invalidUtf8, 1);
      assert.throws(
        () => writeEjson(encodeDoc([['v', value as Val]]), 'relaxed', target, { strictUtf8: true }),
        (err: Error) =>
          err instanceof InvalidUtf8Error &&
          err.name === 'InvalidUtf8Error' &&
          err.message === 'a string or field name is not valid UTF-8',
      );
    }
    const named = encodeDoc([[Uint8Array.from([0x6b, ...bytes]), V.int32(1)]]);
    assert.equal(rawToEjson(named, 'relaxed'), `{"k${text}":1}`);
  }
  // counted per string or name holding bad bytes, across documents
  const target: EjsonTarget = { buf: Buffer.alloc(16), pos: 0 };
  const bad = encodeDoc([
    [Uint8Array.from([0xff]), V.string(Uint8Array.from([0xfe, 0xfd]))],
    ['ok', V.string('fine')],
  ]);
  writeEjson(bad, 'canonical', target);
  writeEjson(bad, 'canonical', target);
  assert.equal(target.invalidUtf8, 4);
});

test('types mongoexport writes in their own form: DBPointer, undefined, DBRef shapes, code, symbol, binary, regex', () => {
  const oid = '65a1b2c3d4e5f60718293a4b';
  assert.equal(
    one(V.dbPointer('db.coll', oid), 'relaxed'),
    `{"v":{"$dbPointer":{"$ref":"db.coll","$id":{"$oid":"${oid}"}}}}`,
  );
  assert.equal(one(V.undefined(), 'canonical'), '{"v":{"$undefined":true}}');
  // a document shaped like a DBRef is a document: its fields as stored
  const ref = encodeDoc([
    ['r', V.doc(['$id', V.oid(oid)], ['$ref', V.string('db.coll')], ['x', V.int64(5)], ['$db', V.string('d')])],
  ]);
  assert.equal(rawToEjson(ref, 'relaxed'), `{"r":{"$id":{"$oid":"${oid}"},"$ref":"db.coll","x":5,"$db":"d"}}`);
  assert.equal(one(V.code('f()'), 'relaxed'), '{"v":{"$code":"f()"}}');
  assert.equal(
    one(V.codeWithScope('f', ['x', V.int32(1)], ['z', V.double(3)]), 'relaxed'),
    '{"v":{"$code":"f","$scope":{"x":1,"z":3.0}}}',
  );
  assert.equal(
    one(V.codeWithScope('f', ['x', V.int32(1)]), 'canonical'),
    '{"v":{"$code":"f","$scope":{"x":{"$numberInt":"1"}}}}',
  );
  assert.equal(one(V.symbol('s'), 'relaxed'), '{"v":{"$symbol":"s"}}');
  assert.equal(one(V.binary(0, [0xff, 0xfe]), 'relaxed'), '{"v":{"$binary":{"base64":"//4=","subType":"00"}}}');
  assert.equal(
    one(V.binary(4, Buffer.from('73ffd26444b34c6990e8e7d1dfc035d4', 'hex')), 'relaxed'),
    '{"v":{"$binary":{"base64":"c//SZESzTGmQ6OfR38A11A==","subType":"04"}}}',
  );
  assert.equal(one(V.binary(0x80, []), 'relaxed'), '{"v":{"$binary":{"base64":"","subType":"80"}}}');
  assert.equal(one(V.binary(9, [0x03, 1, 5]), 'relaxed'), '{"v":{"$binary":{"base64":"AwEF","subType":"09"}}}');
  // the old binary subtype 2 carries its length twice: the value is the bytes after the inner length
  assert.equal(one(V.binary(2, [0xff, 0xff]), 'relaxed'), '{"v":{"$binary":{"base64":"//8=","subType":"02"}}}');
  assert.equal(
    one(V.regex('a/b', 'xsmi'), 'relaxed'),
    '{"v":{"$regularExpression":{"pattern":"a/b","options":"imsx"}}}',
  );
  assert.equal(one(V.regex('a', 'uxz'), 'relaxed'), '{"v":{"$regularExpression":{"pattern":"a","options":"uxz"}}}');
  assert.equal(
    one(V.timestamp(4294967295, 4294967295), 'relaxed'),
    '{"v":{"$timestamp":{"t":4294967295,"i":4294967295}}}',
  );
  assert.equal(one(V.oid(oid), 'canonical'), `{"v":{"$oid":"${oid}"}}`);
  assert.equal(one(V.minKey(), 'relaxed'), '{"v":{"$minKey":1}}');
  assert.equal(one(V.maxKey(), 'relaxed'), '{"v":{"$maxKey":1}}');
  assert.equal(one(V.null(), 'relaxed'), '{"v":null}');
  assert.equal(one(V.bool(true), 'relaxed'), '{"v":true}');
  assert.equal(one(V.array(), 'relaxed'), '{"v":[]}');
  assert.equal(one(V.doc(), 'relaxed'), '{"v":{}}');
});

test('Decimal128 as the specification writes it; a coefficient beyond 34 digits is non-canonical: zero', () => {
  for (const text of [
    '1.0',
    '1E+3',
    '0.000001',
    '1E-7',
    '-0',
    'NaN',
    '-Infinity',
    'Infinity',
    '0E+3',
    '1.23456789012345678901234567890123E+6143',
    '-1.5',
  ]) {
    assert.equal(one(V.decimal(text), 'relaxed'), `{"v":{"$numberDecimal":"${text}"}}`, text);
  }
  // coefficient 10^34 (35 digits) with exponent -5: read as 0, the exponent kept
  const bytes = Buffer.alloc(16);
  const coefficient = 10n ** 34n;
  bytes.writeBigUInt64LE(coefficient & (2n ** 64n - 1n), 0);
  bytes.writeBigUInt64LE(((BigInt(6176 - 5) << 49n) | (coefficient >> 64n)) & (2n ** 64n - 1n), 8);
  assert.equal(rawToEjson(encodeDoc([['v', { t: 0x13, bytes }]]), 'relaxed'), '{"v":{"$numberDecimal":"0.00000"}}');
});

test('field order and repeated names exactly as stored; array keys ignored', () => {
  const fields: Field[] = [
    ['b', V.int32(1)],
    ['2', V.int32(2)],
    ['10', V.int32(3)],
    ['a', V.int32(4)],
    ['1', V.doc(['z', V.null()], ['0', V.null()])],
  ];
  assert.equal(rawToEjson(encodeDoc(fields), 'relaxed'), '{"b":1,"2":2,"10":3,"a":4,"1":{"z":null,"0":null}}');
  const dup = encodeDoc([
    ['a', V.int32(1)],
    ['b', V.int32(2)],
    ['a', V.int32(3)],
  ]);
  assert.equal(rawToEjson(dup, 'relaxed'), '{"a":1,"b":2,"a":3}');
  assert.equal(
    rawToEjson(encodeDoc([['a', V.arrayWithKeys(['x', 'x'], [V.int32(1), V.int32(2)])]]), 'relaxed'),
    '{"a":[1,2]}',
  );
  assert.equal(
    rawToEjson(
      encodeDoc([
        ['__proto__', V.int32(1)],
        ['$key', V.int32(2)],
      ]),
      'relaxed',
    ),
    '{"__proto__":1,"$key":2}',
  );
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
        { strictUtf8: true },
      ),
    InvalidUtf8Error,
  );
  assert.equal(t.buf, before);
  assert.equal(t.pos, 2);
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
