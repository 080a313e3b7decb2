// --batch-bytes: batches planned by size (what warehouses want: files of about 100-250 MB) instead of a count; the
// documents per batch follow from the average BSON size the server reports (or one measured on a sample).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { dataFiles, outputIds } from '../helpers/output-dir.js';
import { explain, extractAll, FAST, readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from './_support.js';

const tdb = withDb('orch_batch_bytes');
const DOCS = 300;

let seeded: Promise<void> | undefined;
const seed = (): Promise<void> => (seeded ??= seedNumbers(tdb.db.collection('c'), DOCS, 1000));

test('--batch-bytes 100kB on ~1 KB documents: batches of about 100 documents, every document once', async (t) => {
  await seed();
  const tmp = await tmpDir(t);
  const out = join(tmp, 'out');
  const r = await extractAll(
    [...sourceArgs(tdb.name, 'c', out), '--batch-bytes', '100kB', '--verbose', ...FAST.filter((f) => f !== '--quiet')],
    join(tmp, 's.json'),
  );
  assert.equal(r.exitCode, 0, explain(r));
  const plan = await readJson(join(out, 'plan.json'));
  // the server's average size (MongoDB: BSON; FerretDB reports its own storage's, ~1.4 KB here)
  const avg = plan.method.avgDocBytes as number;
  assert.ok(avg >= 1000 && avg <= 2000, `average document size ${avg}`);
  const per = plan.method.batchSize as number;
  assert.equal(per, Math.floor(100_000 / avg));
  assert.equal(plan.batches.length, Math.ceil(DOCS / per));
  assert.match(r.stderr, /--batch-bytes 100000: documents average \d+ B of BSON/, 'said with --verbose');
  const ids = await outputIds(out);
  assert.equal(ids.keys.length, DOCS);
  assert.deepEqual(ids.dups, []);
  assert.equal(dataFiles(await readdir(out)).length, plan.batches.length);
});

test('--batch-bytes with --batch-size or --batches: one line, exit 2', async (t) => {
  await seed();
  const out = join(await tmpDir(t), 'out');
  for (const other of [
    ['--batch-size', '10'],
    ['--batches', '3'],
  ]) {
    const r = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', out), '--batch-bytes', '1MB', ...other]);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(
      r.stderr.trim(),
      new RegExp(
        `^extract-plan: ${other[0]} and --batch-bytes conflict|^extract-plan: --batch-bytes and ${other[0]} conflict|conflict`,
      ),
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
