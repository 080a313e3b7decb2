// The orchestrator's memory over a long run (src/memory.ts): it holds V8's young generation at its initial size,
// and a walk of the _id index runs in a process of its own (src/orchestrator/plan-process.ts); batch processes keep
// V8's defaults.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { explain, extractAll, FAST, sourceArgs } from './helpers/run.js';
import { withDb } from './helpers/server.js';
import { tmpDir } from './helpers/tmp.js';
import { seedNumbers } from './orchestrator/_support.js';

const tdb = withDb('memory');

/** Preloaded in every process of a run: at exit, the size of its young generation after a burst of survivors. */
const PROBE = `const fs = require('node:fs');
const who = ['extract-batch', 'plan-task'].find((c) => process.argv.includes(c)) ?? 'orchestrator'; // before the launcher drops it
process.on('exit', () => {
  // objects that survive: V8 grows the young generation for them, unless it is held at its size
  const keep = [];
  for (let i = 0; i < 300000; i++) keep.push({ i });
  const young = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  fs.writeFileSync(process.env.MPE_PROBE_DIR + '/' + who + '-' + process.pid + '.json', JSON.stringify({ youngMiB: young / 1048576, kept: keep.length }));
});`;

async function probed(batchSize: string, t: Parameters<typeof tmpDir>[0]) {
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
  const files = (await readdir(tmp)).filter((f) => /^(orchestrator|extract-batch|plan-task)-\d+\.json$/.test(f));
  const read = (prefix: string) =>
    Promise.all(
      files
        .filter((f) => f.startsWith(prefix))
        .map(async (f) => JSON.parse(await readFile(join(tmp, f), 'utf8')) as { youngMiB: number }),
    );
  return {
    orchestrator: await read('orchestrator-'),
    batches: await read('extract-batch-'),
    planning: await read('plan-task-'),
    summary: r.summary,
  };
}

test("extract-all holds its young generation at V8's initial size; a walk runs in a planning process; batches keep the defaults", async (t) => {
  await seedNumbers(tdb.db.collection('c'), 300, 10);
  for (const size of ['100', '1000']) {
    // 3 batches (a walk of the _id index, in its own process), then 1 (the metadata says so: no process)
    const { orchestrator, batches, planning, summary } = await probed(size, t);
    const walked = size === '100';
    assert.equal(summary?.batches.total, walked ? 3 : 1);
    assert.equal(orchestrator.length, 1);
    // held where it was when extract-all started: 2 MiB on Node 20; Node 22 has grown it to 8 while loading the bundle
    assert.ok(orchestrator[0]!.youngMiB <= 8, `the orchestrator's young generation: ${orchestrator[0]!.youngMiB} MiB`);
    assert.equal(planning.length, walked ? 1 : 0, 'a planning process for the walk only');
    assert.equal(batches.length, summary?.batches.total);
    // the probe can tell: a process that does not hold it grows it
    for (const b of [...batches, ...planning])
      assert.ok(b.youngMiB >= 16, `a child's young generation: ${b.youngMiB} MiB`);
  }
});
