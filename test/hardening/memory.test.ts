// Cases 6 (documents near 16 MiB, a batch of many documents: child memory) and 12 (10,000 planned batches:
// orchestrator memory and bookkeeping). Figures are printed as test diagnostics.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runBin, spawnBin } from '../helpers/cli.js';
import { outputIds, recordsHold, sha256 } from '../helpers/output-dir.js';
import { readOutput } from '../helpers/read-output.js';
import { readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { FAST, type Faults, faults } from './_support.js';

const tdb = withDb('hardening_memory');

const MiB = 1024 * 1024;

/** Peak resident memory (VmHWM) of the processes the preload reported, in MiB. */
function peaks(f: Faults, kind: 'batch' | 'all'): number[] {
  const files = f.list(`hwm-${kind}-`);
  assert.ok(files.length > 0, `no extract-${kind} process reported its peak RSS (did the preload recognise it?)`);
  return files.map((n) => Number(f.read(n)) / 1024);
}

async function exportTo(
  t: { after(fn: () => unknown): void },
  coll: string,
  out: string,
  more: string[],
  env: Record<string, string>,
) {
  const summaryPath = `${out}.summary.json`;
  const r = await spawnBin(
    'extract-all',
    [...sourceArgs(tdb.name, coll, out), '--summary', summaryPath, ...FAST, ...more],
    { t, env, timeout: 120_000 },
  ).exited;
  return { ...r, summary: await readJson(summaryPath).catch(() => undefined) };
}

describe('memory', { timeout: 240_000 }, () => {
  test('6a: documents near the 16 MiB limit → correct output, bounded child memory', async (t) => {
    const coll = tdb.db.collection('big');
    // the largest document the server takes: 16 MiB less a little, and 16 MiB plus a little is refused
    const near = 16 * MiB - 1024;
    await coll.insertOne({ _id: 0, s: 'n'.repeat(near - 40) } as never);
    const over = await coll.insertOne({ _id: -1, s: 'o'.repeat(16 * MiB + 1024) } as never).then(
      () => 'accepted',
      (e: Error) => `refused (${e.message.split('\n')[0]})`,
    );
    if (over === 'accepted') await coll.deleteOne({ _id: -1 } as never);
    t.diagnostic(`a document over 16 MiB: ${over}`);
    const sizes = [near - 40];
    for (let i = 1; i < 4; i++) {
      const len = 15 * MiB + i * 1000;
      await coll.insertOne({ _id: i, s: String.fromCharCode(96 + i).repeat(len) } as never);
      sizes.push(len);
    }
    const dir = await tmpDir(t, 'mpe-hard-big-');
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    // Two documents per batch. FerretDB does not cap a reply at 16 MiB as MongoDB does: it sends a batch's first
    // 101 documents in one reply, however large, so here a child holds every document of its batch at once.
    const r = await exportTo(t, 'big', out, ['--batch-size', '2', '--concurrency', '1'], f.env(['hwm']));
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.summary.docs, sizes.length);
    const seen: number[] = [];
    for (const file of (await outputIds(out)).files) {
      for (const d of (await readOutput(join(out, file))).docs) {
        const id = Number(d._id);
        assert.equal(d.s.length, sizes[id], `document ${id} is whole`);
        seen.push(id);
      }
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      sizes.map((_, i) => i),
    );
    const child = Math.max(...peaks(f, 'batch'));
    const orchestrator = Math.max(...peaks(f, 'all'));
    t.diagnostic(
      `peak RSS (VmHWM): extract-batch ${child.toFixed(0)} MiB for 2 documents of 15-16 MiB per batch (both in one server reply); extract-all ${orchestrator.toFixed(0)} MiB`,
    );
    assert.ok(child < 400, `extract-batch peak ${child.toFixed(0)} MiB`);
    assert.ok(orchestrator < 150, `extract-all peak ${orchestrator.toFixed(0)} MiB`);
  });

  test('6b: one batch of many small documents → bounded child memory', async (t) => {
    const N = Number(process.env.MPE_HARDENING_MANY ?? 60_000);
    const coll = tdb.db.collection('many');
    const started = Date.now();
    for (let k = 0; k < N; k += 25_000) {
      await coll.insertMany(
        Array.from({ length: Math.min(25_000, N - k) }, (_, i) => ({
          _id: k + i,
          a: i,
          s: 'small doc',
          d: new Date(0),
        })) as never[],
      );
    }
    const inserted = Date.now() - started;
    const dir = await tmpDir(t, 'mpe-hard-many-');
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const r = await exportTo(
      t,
      'many',
      out,
      ['--batch-size', String(N), '--concurrency', '1', '--format', 'ndjson'],
      f.env(['hwm']),
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.summary.docs, N);
    const ids = await outputIds(out);
    assert.equal(ids.keys.length, N);
    assert.deepEqual(ids.dups, []);
    const child = Math.max(...peaks(f, 'batch'));
    t.diagnostic(
      `${N} documents in one batch: extract-batch peak RSS ${child.toFixed(0)} MiB; insert ${(inserted / 1000).toFixed(1)} s, export ${r.summary.seconds} s`,
    );
    assert.ok(child < 200, `extract-batch peak ${child.toFixed(0)} MiB`);
  });

  test('12: 10,000 planned batches → orchestrator memory bounded, no large file rewritten per batch', async (t) => {
    const N = 10_000;
    const coll = tdb.db.collection('tenk');
    await coll.insertMany(Array.from({ length: N }, (_, i) => ({ _id: i })) as never[]);
    const dir = await tmpDir(t, 'mpe-hard-10k-');
    const out = join(dir, 'out');
    const planStarted = Date.now();
    const planned = await runBin('extract-plan', [...sourceArgs(tdb.name, 'tenk', out), '--batch-size', '1'], {
      timeout: 120_000,
    });
    assert.equal(planned.exitCode, 0, planned.stderr);
    const planSeconds = (Date.now() - planStarted) / 1000;
    const planPath = join(out, 'plan.json');
    const plan = JSON.parse(await readFile(planPath, 'utf8'));
    assert.ok(plan.batches.length >= N, `${plan.batches.length} batches`);
    const width = Math.max(5, String(plan.batches.length - 1).length);
    const pad = (i: number) => String(i).padStart(width, '0');

    // One real batch, to take the exact bytes a one-document batch has; then every batch but the last few is
    // finished the same way (file + record), as a run interrupted near the end leaves them.
    const real = await runBin('extract-batch', ['--plan', planPath, '--batch', '0']);
    assert.equal(real.exitCode, 0, real.stderr);
    const template = await readFile(join(out, `batch-${pad(0)}.json`), 'utf8');
    assert.equal(template, '[\n{"_id":0}\n]\n');
    const leaveOut = 5;
    for (let i = 1; i < N - leaveOut; i++) {
      const body = `[\n{"_id":${i}}\n]\n`;
      const file = `batch-${pad(i)}.json`;
      await writeFile(join(out, file), body);
      const record = {
        format: 'mongo-parallel-extract/record@1',
        planId: plan.planId,
        batch: i,
        file,
        docs: 1,
        bytes: Buffer.byteLength(body),
        sha256: sha256(body),
        seconds: 0.1,
        finishedAt: new Date().toISOString(),
        host: hostname(),
        pid: 1,
      };
      await writeFile(join(out, `record-${pad(i)}.json`), JSON.stringify(record));
    }
    const planMtime = (await stat(planPath)).mtimeMs;

    const f = await faults(join(dir, 'fi'));
    const summaryPath = join(dir, 'summary.json');
    const r = await spawnBin(
      'extract-all',
      ['--out', out, '--resume', '--concurrency', '2', '--summary', summaryPath, ...FAST],
      { t, env: f.env(['hwm', 'renames']), timeout: 120_000 },
    ).exited;
    assert.equal(r.exitCode, 0, r.stderr);
    const s = await readJson(summaryPath);
    assert.equal(s.status, 'complete');
    assert.equal(s.batches.total, plan.batches.length);
    assert.equal(s.batches.resumed, N - leaveOut);
    assert.equal(s.docs, N);
    const orchestrator = Math.max(...peaks(f, 'all'));
    const renames = f.read('renames-all').trim().split('\n');
    t.diagnostic(
      `${plan.batches.length} batches: planning ${planSeconds.toFixed(1)} s (plan.json ${((await stat(planPath)).size / MiB).toFixed(1)} MiB); resume checked ${N - leaveOut} batches (sha256) and ran ${s.batches.total - s.batches.resumed} in ${s.seconds} s; extract-all peak RSS ${orchestrator.toFixed(0)} MiB; files it published: ${renames.join(', ')}`,
    );
    assert.ok(orchestrator < 150, `extract-all peak RSS ${orchestrator.toFixed(0)} MiB`);
    // the orchestrator publishes the manifest once and the summary once; the plan is never rewritten
    assert.deepEqual(renames.sort(), ['manifest.json', 'summary.json']);
    assert.equal((await stat(planPath)).mtimeMs, planMtime);
    const ids = await outputIds(out);
    assert.equal(ids.keys.length, N);
    assert.deepEqual(ids.dups, []);
    const bad = (await recordsHold(out)).filter((x) => !x.ok);
    assert.deepEqual(bad, []);
  });
});
