#!/usr/bin/env node
// `npm run demo`: start a local FerretDB (built once, cached), load generated data whose _id mixes types,
// extract it with extract-all into ./demo-out, verify the result, stop the server.
// With MONGO_URI set, uses that server instead (writes the database "mpe_demo").
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, ObjectId } from 'mongodb';
import { ensureFerretDB, startFerretDB } from './ferretdb.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'demo-out');
const DOCS = Number(process.env.DEMO_DOCS ?? 20_000);

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

async function seed(uri) {
  const client = new MongoClient(uri);
  await client.connect();
  const coll = client.db('mpe_demo').collection('orders');
  await coll.drop().catch(() => {});
  const r = rng(42);
  const cities = ['Lyon', 'Oslo', 'Lagos', 'Lima', 'Pune', 'Kyoto', 'Perth', 'Quito'];
  let batch = [];
  for (let i = 0; i < DOCS; i++) {
    // mostly ObjectIds, some legacy integer and string ids: the mix that loses data in naive range splits
    const _id = i % 10 === 0 ? i : i % 10 === 1 ? `legacy-${i}` : new ObjectId();
    batch.push({
      _id,
      customer: { name: `customer ${Math.floor(r() * 5000)}`, city: cities[Math.floor(r() * cities.length)] },
      total: Math.round(r() * 100000) / 100,
      items: Array.from({ length: 1 + Math.floor(r() * 4) }, (_, k) => ({
        sku: `SKU-${k}-${Math.floor(r() * 999)}`,
        qty: 1 + Math.floor(r() * 5),
      })),
      status: r() < 0.8 ? 'shipped' : 'open',
      createdAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 3e10)),
    });
    if (batch.length === 5000) {
      await coll.insertMany(batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length) await coll.insertMany(batch, { ordered: false });
  await client.close();
}

if (!process.env.MONGO_URI) await ensureFerretDB();
const server = process.env.MONGO_URI ? undefined : await startFerretDB();
const uri = process.env.MONGO_URI ?? server.uri;
try {
  console.error(`demo: loading ${DOCS} documents into mpe_demo.orders (_id: ObjectIds, integers and strings)…`);
  await seed(uri);
  rmSync(out, { recursive: true, force: true });
  const env = { ...process.env, MONGO_URI: uri };
  const bin = (name) => path.join(root, 'bin', `${name}.js`);
  const cmd = ['--db', 'mpe_demo', '--collection', 'orders', '--out', out, '--batch-size', '5000'];
  console.error(`demo: extract-all ${cmd.join(' ')}`);
  execFileSync(process.execPath, [bin('extract-all'), ...cmd], { stdio: 'inherit', env });
  execFileSync(process.execPath, [bin('extract-verify'), '--out', out], { stdio: 'inherit', env });
  console.error(
    `demo: done — see ${path.relative(process.cwd(), out) || out}/ (plan.json, batch-*.json, record-*.json, manifest.json)`,
  );
} finally {
  await server?.stop();
}
