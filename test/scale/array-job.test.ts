// An array job simulated locally: extract-plan, then one independent extract-batch per index, each told its index
// by an engine's variable (Kubernetes, Slurm, AWS Batch); one killed mid-batch and run again, one run twice at once.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { INDEX_VARIABLES as ENGINE_VARS } from '../../src/batch/batch-index.js';
import { recordFileName } from '../../src/output/layout.js';
import { readPlan } from '../../src/output/plan-store.js';
import { runBin, spawnBin } from '../helpers/cli.js';
import { duplicates, leftovers, outputIds } from '../helpers/output-dir.js';
import { sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { engineEnv, idsInCollection, seed } from './_support.js';

const tdb = withDb('scale_array');

test('array job: N independent extract-batch processes by engine index, one SIGKILLed and rerun, one run twice → verify: complete, exactly once', async (t) => {
  const coll = tdb.db.collection('docs');
  await seed(coll, 2400, 300, 30);
  const tmp = await tmpDir(t);
  const out = join(tmp, 'out');
  const planPath = join(out, 'plan.json');

  const planned = await runBin('extract-plan', [...sourceArgs(tdb.name, 'docs', out), '--batch-size', '600'], {
    timeout: 120_000,
  });
  assert.equal(planned.exitCode, 0, planned.stderr);
  const plan = await readPlan(planPath);
  const n = plan.batches.length;
  assert.ok(n >= 5, `expected at least 5 batches, got ${n}`);
  t.diagnostic(`${n} batches`);

  // The victim: the first integer batch (600 documents), killed once its temporary file exists.
  const victim = plan.batches.find((b) => b.class === 'number')!.index;
  const twice = (victim + 1) % n;
  const varFor = (i: number) => ENGINE_VARS[i % ENGINE_VARS.length]!;

  const killed = spawnBin('extract-batch', ['--plan', planPath], {
    env: engineEnv(varFor(victim), victim),
    timeout: 120_000,
    t,
  });
  const tmpName = new RegExp(`^\\.batch-0*${victim}\\.json\\.${killed.pid}-[0-9a-f]{8}\\.tmp$`);
  await waitFor(async () => (await readdir(out)).some((f) => tmpName.test(f)), {
    what: `batch ${victim} to open its temporary file`,
    timeout: 60_000,
    interval: 2,
    abortIf: () => (killed.child.exitCode !== null ? `batch ${victim} exited first: ${killed.stderr()}` : undefined),
  });
  killed.child.kill('SIGKILL');
  const k = await killed.exited;
  assert.equal(k.signal, 'SIGKILL', `the victim was not killed mid-batch: ${k.stderr}`);
  assert.ok(!(await readdir(out)).includes(recordFileName(plan, victim)), 'a killed batch left a record');

  // Every index once (the victim again), and one index a second time at the same moment.
  const runs = [
    ...plan.batches.map((b) => ({ index: b.index, via: varFor(b.index) })),
    { index: twice, via: varFor(twice + 1) },
  ];
  const results = await Promise.all(
    runs.map((r) =>
      runBin('extract-batch', ['--plan', planPath], { env: engineEnv(r.via, r.index), timeout: 120_000 }).then(
        (res) => ({ ...r, res }),
      ),
    ),
  );
  for (const { index, via, res } of results) {
    assert.equal(res.exitCode, 0, `batch ${index} via ${via}: ${res.stderr}`);
    assert.match(res.stderr, new RegExp(`batch ${index} \\(from ${via}\\)`), 'says which variable gave the index');
  }
  assert.deepEqual(
    new Set(results.map((r) => r.via)),
    new Set(ENGINE_VARS),
    'each engine variable is used at least once',
  );

  const verify = await runBin('extract-verify', ['--plan', planPath, '--json'], { timeout: 60_000 });
  assert.equal(verify.exitCode, 0, verify.stderr + verify.stdout);
  const report = JSON.parse(verify.stdout) as { complete: boolean; done: number; docs: number };
  assert.equal(report.complete, true);
  assert.equal(report.done, n);

  const got = (await outputIds(out)).keys;
  const want = await idsInCollection(coll);
  assert.deepEqual(duplicates(got), [], 'an _id appears in two files');
  assert.deepEqual(got.sort(), want, 'every _id exactly once');
  assert.equal(report.docs, want.length);

  // What the SIGKILL leaves behind is only the victim's hidden temporary file (extract-all --resume removes it).
  const left = await leftovers(out);
  assert.ok(
    left.every((f) => tmpName.test(f)),
    `unexpected leftovers: ${left.join(', ')}`,
  );
});

test('an index outside the plan, or none at all, is refused before connecting', async (t) => {
  const coll = tdb.db.collection('small');
  await seed(coll, 10, 10);
  const out = join(await tmpDir(t), 'out');
  const planned = await runBin('extract-plan', [...sourceArgs(tdb.name, 'small', out)], {
    timeout: 60_000,
  });
  assert.equal(planned.exitCode, 0, planned.stderr);
  const planPath = join(out, 'plan.json');
  const n = (await readPlan(planPath)).batches.length;
  const tooBig = await runBin('extract-batch', ['--plan', planPath], { env: engineEnv('SLURM_ARRAY_TASK_ID', n) });
  assert.equal(tooBig.exitCode, 2, tooBig.stderr);
  assert.match(tooBig.stderr, /SLURM_ARRAY_TASK_ID: expected a batch number from 0 to/);
  const none = await runBin('extract-batch', ['--plan', planPath], {
    env: { JOB_COMPLETION_INDEX: undefined, SLURM_ARRAY_TASK_ID: undefined, AWS_BATCH_JOB_ARRAY_INDEX: undefined },
  });
  assert.equal(none.exitCode, 2, none.stderr);
  assert.match(none.stderr, /--batch K, or one of JOB_COMPLETION_INDEX/);
});
