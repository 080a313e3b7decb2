// Reproducible benchmark data: the same seed gives the same documents, byte for byte.
//
//   ensureDataset(client, { db, collection, docs, variant, seed, log })  -> { docs, avgBsonBytes, regenerated, seconds }
//   CLI: MONGO_URI=… node bench/generate.js [--db bench] [--collection c] [--docs N] [--variant 1k|200b|16k] [--seed S]
//
// Document i is generated from its own PRNG stream (seed, i), so any document can be rebuilt
// alone: that is how the fingerprint and the checksum of the expected _ids are computed without
// generating the whole collection again.
//
// Shapes (BSON sizes, measured): 200b ≈ 200 B, 1k ≈ 1 KB, 16k ≈ 16 KB (1k plus 60 order subdocuments);
// tiny is {_id, n} (for 10,000-batch plans). Every document has an ObjectId _id that grows with i (so
// insertion order is _id order), strings, int32, double, Int64, booleans, null, dates, a nested
// subdocument and small arrays. No nested field is called
// "_id": the output checkers count `{"_id":` at the start of a document.

import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { BSON, Long, MongoClient, ObjectId } from 'mongodb';

export const GENERATOR_VERSION = 4;
export const VARIANTS = { tiny: 0, '200b': 200, '1k': 1024, '16k': 16 * 1024 };
const META_COLLECTION = 'bench_meta';
const INSERT_CHUNK = 1000;
const BASE_TIME = Date.UTC(2020, 0, 1) / 1000; // seconds

/** splitmix32-style PRNG seeded from (seed, index). */
function prng(seed, index) {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo ' +
  'sierra tango uniform victor whiskey xray yankee zulu amber basil cedar dune ember fjord grove harbor isle jade ' +
  'kestrel lagoon meadow nectar orchid pebble quartz river summit thistle umber valley willow zephyr'
).split(' ');
const CITIES = ['Lisbon', 'Oslo', 'Zürich', 'Kraków', 'São Paulo', 'Osaka', 'Nairobi', 'Québec', 'Tallinn', 'Austin'];
const COUNTRIES = ['PT', 'NO', 'CH', 'PL', 'BR', 'JP', 'KE', 'CA', 'EE', 'US'];
const STATUSES = ['active', 'pending', 'suspended', 'closed'];

/** The _id of document i: 4-byte timestamp, 5 bytes fixed per seed, 3-byte counter (i < 2^24 per second). */
export function idFor(seed, i) {
  const buf = Buffer.alloc(12);
  buf.writeUInt32BE(BASE_TIME + Math.floor(i / 1_000_000), 0);
  buf.writeUInt32BE((seed * 2654435761) >>> 0, 4);
  buf.writeUInt8(0x5a, 8);
  buf.writeUIntBE(i % 1_000_000, 9, 3);
  return new ObjectId(buf);
}

function words(rnd, n) {
  const out = [];
  for (let k = 0; k < n; k++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]);
  return out.join(' ');
}

function text(rnd, bytes) {
  let s = '';
  while (s.length < bytes) s += (s ? ' ' : '') + WORDS[Math.floor(rnd() * WORDS.length)];
  return s.slice(0, bytes);
}

/** Document i of a variant; deterministic in (seed, variant, i). */
export function makeDoc(seed, variant, i) {
  const rnd = prng(seed, i);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  if (variant === 'tiny') return { _id: idFor(seed, i), n: i }; // for plans with many batches: cheap to scan
  const created = new Date(Date.UTC(2015, 0, 1) + Math.floor(rnd() * 10 * 365 * 86400_000));
  if (variant === '200b') {
    return {
      _id: idFor(seed, i),
      n: i,
      name: words(rnd, 2),
      score: Math.round(rnd() * 1e6) / 100,
      active: rnd() < 0.5,
      createdAt: created,
      tags: [pick(WORDS), pick(WORDS)],
      loc: { city: pick(CITIES), zip: String(10000 + Math.floor(rnd() * 89999)) },
      note: text(rnd, 14),
    };
  }
  const doc = {
    _id: idFor(seed, i),
    n: i,
    name: `${words(rnd, 2)} ${String.fromCharCode(65 + Math.floor(rnd() * 26))}.`,
    email: `${pick(WORDS)}.${pick(WORDS)}${Math.floor(rnd() * 1000)}@example.com`,
    status: pick(STATUSES),
    age: 18 + Math.floor(rnd() * 70),
    score: Math.round(rnd() * 1e6) / 100,
    ratio: rnd(),
    balance: Long.fromNumber(Math.floor(rnd() * 1e12) - 5e11),
    active: rnd() < 0.7,
    verified: rnd() < 0.4,
    deletedAt: null,
    createdAt: created,
    updatedAt: new Date(created.getTime() + Math.floor(rnd() * 365 * 86400_000)),
    address: {
      street: `${1 + Math.floor(rnd() * 999)} ${words(rnd, 2)} street`,
      city: pick(CITIES),
      zip: String(10000 + Math.floor(rnd() * 89999)),
      country: pick(COUNTRIES),
      geo: { lat: rnd() * 180 - 90, lng: rnd() * 360 - 180 },
    },
    tags: Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => pick(WORDS)),
    scores: Array.from({ length: 5 }, () => Math.floor(rnd() * 100)),
    prefs: {
      theme: rnd() < 0.5 ? 'dark' : 'light',
      lang: pick(['en', 'pt', 'de', 'ja', 'fr']),
      notify: { email: rnd() < 0.5, sms: rnd() < 0.2 },
    },
    bio: '',
  };
  if (variant === '16k') {
    doc.orders = Array.from({ length: 60 }, (_, k) => ({
      sku: `SKU-${Math.floor(rnd() * 1e6)}`,
      qty: 1 + Math.floor(rnd() * 5),
      price: Math.round(rnd() * 1e5) / 100,
      at: new Date(created.getTime() + k * 86400_000),
      note: words(rnd, 4),
    }));
  }
  // pad with prose to the variant's size (sizes drift by a few bytes with the random fields)
  const target = VARIANTS[variant];
  const size = BSON.calculateObjectSize(doc);
  doc.bio = text(rnd, Math.max(16, target - size));
  return doc;
}

/** Fingerprint of a dataset: parameters plus a few documents spread over it. */
export function fingerprint(seed, variant, docs) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: GENERATOR_VERSION, seed, variant, docs }));
  for (const i of [0, 1, Math.floor(docs / 2), docs - 1]) {
    if (i >= 0 && i < docs) h.update(BSON.serialize(makeDoc(seed, variant, i)));
  }
  return h.digest('hex');
}

/** Checksum of a set of ObjectId hex strings (order-free): count, sum and sum of squares of a 31-bit hash. */
export function idChecksum() {
  let count = 0;
  let sum = 0n;
  let sq = 0n;
  return {
    add(hex) {
      const x = (BigInt(`0x${hex}`) % 2305843009213693951n) + 1n;
      count++;
      sum += x;
      sq += x * x;
    },
    value: () => `${count}:${sum.toString(36)}:${sq.toString(36)}`,
  };
}

export function expectedIdChecksum(seed, docs) {
  const c = idChecksum();
  for (let i = 0; i < docs; i++) c.add(idFor(seed, i).toHexString());
  return c.value();
}

/**
 * Make db.collection hold exactly the dataset (seed, variant, docs), unless it already does: the same count and the
 * fingerprint stored by the last generation, and the first and last documents as expected.
 */
export async function ensureDataset(client, { db, collection, docs, variant = '1k', seed = 42, log = () => {} }) {
  if (!(variant in VARIANTS)) throw new Error(`unknown variant ${variant} (${Object.keys(VARIANTS).join(', ')})`);
  const database = client.db(db);
  const coll = database.collection(collection);
  const meta = database.collection(META_COLLECTION);
  const fp = fingerprint(seed, variant, docs);
  const avgBsonBytes = async () => {
    // sample: the sizes of up to 200 documents spread over the dataset, regenerated locally
    const step = Math.max(1, Math.floor(docs / 200));
    let n = 0;
    let bytes = 0;
    for (let i = 0; i < docs; i += step, n++) bytes += BSON.calculateObjectSize(makeDoc(seed, variant, i));
    return Math.round(bytes / n);
  };

  const stored = await meta.findOne({ _id: collection });
  if (stored?.fingerprint === fp) {
    const count = await coll.countDocuments({});
    if (count === docs) {
      // raw BSON: compared byte for byte with the locally regenerated documents
      const first = await coll.findOne({ _id: idFor(seed, 0) }, { raw: true });
      const last = await coll.findOne({ _id: idFor(seed, docs - 1) }, { raw: true });
      const same = (a, b) => a && Buffer.compare(Buffer.from(a), BSON.serialize(b)) === 0;
      if (same(first, makeDoc(seed, variant, 0)) && same(last, makeDoc(seed, variant, docs - 1))) {
        log(
          `dataset ${db}.${collection}: ${docs} docs (${variant}) already present, fingerprint ${fp.slice(0, 12)} matches`,
        );
        return { docs, avgBsonBytes: stored.avgBsonBytes ?? (await avgBsonBytes()), regenerated: false, seconds: 0 };
      }
    }
  }

  const started = performance.now();
  log(`dataset ${db}.${collection}: generating ${docs} docs (${variant}, seed ${seed})…`);
  await meta.deleteOne({ _id: collection });
  await coll.drop().catch(() => {});
  await database.createCollection(collection);
  let lastLog = Date.now();
  // two chunks in flight: the server converts one while it stores the other
  const inFlight = new Set();
  for (let start = 0; start < docs; start += INSERT_CHUNK) {
    const end = Math.min(docs, start + INSERT_CHUNK);
    const chunk = [];
    for (let i = start; i < end; i++) chunk.push(makeDoc(seed, variant, i));
    const p = coll.insertMany(chunk, { ordered: true }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  ${end}/${docs}`);
    }
  }
  await Promise.all(inFlight);
  const count = await coll.countDocuments({});
  if (count !== docs) throw new Error(`generated ${db}.${collection} holds ${count} documents, expected ${docs}`);
  const avg = await avgBsonBytes();
  await meta.replaceOne(
    { _id: collection },
    {
      _id: collection,
      fingerprint: fp,
      seed,
      variant,
      docs,
      avgBsonBytes: avg,
      generator: GENERATOR_VERSION,
      at: new Date(),
    },
    { upsert: true },
  );
  const seconds = (performance.now() - started) / 1000;
  log(
    `dataset ${db}.${collection}: ${docs} docs in ${seconds.toFixed(1)} s (${Math.round(docs / seconds)} docs/s), avg ${avg} B BSON`,
  );
  return { docs, avgBsonBytes: avg, regenerated: true, seconds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : def;
  };
  const uri = process.env.MONGO_URI;
  if (!uri) {
    process.stderr.write('set MONGO_URI\n');
    process.exit(2);
  }
  const client = new MongoClient(uri);
  try {
    const r = await ensureDataset(client, {
      db: opt('db', 'bench'),
      collection: opt('collection', `docs_${opt('variant', '1k')}_${opt('docs', '100000')}`),
      docs: Number(opt('docs', '100000')),
      variant: opt('variant', '1k'),
      seed: Number(opt('seed', '42')),
      log: (s) => process.stderr.write(`${s}\n`),
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await client.close();
  }
}
