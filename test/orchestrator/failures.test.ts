// Children that die, keep failing, or flood stderr: the run still ends complete, or fails naming the batch.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { dataFiles, duplicates, idsInOutput, recordFiles, recordStamps, tmpFiles } from '../helpers/output-dir.js';
import { procStatusKiB } from '../helpers/proc.js';
import { idKeys } from '../helpers/read-output.js';
import { explain, extractAll, FAST, readSummary, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { type Cleanup, tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { expectedKeys, preload, seedNumbers } from './_support.js';

const tdb = withDb('orch_failures');
const DOCS = 300;

/** Run extract-all on `c` into `out`, sampling its VmHWM (which only grows: the last reading is its peak). */
async function peakRun(t: Cleanup, out: string, env: Record<string, string>) {
  const summaryFile = `${out}.summary.json`;
  const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'c', out), '--batch-size', '100', '-j', '2', ...FAST], {
    summary: summaryFile,
    env,
  });
  let peakKiB = 0;
  while (!run.hasExited()) {
    peakKiB = Math.max(peakKiB, procStatusKiB(run.pid, 'VmHWM') ?? 0);
    await new Promise((ok) => setTimeout(ok, 10));
  }
  const r = await run.exited;
  return { ...r, peakKiB, summary: await readSummary(summaryFile) };
}

describe('extract-all: failing children', () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 2000));

  test('a child SIGKILLed while writing its file is retried; the result is complete', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const summaryFile = join(tmp, 'summary.json');
    const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'c', out), '--batch-size', '50', '-j', '2', ...FAST], {
      summary: summaryFile,
    });
    // A temporary file names the pid of the child writing it: kill that child mid-write.
    const victim = await waitFor(
      async () => {
        const names = await readdir(out).catch(() => [] as string[]);
        for (const n of tmpFiles(names)) {
          const m = /^\.batch-(\d+)\.json\.(\d+)-[0-9a-f]+\.tmp$/.exec(n);
          if (!m) continue;
          const pid = Number(m[2]);
          try {
            if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('extract-batch')) continue;
            process.kill(pid, 'SIGKILL');
            return { pid, batch: Number(m[1]) };
          } catch {}
        }
        return undefined;
      },
      {
        what: 'a child writing a temporary file',
        timeout: 30_000,
        interval: 2,
        abortIf: () => (run.hasExited() ? 'extract-all exited' : undefined),
      },
    );
    t.diagnostic(`SIGKILLed pid ${victim.pid} writing batch ${victim.batch}`);
    const r = await run.exited;
    const summary = await readSummary(summaryFile);
    assert.equal(r.exitCode, 0, explain({ ...r, summary }));
    assert.equal(summary?.status, 'complete');
    assert.ok((summary?.retries ?? 0) >= 1, 'the killed batch was retried');
    assert.deepEqual(summary?.failures, []);
    const got = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got), []);
    assert.deepEqual(got, await expectedKeys(tdb.db.collection('c')));
    assert.deepEqual(tmpFiles(await readdir(out)), [], 'the killed child’s temporary file is cleaned up');
    assert.equal((await runBin('extract-verify', ['--out', out])).exitCode, 0);
  });

  test('a batch that keeps failing: exit 1, the others complete, the summary names it; --resume then finishes without redoing the rest', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const plan = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', out), '--batch-size', '50', '--quiet']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const BAD = 2;
    // A directory where batch 2's file must go: that batch fails (EISDIR) however often it is tried.
    const obstacle = join(out, 'batch-00002.json');
    await mkdir(obstacle);

    const r1 = await extractAll(['--out', out, '--resume', '-j', '2', ...FAST], join(tmp, 's1.json'));
    assert.equal(r1.exitCode, 1, explain(r1));
    const s1 = r1.summary!;
    assert.equal(s1.status, 'failed');
    assert.ok(s1.batches.total >= 6, `expected several batches, got ${s1.batches.total}`);
    assert.equal(s1.batches.failed, 1);
    assert.equal(s1.batches.notRun, 0, 'every other batch ran');
    assert.equal(s1.batches.done, s1.batches.total - 1);
    assert.equal(s1.stopped, null);
    assert.equal(s1.failures.length, 1);
    const f = s1.failures[0]!;
    assert.equal(f.batch, BAD);
    assert.equal(f.exitCode, 6, 'an output error');
    assert.equal(f.attempts, 1, 'a permanent failure is not retried');
    assert.match(f.rerun, /extract-batch --plan \S*plan\.json --batch 2$/);
    assert.ok(f.rerun.includes(join(out, 'plan.json')));

    const names1 = await readdir(out);
    const records1 = recordFiles(names1);
    assert.equal(records1.length, s1.batches.total - 1);
    assert.ok(!records1.includes('record-00002.json'));
    const coll = tdb.db.collection('c');
    const got1 = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got1), []);
    assert.equal(got1.length, s1.docs);
    assert.equal(s1.docs, s1.expectedDocs - 50, 'only batch 2 (50 documents) is missing');
    assert.equal((await runBin('extract-verify', ['--out', out])).exitCode, 1);

    await rmdir(obstacle);
    const before = await recordStamps(out);
    const r2 = await extractAll(['--out', out, '--resume', '-j', '2', ...FAST], join(tmp, 's2.json'));
    assert.equal(r2.exitCode, 0, explain(r2));
    assert.equal(r2.summary?.batches.resumed, s1.batches.total - 1);
    assert.equal(r2.summary?.docs, s1.expectedDocs);
    const after = await recordStamps(out);
    for (const [file, stamp] of before) assert.deepEqual(after.get(file), stamp, `${file} was rewritten`);
    assert.ok(after.has('record-00002.json'));
    const got2 = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got2), []);
    assert.deepEqual(got2, await expectedKeys(coll));
    assert.equal((await runBin('extract-verify', ['--out', out])).exitCode, 0);
  });

  test('a child flooding stderr with 100 MB: the orchestrator’s memory stays bounded and the run completes', async (t) => {
    const FLOOD_MB = 100;
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const marker = join(tmp, 'flooded');
    const nodeOptions = await preload(
      tmp,
      'flood',
      `const FLOOD_MB = ${FLOOD_MB};
  if (batch === 1 && !fs.existsSync(${JSON.stringify(marker)})) {
    fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid));
    const chunk = Buffer.alloc(1 << 20, 'e');
    chunk[chunk.length - 1] = 10;
    for (let i = 0; i < FLOOD_MB; i++) {
      let off = 0;
      while (off < chunk.length) {
        try { off += fs.writeSync(2, chunk, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
      }
    }
    fs.writeSync(2, 'flood: exited\\n');
    process.exit(1);
  }`,
    );
    // The same run without the flood, for the orchestrator's usual peak.
    const base = await peakRun(t, join(tmp, 'base'), {});
    assert.equal(base.exitCode, 0, explain(base));
    const { peakKiB, summary, ...r } = await peakRun(t, out, { NODE_OPTIONS: nodeOptions });
    assert.ok(existsSync(marker), 'the flooding child ran');
    assert.equal(r.exitCode, 0, explain({ ...r, summary }));
    assert.ok(peakKiB > 0 && base.peakKiB > 0, 'read the orchestrator’s memory');
    const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
    t.diagnostic(`orchestrator peak RSS ${mb(peakKiB)} with the flood, ${mb(base.peakKiB)} without`);
    assert.ok(peakKiB < 200 * 1024, `orchestrator peak RSS ${mb(peakKiB)}`);
    // Holding the flood would cost at least its size; reading it through a bounded tail costs only garbage not yet
    // collected (measured 30-60 MB here, not growing with the flood).
    assert.ok(
      peakKiB - base.peakKiB < FLOOD_MB * 0.8 * 1024,
      `the flood cost the orchestrator ${mb(peakKiB - base.peakKiB)}`,
    );
    assert.equal(summary?.status, 'complete');
    assert.equal(summary?.retries, 1);
    assert.equal(summary?.docs, DOCS);
    assert.equal(dataFiles(await readdir(out)).length, summary?.batches.total);
  });
});
