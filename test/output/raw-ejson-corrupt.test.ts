// Corrupt BSON into the Extended JSON codec (src/output/raw-ejson.ts): every malformed length, terminator and size
// is refused with an error, never written, and with the official driver's own message for the same bytes (its
// deserializer, someone else's code, is the oracle here). Pure: no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BSON } from 'mongodb';
import { rawToEjson } from '../../src/output/raw-ejson.js';

/** A document `{a: <element of type t with these value bytes>}` with correct outer lengths. */
function docWith(t: number, value: number[]): Buffer {
  const body = Buffer.from([t, 0x61, 0x00, ...value, 0x00]);
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32LE(out.length, 0);
  body.copy(out, 4);
  return out;
}
const i32 = (n: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return [...b];
};
const cstr = (s: string): number[] => [...Buffer.from(s), 0];
const str = (s: string): number[] => [...i32(Buffer.byteLength(s) + 1), ...cstr(s)];

/** The driver's message for these bytes (it must refuse them too). */
function driverMessage(b: Buffer): string {
  try {
    BSON.deserialize(b, { validation: { utf8: false } });
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('the driver accepted these bytes');
}

const CASES: [string, Buffer][] = [
  ['string length 0', docWith(0x02, [...i32(0), 0])],
  ['string length negative', docWith(0x02, [...i32(-5), 0x61, 0])],
  ['string length past the document', docWith(0x02, [...i32(100), 0x61, 0])],
  ['string without its terminating 0', docWith(0x02, [...i32(2), 0x61, 0x62])],
  ['binary size negative', docWith(0x05, [...i32(-1), 0x00])],
  ['binary size beyond the document', docWith(0x05, [...i32(1000), 0x00, 1, 2])],
  ['binary data running past the end', docWith(0x05, [...i32(8), 0x00, 1, 2])],
  ['binary subtype 2 with a wrong inner size', docWith(0x05, [...i32(6), 0x02, ...i32(1), 1, 2])],
  ['ObjectId cut short', docWith(0x07, [1, 2, 3, 4, 5])],
  ['Decimal128 cut short', docWith(0x13, [1, 2, 3, 4, 5, 6, 7, 8])],
  ['DBPointer id cut short', docWith(0x0c, [...str('db.c'), 1, 2, 3])],
  ['code with scope: total size below the minimum', docWith(0x0f, [...i32(12), ...str('x'), ...i32(5), 0])],
  ['code with scope: scope size below 5', docWith(0x0f, [...i32(4 + 6 + 4), ...str('x'), ...i32(4), 0])],
  ['code with scope: scope size past the document', docWith(0x0f, [...i32(4 + 6 + 5), ...str('x'), ...i32(200), 0])],
  ['code with scope: total size too short', docWith(0x0f, [...i32(4 + 6 + 5 - 1), ...str('x'), ...i32(5), 0])],
  ['code with scope: total size too long', docWith(0x0f, [...i32(4 + 6 + 5 + 1), ...str('x'), ...i32(5), 0, 0])],
  ['embedded document size below 5', docWith(0x03, [...i32(4), 0])],
  ['embedded document past the end', docWith(0x03, [...i32(50), 0])],
  ['embedded document without its terminating 0', docWith(0x03, [...i32(5), 1])],
  ['embedded array size below 5', docWith(0x04, [...i32(3), 0])],
  ['embedded document whose last element runs past its end', docWith(0x03, [...i32(8), 0x08, 0x62, 0x00, 0x00])],
  ['embedded array whose element runs past its end', docWith(0x04, [...i32(8), 0x08, 0x30, 0x00, 0x00])],
  ['a key without its terminating 0', Buffer.from([...i32(8), 0x08, 0x61, 0x62, 0x63])],
  ['regex without its terminating 0', docWith(0x0b, [0x61, 0x62])],
];

/**
 * Where our message is our own: the driver refuses these bytes too, but reads them in another order and names
 * another fault. Everywhere else, the driver's message for the same bytes.
 */
const OWN: Record<string, string> = {
  'binary data running past the end': 'Binary type size larger than document size',
  'binary subtype 2 with a wrong inner size': 'Binary type with subtype 0x02 has an inner size that does not match',
  'ObjectId cut short': 'corrupt bson message',
  'Decimal128 cut short': 'corrupt bson message',
  'DBPointer id cut short': 'corrupt bson message',
  'embedded document without its terminating 0': 'bad embedded document length in bson',
  'embedded document whose last element runs past its end': 'Bad BSON Document: object not properly terminated',
  'embedded array whose element runs past its end': 'corrupted array bson',
};

for (const [name, bytes] of CASES) {
  const own = OWN[name];
  test(`corrupt: ${name}: refused${own ? '' : " with the driver's message"}`, () => {
    const driver = driverMessage(bytes); // the driver refuses them too
    const expected = own ?? driver;
    assert.throws(
      () => rawToEjson(bytes, 'canonical'),
      (err: Error) => {
        assert.equal(err.name, 'BSONError');
        assert.equal(err.message, expected);
        return true;
      },
    );
  });
}

test('corrupt: the outer document: too short, a size below 5, a size other than its length, no final 0', () => {
  const cases: [Buffer, string][] = [
    [Buffer.from([5, 0, 0, 0]), 'corrupt bson message < 5 bytes long'],
    [Buffer.from([4, 0, 0, 0, 0]), 'bson size must be >= 5, is 4'],
    [Buffer.from([6, 0, 0, 0, 0]), 'buffer length 5 must === bson size 6'],
    [Buffer.from([5, 0, 0, 0, 1]), "One object, sized correctly, with a spot for an EOO, but the EOO isn't 0x00"],
  ];
  for (const [bytes, message] of cases) {
    driverMessage(bytes); // refused by the driver too
    assert.throws(() => rawToEjson(bytes, 'relaxed'), { name: 'BSONError', message });
  }
});
