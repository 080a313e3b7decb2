// Case 4: the output directory fills up (a 512 KiB tmpfs).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnBin } from '../helpers/cli.js';
import { recordsHold, tmpFilesIn } from '../helpers/output-dir.js';
import { readOutput } from '../helpers/read-output.js';
import { readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { smallFilesystem, tmpDir } from '../helpers/tmp.js';
import { FAST } from './_support.js';

const tdb = withDb('hardening_disk');

test('4: disk full → exit 1, clear error, no retry of ENOSPC, no truncated file, finished batches intact', {
  timeout: 120_000,
}, async (t) => {
  const fsys = await smallFilesystem(t, 512);
  if ('skip' in fsys) {
    t.skip(fsys.skip);
    return;
  }
  const out = fsys.dir;
  // about 600 KB of JSON in 5 batches of about 120 KB: some fit, then the disk is full
  await tdb.db
    .collection('c')
    .insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, pad: 'p'.repeat(250) })) as never[]);
  const side = await tmpDir(t, 'mpe-hard-disk-');
  const summaryPath = join(side, 'summary.json');
  const r = await spawnBin(
    'extract-all',
    [
      ...sourceArgs(tdb.name, 'c', out),
      '--batch-size',
      '400',
      '--concurrency',
      '1',
      '--retries',
      '3',
      '--summary',
      summaryPath,
      ...FAST,
    ],
    { t, timeout: 90_000 },
  ).exited;
  assert.equal(r.exitCode, 1, r.stderr);
  const s = await readJson(summaryPath);
  assert.equal(s.status, 'failed');
  assert.ok(s.batches.done >= 1, `some batches finished before the disk filled (${s.batches.done})`);
  assert.ok(s.failures.length >= 1, 'a batch failed');
  for (const f of s.failures) {
    assert.equal(f.attempts, 1, `batch ${f.batch}: ENOSPC is not retried (${f.attempts} attempts)`);
    assert.match(f.lastError, /no space left on device/);
  }
  assert.equal(s.retries, 0, 'no retries at all');
  assert.ok(s.stopped, 'the run stopped launching batches');
  assert.equal(s.batches.done + s.batches.failed + s.batches.notRun, s.batches.total);
  assert.match(r.stderr, /no space left on device/);

  const names = await readdir(out);
  assert.deepEqual(await tmpFilesIn(out), [], 'no temporary file left');
  for (const f of s.failures)
    assert.ok(
      !names.some((n) => n.startsWith(`batch-${String(f.batch).padStart(5, '0')}`)),
      `no file for failed batch ${f.batch}`,
    );
  for (const n of names.filter((x) => x.startsWith('batch-'))) await readOutput(join(out, n)); // parses: nothing truncated
  const held = await recordsHold(out);
  assert.equal(held.length, s.batches.done);
  assert.deepEqual(
    held.filter((x) => !x.ok),
    [],
    'finished batches match their records (sha256)',
  );
  assert.ok(existsSync(join(out, 'manifest.json')), 'the manifest of what is done was written');
});
