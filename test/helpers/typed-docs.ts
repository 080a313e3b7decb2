// Documents holding every BSON type and edge value a server can store, for the differential tests against
// mongoexport. Seeded: the same documents on every run. What FerretDB refuses to store (Decimal128, MinKey/MaxKey,
// code, NaN/Infinity, -0.0, `$`- and `.`-names, nested arrays) is tried and left out where refused, so the same
// set exercises a real MongoDB fully.
import { BSON, type Collection, type Document } from 'mongodb';
import { prng } from '../fixtures/bson-corpus.js';

const { Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, Code, BSONSymbol } =
  BSON;

const STRINGS = [
  '',
  'plain',
  'a"b\\c/d',
  'tab\there\nnew\rline\bback\fform',
  '\u0001\u001f\u007f',
  'é日本😀',
  'line\u2028para\u2029',
  '<script>&amp;</script>',
  ' leading and trailing ',
  'comma, "quote"',
  'x'.repeat(300),
];
const DOUBLES = [
  10,
  0,
  0.1,
  -1.5,
  123456,
  999999.9,
  1e6,
  1234567,
  2 ** 53,
  1e21,
  1e-5,
  1.5e-7,
  5e-324,
  1.7976931348623157e308,
  0.30000000000000004,
  42,
];
const LONGS = [0n, 1n, -1n, 2n ** 31n, 2n ** 53n - 1n, 2n ** 53n + 1n, -(2n ** 60n), 2n ** 63n - 1n, -(2n ** 63n)];
const DATES = [0, 100, 120, 1, 1709210096780, 253402300799999, -1, -86399877, 253402300800000, 8.64e15, -8.64e15];

/** Values FerretDB is known to refuse or alter; kept for servers that take them (each tried on its own). */
export const UNSTORABLE_HERE = () => ({
  decimal: Decimal128.fromString('1.50'),
  minKey: new MinKey(),
  maxKey: new MaxKey(),
  code: new Code('function () { return 1; }'),
  nan: new Double(Number.NaN),
  inf: new Double(Number.POSITIVE_INFINITY),
  negZero: new Double(-0),
  symbol: new BSONSymbol('sym'),
});

/** Document `i` of the set: `_id` i, and a varied handful of fields. */
export function typedDoc(i: number): Document {
  const r = prng(1000 + i);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const hex = () =>
    Array.from({ length: 12 }, () =>
      Math.floor(r() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const doc: Document = { _id: i };
  const scalars: (() => unknown)[] = [
    () => pick(STRINGS),
    () => new Int32(Math.floor(r() * 2 ** 32) - 2 ** 31),
    () => new Double(pick(DOUBLES) * (r() < 0.3 ? -1 : 1)),
    () => Long.fromBigInt(pick(LONGS)),
    () => new Date(pick(DATES)),
    () => new ObjectId(hex()),
    () => r() < 0.5,
    () => null,
    () => new Binary(Buffer.from(hex(), 'hex'), pick([0, 4, 5, 0x80])),
    () => new BSONRegExp(pick(['^a.*b$', 'x/y', 'é+']), pick(['', 'i', 'ims', 'mx'])),
    () => new Timestamp({ t: Math.floor(r() * 2 ** 32), i: Math.floor(r() * 1000) }),
  ];
  const scalar = () => pick(scalars)();
  const n = 3 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const name =
      pick(['a', 'b', 'name', 'n', 'price', 'when', 'tags', 'sub', 'x y', 'é', 'k2', '2', '10']) + (k > 6 ? k : '');
    const kind = r();
    if (kind < 0.65) doc[name] = scalar();
    else if (kind < 0.82) doc[name] = Array.from({ length: Math.floor(r() * 4) }, scalar);
    else doc[name] = { x: scalar(), y: { z: scalar() }, list: [scalar(), { w: scalar() }] };
  }
  return doc;
}

/**
 * Insert documents 0..count-1 (one at a time, so one a server refuses costs only itself) and the unstorable
 * values each in a document of its own. Returns how many documents the collection holds and what was refused.
 */
export async function seedTyped(
  coll: Collection<Document>,
  count: number,
): Promise<{ docs: number; refused: string[] }> {
  const docs = Array.from({ length: count }, (_, i) => typedDoc(i));
  const refused: string[] = [];
  try {
    await coll.insertMany(docs as never[], { ordered: false });
  } catch {
    for (const d of docs)
      await coll
        .insertOne(d as never)
        .catch((err: Error) => refused.push(`document ${d._id}: ${err.message.split('\n')[0]}`));
  }
  let id = count;
  for (const [name, value] of Object.entries(UNSTORABLE_HERE())) {
    const doc = { _id: id++, [name]: value };
    try {
      await coll.insertOne(doc as never);
      // FerretDB stores -0.0 as 0.0: a value the server changed is not one to compare
      const back = await coll.findOne({ _id: doc._id } as never, { promoteValues: false });
      if (name === 'negZero' && !Object.is((back?.negZero as { value?: number })?.value, -0)) {
        await coll.deleteOne({ _id: doc._id } as never);
        refused.push(`${name}: stored as another value`);
      }
    } catch (err) {
      refused.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { docs: await coll.countDocuments(), refused };
}
