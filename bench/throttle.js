#!/usr/bin/env node
// Throttle accuracy: does --max-docs-per-second hold for a whole run, shared by the batches running at once?
//
//   npm run bench:throttle [-- --docs N --limit DOCS_PER_S --concurrency J]
//
// Runs extract-all over N generated 1 KB documents (a private FerretDB, or $MONGO_URI) with the limit, once at -j J
// with 4 × J batches (children start and end, so shares change), and samples the bytes in its output directory (temporary and
// final batch files) every 100 ms. The documents written by a moment are those bytes over the bytes per document
// (the run's total over its count). Reports the run's rate and the highest rate over any 5-second window, each as a
// fraction of the limit (the bound: ≤ 1.10 in any 5 s). Results: bench/results/throttle.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { ensureDataset } from './generate.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const argv = process.argv.slice(2);
const value = (name, dflt) => {
  const k = argv.indexOf(`--${name}`);
  return k >= 0 ? Number(argv[k + 1]) : dflt;
};
const docs = value('docs', 30_000);
const limit = value('limit', 2_000);
const concurrency = value('concurrency', 2);
const DB = 'mpe_bench';
const log = (s) => process.stderr.write(`${s}\n`);

let server;
let uri = process.env.MONGO_URI;
if (!uri) {
  const { startFerretDB } = await import('../scripts/ferretdb.js');
  server = await startFerretDB();
  uri = server.uri;
}
const tmp = fs.mkdtempSync(path.join(benchDir, 'tmp-throttle-'));
try {
  const client = await MongoClient.connect(uri);
  const collection = `throttle_${docs}`;
  await ensureDataset(client, { db: DB, collection, docs, log });
  await client.close();
  const out = path.join(tmp, 'out');
  const args = [
    path.join(repoRoot, 'bin', 'extract-all.js'),
    '--db',
    DB,
    '--collection',
    collection,
    '--out',
    out,
    '--batches',
    String(4 * concurrency),
    '-j',
    String(concurrency),
    '--max-docs-per-second',
    String(limit),
    '--summary',
    path.join(tmp, 'summary.json'),
    '--quiet',
  ];
  log(`extract-all over ${docs} documents at --max-docs-per-second ${limit} -j ${concurrency}`);
  const child = spawn(process.execPath, args, { env: { ...process.env, MONGO_URI: uri }, stdio: 'inherit' });
  const samples = []; // [ms, bytes]
  const started = performance.now();
  const sizeOf = () => {
    let bytes = 0;
    for (const name of fs.existsSync(out) ? fs.readdirSync(out) : []) {
      // batch files, and their temporary files (.batch-….json.PID-RAND.tmp) while they are written
      if (!/^\.?batch-\d+/.test(name)) continue;
      try {
        bytes += fs.statSync(path.join(out, name)).size;
      } catch {
        // renamed between the listing and the stat: counted at the next sample
      }
    }
    return bytes;
  };
  const timer = setInterval(() => samples.push([performance.now() - started, sizeOf()]), 100);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  samples.push([performance.now() - started, sizeOf()]);
  if (code !== 0) throw new Error(`extract-all exited ${code}`);
  const summary = JSON.parse(fs.readFileSync(path.join(tmp, 'summary.json'), 'utf8'));
  const perDoc = summary.bytes / summary.docs;
  // the run phase: from the first byte written to the last
  const first = samples.find(([, b]) => b > 0)?.[0] ?? 0;
  const last = samples.find(([, b]) => b >= summary.bytes)?.[0] ?? samples.at(-1)[0];
  let worst = 0;
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      if (samples[j][0] - samples[i][0] >= 5000) {
        const rate = (samples[j][1] - samples[i][1]) / perDoc / ((samples[j][0] - samples[i][0]) / 1000);
        worst = Math.max(worst, rate);
        break;
      }
    }
  }
  const result = {
    docs: summary.docs,
    limit,
    concurrency,
    batches: summary.batches.total,
    runSeconds: summary.seconds,
    planningSeconds: summary.planningSeconds,
    writeSeconds: Math.round(last - first) / 1000,
    runRate: Math.round(summary.docs / ((last - first) / 1000)),
    runRatio: Math.round((summary.docs / ((last - first) / 1000) / limit) * 1000) / 1000,
    max5sRate: Math.round(worst),
    max5sRatio: Math.round((worst / limit) * 1000) / 1000,
    planningKeysPerSecond: Math.round(summary.docs / summary.planningSeconds),
  };
  // --no-save: the full benchmark runs this and keeps the result in its own results file
  if (!argv.includes('--no-save')) {
    fs.mkdirSync(path.join(benchDir, 'results'), { recursive: true });
    fs.writeFileSync(path.join(benchDir, 'results', 'throttle.json'), `${JSON.stringify(result, null, 2)}\n`);
  }
  console.log(JSON.stringify(result, null, 2));
  log(
    `throttle: ${result.runRate} docs/s over the run (${result.runRatio} × the limit), at most ${result.max5sRate} in any 5 s (${result.max5sRatio} ×; bound 1.10); planning walked ${result.planningKeysPerSecond} keys/s`,
  );
  if (result.max5sRatio > 1.1) process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  await server?.stop();
}
