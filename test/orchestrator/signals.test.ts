// SIGINT to extract-all mid-run: exit 130, children gone, no temporary files, no lock; --resume finishes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { BUNDLE, runBin } from '../helpers/cli.js';
import { duplicates, idsInOutput, recordFiles, recordStamps, tmpFiles } from '../helpers/output-dir.js';
import { batchProcesses, processAlive } from '../helpers/proc.js';
import { idKeys } from '../helpers/read-output.js';
import { explain, extractAll, FAST, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { assertResumedExactlyOnce, seedNumbers } from './_support.js';

const tdb = withDb('orch_signals');
const DOCS = 400;

describe('extract-all: signals', () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 2000));

  test('SIGINT mid-run: exit 130, no orphans, no temporary files, no lock; then --resume completes', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'c', out), '--batch-size', '50', '-j', '2', ...FAST]);
    const seen = new Set<number>();
    // Interrupt once a batch is done and another child is in the middle of writing its file.
    await waitFor(
      async () => {
        for (const p of batchProcesses(out)) seen.add(p.pid);
        const names = await readdir(out).catch(() => [] as string[]);
        return recordFiles(names).length > 0 && tmpFiles(names).length > 0 && batchProcesses(out).length > 0;
      },
      {
        what: 'a finished batch and a child writing',
        timeout: 30_000,
        interval: 2,
        abortIf: () => (run.hasExited() ? 'extract-all exited' : undefined),
      },
    );
    for (const p of batchProcesses(out)) seen.add(p.pid);
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.equal(r.exitCode, 130, `exit ${r.exitCode} signal ${r.signal}\n${r.stderr}`);
    // When extract-all is gone its children must be gone too: nothing is left to reap them later.
    assert.deepEqual(batchProcesses(out), [], 'extract-batch processes outlived extract-all');
    assert.deepEqual([...seen].filter(processAlive), []);
    const names = await readdir(out);
    assert.deepEqual(tmpFiles(names), [], 'temporary files left behind');
    assert.ok(!names.includes('.extract.lock'), 'lock file left behind');

    const before = await recordStamps(out);
    assert.ok(before.size >= 1);
    const r2 = await extractAll(['--out', out, '--resume', '-j', '2', ...FAST], join(tmp, 's2.json'));
    assert.equal(r2.exitCode, 0, explain(r2));
    assert.equal(r2.summary?.batches.resumed, before.size);
    await assertResumedExactlyOnce(out, before, DOCS);
  });

  test('extract-all SIGKILLed mid-run (its children orphaned): --resume at once takes over and the result is exactly complete', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'c', out), '--batch-size', '50', '-j', '2', ...FAST]);
    await waitFor(
      async () =>
        recordFiles(await readdir(out).catch(() => [] as string[])).length > 0 && batchProcesses(out).length > 0,
      {
        what: 'a finished batch and a running child',
        timeout: 30_000,
        interval: 2,
        abortIf: () => (run.hasExited() ? 'extract-all exited' : undefined),
      },
    );
    run.child.kill('SIGKILL');
    await run.exited;
    const orphans = batchProcesses(out).map((p) => p.pid);
    t.diagnostic(`${orphans.length} orphaned extract-batch process(es) still running after SIGKILL`);
    t.after(() => {
      for (const pid of orphans) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    });

    const r = await extractAll(['--out', out, '--resume', '-j', '2', ...FAST], join(tmp, 's2.json'));
    assert.equal(r.exitCode, 0, explain(r));
    assert.equal(r.summary?.docs, DOCS);
    await waitFor(() => orphans.every((pid) => !processAlive(pid)), {
      what: 'the orphans to finish',
      timeout: 30_000,
      interval: 20,
    });
    // Whatever the orphans did meanwhile, the directory holds every document once and checks out.
    const got = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got), []);
    assert.deepEqual(got, idKeys(Array.from({ length: DOCS }, (_, i) => i)));
    const v = await runBin('extract-verify', ['--out', out]);
    assert.equal(v.exitCode, 0, v.stderr);
    const names = await readdir(out);
    assert.ok(!names.includes('.extract.lock'));
  });

  test('SIGINT while the _id index is walked (in the planning process): exit 130, no plan, no lock', async (t) => {
    const coll = tdb.db.collection('walk');
    for (let k = 0; k < 20_000; k += 5_000)
      await coll.insertMany(Array.from({ length: 5_000 }, (_, i) => ({ _id: k + i })) as never[]);
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const marker = join(tmp, 'walking');
    // In the planning process (NODE_OPTIONS reaches it too): slow the walk to ~1 ms a key (~20 s), then say it
    // started; the signal must end it long before it could finish.
    const preload = join(tmp, 'walk-marker.cjs');
    await writeFile(
      preload,
      `if (process.argv.includes('plan-task')) {
  const proto = require(${JSON.stringify(BUNDLE)}).AbstractCursor.prototype;
  const next = proto.next;
  proto.next = async function () { await new Promise((r) => setTimeout(r, 1)); return next.call(this); };
  require('node:fs').writeFileSync(${JSON.stringify(marker)}, '');
}`,
    );
    const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'walk', out), '--batch-size', '10', ...FAST], {
      env: { NODE_OPTIONS: `--require ${preload}` },
    });
    await waitFor(() => existsSync(marker), {
      what: 'the planning process to start',
      timeout: 30_000,
      interval: 2,
      abortIf: () => (run.hasExited() ? 'extract-all exited' : undefined),
    });
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.doesNotMatch(r.stderr, /planned \S+ in [\d.]+ s: /);
    assert.equal(r.exitCode, 130, `exit ${r.exitCode} signal ${r.signal}\n${r.stderr}`);
    assert.equal(existsSync(out), false, 'neither a plan nor a lock is left: the directory this run created is gone');
  });
});
