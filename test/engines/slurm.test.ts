// A real Slurm cluster (one node: munged, slurmctld, slurmd started by scripts/slurm.js) runs the example job
// script as written, as an array over a plan: one task is cancelled mid-batch (scancel of its index), resubmitted
// the way the example says, and the join step finds the export complete, every document exactly once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BATCH_BUNDLE, binPath, repoRoot, runBin } from '../helpers/cli.js';
import { duplicates, leftovers, outputIds } from '../helpers/output-dir.js';
import { sourceArgs } from '../helpers/run.js';
import { withStore } from '../helpers/s3.js';
import { mongoUri, withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const tdb = withDb('engines_slurm');
const S = await withStore('slurm');
const N = 600;
const SBATCH = join(repoRoot, 'examples', 'slurm', 'extract.sbatch');

interface Cluster {
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}
const slurm = (await import(pathToFileURL(join(repoRoot, 'scripts', 'slurm.js')).href)) as {
  slurmUnavailable(): string | undefined;
  startSlurm(o?: { timeoutMs?: number }): Promise<Cluster>;
};
const unavailable = slurm.slurmUnavailable();
let cluster: Cluster | undefined;
before(async () => {
  if (!unavailable) cluster = await slurm.startSlurm();
});
after(() => cluster?.stop());

/** A job's tasks and their states, from scontrol (there is no accounting: no sacct). */
async function tasks(job: string): Promise<Map<number, string>> {
  const { stdout } = await run('scontrol', ['show', 'job', '-o', job], { env: cluster!.env }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const states = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const index = /ArrayTaskId=(\d+)\b/.exec(line)?.[1];
    const state = /JobState=(\S+)/.exec(line)?.[1];
    if (index !== undefined && state) states.set(Number(index), state);
  }
  return states;
}

const TERMINAL = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$/;

async function finished(job: string, expected: number): Promise<Map<number, string>> {
  let last = new Map<number, string>();
  await waitFor(
    async () => {
      last = await tasks(job);
      return last.size === expected && [...last.values()].every((s) => TERMINAL.test(s));
    },
    { what: `job ${job} to finish (${JSON.stringify([...last])})`, timeout: 120_000, interval: 200 },
  );
  return last;
}

// seeded by the first test (a top-level before hook may run before withDb's: Node 22 orders them so)
let seeded: Promise<void> | undefined;
const seed = (): Promise<void> =>
  (seeded ??= (async () => {
    const coll = tdb.db.collection('docs');
    for (let i = 0; i < N; i += 200)
      await coll.insertMany(Array.from({ length: 200 }, (_, k) => ({ _id: i + k, pad: 'p'.repeat(100) })) as never[]);
  })());

for (const where of ['a local directory', 'S3'] as const) {
  test(`Slurm, ${where}: the example sbatch as an array over a plan; one task cancelled mid-batch and resubmitted → complete, exactly once`, async (t) => {
    if (unavailable) return t.skip(`no Slurm cluster here: ${unavailable}`);
    if (where === 'S3' && S.unavailable) return t.skip(`no S3 store: ${S.unavailable}`);
    await seed();
    const env = cluster!.env;
    const tmp = await tmpDir(t);
    const s3 = where === 'S3';
    const out = s3 ? S.url('slurm') : join(tmp, 'out');
    const planPath = s3 ? `${out}plan.json` : join(out, 'plan.json');
    const storeEnv = s3 ? S.store.env : {};
    const planned = await runBin(
      'extract-plan',
      [...sourceArgs(tdb.name, 'docs', out), '--batch-size', '150', '--quiet'],
      {
        env: storeEnv,
      },
    );
    assert.equal(planned.exitCode, 0, planned.stderr);
    const planText = s3 ? await S.text('slurm/plan.json') : await readFile(planPath, 'utf8');
    const n = (JSON.parse(planText) as { batches: unknown[] }).batches.length;
    assert.equal(n, 4);
    const listing = async (): Promise<string[]> => (s3 ? S.names('slurm') : readdir(out));

    // `extract-batch` on the PATH, as an installed package puts it; a preload that holds one task mid-batch
    const bin = join(tmp, 'bin');
    await mkdir(bin);
    await writeFile(
      join(bin, 'extract-batch'),
      `#!/bin/sh\nexec "${process.execPath}" "${binPath('extract-batch')}" "$@"\n`,
    );
    await chmod(join(bin, 'extract-batch'), 0o755);
    const held = join(tmp, 'held');
    const hold = join(tmp, 'hold.cjs');
    await writeFile(
      hold,
      `if (process.env.SLURM_ARRAY_TASK_ID === process.env.MPE_HOLD_TASK && process.argv.some((a) => a.endsWith('extract-batch.js'))) {
  const proto = require(${JSON.stringify(BATCH_BUNDLE)}).FindCursor.prototype;
  const next = proto.next;
  proto.next = async function () {
    const d = await next.call(this);
    require('node:fs').writeFileSync(${JSON.stringify(held)}, String(process.pid));
    await new Promise(() => setTimeout(() => {}, 1 << 30));
    return d;
  };
}
`,
    );
    const jobEnv = {
      ...env,
      ...storeEnv,
      PATH: `${bin}:${env.PATH}`,
      PLAN: planPath,
      MONGO_URI: mongoUri(),
      NODE_OPTIONS: `--require ${hold}`,
      MPE_HOLD_TASK: '2',
    };
    const sbatch = async (args: string[], e: NodeJS.ProcessEnv) =>
      (
        await run('sbatch', ['--parsable', `--output=${tmp}/task-%A_%a.log`, ...args, SBATCH], { env: e, cwd: tmp })
      ).stdout
        .trim()
        .split(';')[0]!;

    const job = await sbatch([`--array=0-${n - 1}`], jobEnv);
    await waitFor(() => existsSync(held), { what: 'task 2 to be mid-batch', timeout: 60_000, interval: 50 });
    if (!s3)
      assert.ok(
        (await readdir(out)).some((f) => /^\.batch-0*2\.json\..*\.tmp$/.test(f)),
        'task 2 is writing its temporary file',
      );
    await run('scancel', [`${job}_2`], { env });
    const states = await finished(job, n);
    assert.equal(states.get(2), 'CANCELLED', JSON.stringify([...states]));
    for (const i of [0, 1, 3]) assert.equal(states.get(i), 'COMPLETED', `task ${i}: ${JSON.stringify([...states])}`);
    const log0 = await readFile(join(tmp, `task-${job}_0.log`), 'utf8');
    assert.match(log0, /batch 0 \(from SLURM_ARRAY_TASK_ID\)/, 'the index came from Slurm');

    const names = await listing();
    assert.ok(!names.some((f) => /^batch-0*2\./.test(f)), 'a cancelled task publishes nothing');
    if (s3) assert.deepEqual(await S.uploads('slurm'), [], 'no upload left in progress');
    else assert.deepEqual(await leftovers(out), [], 'SIGTERM from scancel removes the temporary file');
    const incomplete = await runBin('extract-verify', ['--plan', planPath], { env: storeEnv });
    assert.equal(incomplete.exitCode, 1, 'the join step sees the gap');

    // The example's way back: resubmit the failed index (and one done one: --skip-done makes that a no-op)
    const again = await sbatch(['--array=0,2'], { ...jobEnv, MPE_HOLD_TASK: 'none' });
    const redone = await finished(again, 2);
    assert.deepEqual([...redone].sort(), [
      [0, 'COMPLETED'],
      [2, 'COMPLETED'],
    ]);
    assert.match(await readFile(join(tmp, `task-${again}_0.log`), 'utf8'), /already done/, 'index 0 was skipped');

    const verify = await runBin('extract-verify', ['--plan', planPath], { env: storeEnv });
    assert.equal(verify.exitCode, 0, verify.stderr);
    const ids = s3 ? await S.idsUnder('slurm') : (await outputIds(out)).keys;
    assert.equal(ids.length, N);
    assert.deepEqual(duplicates(ids), []);
  });
}
