// The server goes away mid-run: the run stops launching batches and fails fast; after a restart --resume finishes.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MongoClient } from 'mongodb';
import { recordFiles, recordStamps, tmpFiles } from '../helpers/output-dir.js';
import { explain, extractAll, readSummary, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { assertResumedExactlyOnce, privateServer, seedNumbers } from './_support.js';

const DOCS = 400;

test('server killed after the first batch: exit 1 without trying every batch; restarted, --resume completes without redoing finished batches', async (t) => {
  const server = await privateServer(t);
  if ('skip' in server) return t.skip(server.skip);
  const client = await MongoClient.connect(server.uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await seedNumbers(client.db('stop').collection('c'), DOCS, 2000);
  } finally {
    await client.close();
  }

  const tmp = await tmpDir(t);
  const out = join(tmp, 'out');
  const summaryFile = join(tmp, 's1.json');
  const flags = ['--retry-delay', '0.05', '--connect-timeout', '1', '--grace', '1', '--quiet'];
  const run = spawnExtractAll(t, [...sourceArgs('stop', 'c', out), '--batch-size', '50', '-j', '1', ...flags], {
    summary: summaryFile,
    env: { MONGO_URI: server.uri },
  });
  await waitFor(async () => recordFiles(await readdir(out).catch(() => [] as string[])).length > 0, {
    what: 'the first batch record',
    timeout: 30_000,
    abortIf: () => (run.hasExited() ? 'extract-all exited' : undefined),
  });
  server.kill('SIGKILL');
  await server.exited;
  const started = Date.now();
  const r1 = await run.exited;
  const s1 = await readSummary(summaryFile);
  t.diagnostic(`run ended ${Date.now() - started} ms after the server was killed`);
  assert.equal(r1.exitCode, 1, explain({ ...r1, summary: s1 }));
  assert.ok(s1, 'a summary was written');
  assert.equal(s1.status, 'failed');
  assert.ok(s1.stopped, 'the summary says why launching stopped');
  assert.ok(s1.batches.done >= 1);
  assert.ok(s1.batches.notRun > 0, `every batch was tried: ${JSON.stringify(s1.batches)}`);
  assert.equal(s1.batches.done + s1.batches.failed + s1.batches.notRun, s1.batches.total);
  assert.deepEqual(tmpFiles(await readdir(out)), []);
  assert.ok(!(await readdir(out)).includes('.extract.lock'));

  await server.restart();
  const before = await recordStamps(out);
  assert.equal(before.size, s1.batches.done);
  const r2 = await extractAll(['--out', out, '--resume', '-j', '2', ...flags], join(tmp, 's2.json'), {
    env: { MONGO_URI: server.uri },
  });
  assert.equal(r2.exitCode, 0, explain(r2));
  assert.equal(r2.summary?.batches.resumed, s1.batches.done);
  assert.equal(r2.summary?.docs, DOCS);
  await assertResumedExactlyOnce(out, before, DOCS);
});
