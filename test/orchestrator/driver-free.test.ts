// The orchestrator's memory over a long run: it never loads the driver (it plans in a process of its own, runs every
// batch in another one, and reads and writes only Extended JSON: src/driver.ts; the bundles load the driver on first
// use, scripts/bundle.js), and it holds V8's young generation at its initial size (src/memory.ts).
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from './_support.js';

const tdb = withDb('orch_driver_free');

/** Preloaded in every process of a run: at exit, the lazily loaded modules its bundle did load. */
const PROBE = `const fs = require('node:fs');
const who = ['extract-batch', 'plan-task'].find((c) => process.argv.includes(c)) ?? 'orchestrator'; // before the launcher drops it
if (require('node:worker_threads').isMainThread) process.on('exit', () => {
  const loaded = globalThis[Symbol.for('mongo-parallel-extract.loaded')];
  // objects that survive: V8 grows the young generation for them, unless it is held at its size
  const keep = [];
  for (let i = 0; i < 300000; i++) keep.push({ i });
  const young = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  const out = { loaded: [...(loaded ?? [])], youngMiB: young / 1048576, kept: keep.length };
  fs.writeFileSync(process.env.MPE_PROBE_DIR + '/' + who + '-' + process.pid + '.json', JSON.stringify(out));
});`;

async function loadedBy(batchSize: string, t: Parameters<typeof tmpDir>[0]) {
  const tmp = await tmpDir(t);
  await writeFile(join(tmp, 'probe.cjs'), PROBE);
  const out = join(tmp, 'out');
  const r = await extractAll(
    [...sourceArgs(tdb.name, 'c', out), '--batch-size', batchSize, ...FAST],
    join(tmp, 's.json'),
    {
      env: { NODE_OPTIONS: `--require ${join(tmp, 'probe.cjs')}`, MPE_PROBE_DIR: tmp },
    },
  );
  assert.equal(r.exitCode, 0, explain(r));
  const files = (await readdir(tmp)).filter(
    (f) => f.endsWith('.json') && /^(orchestrator|extract-batch|plan-task)-/.test(f),
  );
  const read = async (f: string) =>
    JSON.parse(await readFile(join(tmp, f), 'utf8')) as { loaded: string[]; youngMiB: number };
  const orchestrator = await Promise.all(files.filter((f) => f.startsWith('orchestrator-')).map(read));
  const batches = await Promise.all(files.filter((f) => f.startsWith('extract-batch-')).map(read));
  const planning = await Promise.all(files.filter((f) => f.startsWith('plan-task-')).map(read));
  return { orchestrator, batches, planning, summary: r.summary };
}

test('extract-all: the orchestrator never loads the driver and holds its young generation small; its planning process and batch processes do neither', async (t) => {
  await seedNumbers(tdb.db.collection('c'), 300, 10);
  for (const size of ['100', '1000']) {
    // 3 batches (a walk of the _id index), then 1 (metadata only): both plans come from the planning process
    const { orchestrator, batches, planning, summary } = await loadedBy(size, t);
    assert.equal(summary?.batches.total, size === '100' ? 3 : 1);
    assert.equal(orchestrator.length, 1);
    const [o] = orchestrator;
    assert.ok(!o!.loaded.includes('mongodb'), `the orchestrator loaded ${o!.loaded}`);
    assert.equal(batches.length, summary?.batches.total);
    for (const b of batches) assert.ok(b.loaded.includes('mongodb'), `a batch process loaded only ${b.loaded}`); // the probe sees it
    assert.equal(planning.length, 1);
    assert.ok(planning[0]!.loaded.includes('mongodb'), `the planning process loaded only ${planning[0]!.loaded}`);
    // its young generation is held at V8's initial size (src/memory.ts); a batch process's grows (the probe can tell)
    assert.ok(o!.youngMiB <= 4, `the orchestrator's young generation: ${o!.youngMiB} MiB`);
    for (const b of batches) assert.ok(b.youngMiB >= 8, `a batch process's young generation: ${b.youngMiB} MiB`);
  }
});
