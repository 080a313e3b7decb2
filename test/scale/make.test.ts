// make -j over the fragment extract-plan --emit make writes: complete; a second make does nothing; an interrupted
// batch (data file without record) is redone; a failing batch fails make and leaves no partial target.
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchFileName, recordFileName } from '../../src/output/layout.js';
import { readPlan } from '../../src/output/plan-store.js';
import { binPath, childEnv, repoRoot, runBin } from '../helpers/cli.js';
import { duplicates, leftovers, outputIds } from '../helpers/output-dir.js';
import { sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { engineEnv, idsInCollection, make, makeMissing, seed } from './_support.js';

const tdb = withDb('scale_make');

test('make -j 2 over the generated fragment, in a directory named with space, $, # and :', async (t) => {
  const missing = await makeMissing();
  if (missing) return t.skip(missing);
  const coll = tdb.db.collection('docs');
  await seed(coll, 1500, 200, 10);
  const tmp = await tmpDir(t);
  const out = join(tmp, 'ex port $HOME #1:a');
  const mk = join(out, 'batches.mk');

  const planned = await runBin(
    'extract-plan',
    [...sourceArgs(tdb.name, 'docs', out), '--batch-size', '500', '--emit', 'make'],
    { timeout: 120_000 },
  );
  assert.equal(planned.exitCode, 0, planned.stderr);
  const plan = await readPlan(join(out, 'plan.json'));
  const n = plan.batches.length;
  assert.ok(n >= 4, `${n} batches`);

  // As a user who has not installed the package globally would: point EXTRACT_* at the built commands.
  assert.ok(
    !/\s/.test(process.execPath + binPath('extract-batch')),
    'test assumes no spaces in the node and repo paths',
  );
  const vars = [
    `EXTRACT_BATCH=${process.execPath} ${binPath('extract-batch')}`,
    `EXTRACT_VERIFY=${process.execPath} ${binPath('extract-verify')}`,
  ];
  // No engine index in the environment: the Makefile passes --batch itself.
  const env = childEnv(engineEnv('JOB_COMPLETION_INDEX', 0));
  delete env.JOB_COMPLETION_INDEX;

  const first = await make(['-j', '2', '-f', mk, ...vars], env);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.equal((first.stdout.match(/--batch \d+/g) ?? []).length, n, `one recipe per batch:\n${first.stdout}`);
  assert.doesNotMatch(first.stdout + first.stderr, /mongodb:\/\//, 'the URI is not in the Makefile or its output');

  const verify = await make(['-f', mk, ...vars, 'verify'], env);
  assert.equal(verify.code, 0, verify.stderr + verify.stdout);
  const got = (await outputIds(out)).keys;
  assert.deepEqual(duplicates(got), []);
  assert.deepEqual(got.sort(), await idsInCollection(coll));

  // A second make does nothing: make -q says up to date, and a make whose recipes would fail succeeds.
  assert.equal((await make(['-q', '-f', mk, ...vars], env)).code, 0, 'make -q: something is out of date');
  const again = await make(['-j', '2', '-f', mk, 'EXTRACT_BATCH=false'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Nothing to be done/);

  // Interrupted after the data file and before the record (what a SIGKILL between the two renames leaves): redone.
  const k = plan.batches[1]!.index;
  await rm(join(out, recordFileName(plan, k)));
  assert.equal(
    (await make(['-q', '-f', mk, ...vars], env)).code,
    1,
    'make -q: a batch without a record looks up to date',
  );
  const redo = await make(['-j', '2', '-f', mk, ...vars], env);
  assert.equal(redo.code, 0, redo.stderr);
  assert.deepEqual(
    redo.stdout.match(/--batch \d+/g),
    [`--batch ${String(k).padStart(5, '0')}`],
    `only batch ${k} runs:\n${redo.stdout}`,
  );
  // A data file deleted since: redone too.
  await rm(join(out, batchFileName(plan, k)));
  const redo2 = await make(['-f', mk, ...vars], env);
  assert.equal(redo2.code, 0, redo2.stderr);
  assert.equal((redo2.stdout.match(/--batch \d+/g) ?? []).length, 1);
  assert.equal((await make(['-f', mk, ...vars, 'verify'], env)).code, 0);

  // A failing batch: its data path is a directory. make fails, names the target, and leaves no partial target.
  const bad = plan.batches[2]!.index;
  await rm(join(out, recordFileName(plan, bad)));
  await rm(join(out, batchFileName(plan, bad)));
  await mkdir(join(out, batchFileName(plan, bad)));
  const failed = await make(['-j', '2', '-f', mk, ...vars], env);
  assert.notEqual(failed.code, 0, 'make succeeded although a batch failed');
  assert.match(failed.stderr, /is a directory/);
  assert.match(
    failed.stderr,
    new RegExp(`record-0*${bad}\\.json|batch-0*${bad}\\.json`),
    'make names the failed target',
  );
  const names = await readdir(out);
  assert.ok(!names.includes(recordFileName(plan, bad)), 'a failed batch left a record');
  assert.ok((await stat(join(out, batchFileName(plan, bad)))).isDirectory(), 'make deleted or replaced the directory');
  assert.deepEqual(await leftovers(out), [], 'temporary or lock files left');
  assert.notEqual((await make(['-f', mk, ...vars, 'verify'], env)).code, 0, 'verify passes with a failed batch');
  assert.equal((await make(['-q', '-f', mk, ...vars], env)).code, 1);

  // Fixed, the next make finishes the job and verify passes.
  await rm(join(out, batchFileName(plan, bad)), { recursive: true });
  const fixed = await make(['-j', '2', '-f', mk, ...vars, 'verify'], env);
  assert.equal(fixed.code, 0, fixed.stderr);
});

test('--emit make refuses a directory make cannot name, before planning', async (t) => {
  const tmp = await tmpDir(t);
  const r = await runBin('extract-plan', [...sourceArgs(tdb.name, 'docs', join(tmp, 'a;b')), '--emit', 'make']);
  assert.equal(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /cannot hold safely/);
  const other = await runBin('extract-plan', [...sourceArgs(tdb.name, 'docs', join(tmp, 'x')), '--emit', 'ninja']);
  assert.equal(other.exitCode, 2);
  assert.match(other.stderr, /--emit: expected make/);
});

test('--makefile puts the fragment elsewhere; it still names the output directory', async (t) => {
  const missing = await makeMissing();
  if (missing) return t.skip(missing);
  const coll = tdb.db.collection('few');
  await seed(coll, 30, 10);
  const tmp = await tmpDir(t);
  const out = join(tmp, 'out');
  const mk = join(tmp, 'elsewhere.mk');
  const r = await runBin('extract-plan', [...sourceArgs(tdb.name, 'few', out), '--emit', 'make', '--makefile', mk], {
    timeout: 60_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.ok(!(await readdir(out)).includes('batches.mk'));
  const vars = [
    `EXTRACT_BATCH=${process.execPath} ${binPath('extract-batch')}`,
    `EXTRACT_VERIFY=${process.execPath} ${binPath('extract-verify')}`,
  ];
  const env = childEnv();
  const m = await make(['-C', tmp, '-f', mk, ...vars, 'verify'], env);
  assert.equal(m.code, 0, m.stderr);
});

test('examples/Makefile.batches and examples/Makefile work as their comments say', async (t) => {
  const missing = await makeMissing();
  if (missing) return t.skip(missing);
  const coll = tdb.db.collection('examples');
  await seed(coll, 300, 50);
  const tmp = await tmpDir(t);
  const cmd = (name: string) => `${process.execPath} ${binPath(name)}`;
  const common = [`DB=${tdb.name}`, 'COLLECTION=examples', 'BATCH_SIZE=100'];
  const env = childEnv();

  const batches = join(repoRoot, 'examples', 'Makefile.batches');
  const outB = join(tmp, 'by-batch');
  const vars = [
    ...common,
    `OUT=${outB}`,
    `EXTRACT_PLAN=${cmd('extract-plan')}`,
    `EXTRACT_BATCH=${cmd('extract-batch')}`,
    `EXTRACT_VERIFY=${cmd('extract-verify')}`,
  ];
  const first = await make(['-j', '2', '-f', batches, ...vars, 'verify'], env);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stderr, /extract-verify: complete/);
  assert.equal((await make(['-q', '-f', batches, ...vars], env)).code, 0, 'second make would do something');
  assert.deepEqual((await outputIds(outB)).keys.sort(), await idsInCollection(coll));

  const single = join(repoRoot, 'examples', 'Makefile');
  const outS = join(tmp, 'all', 'examples');
  const sv = [
    ...common,
    `OUT=${outS}`,
    'JOBS=2',
    `EXTRACT_ALL=${cmd('extract-all')}`,
    `EXTRACT_VERIFY=${cmd('extract-verify')}`,
  ];
  const noUri = await make(['-f', single, ...sv], childEnv({ MONGO_URI: undefined }));
  assert.notEqual(noUri.code, 0);
  assert.match(noUri.stderr, /set MONGO_URI/);
  const once = await make(['-f', single, ...sv], env);
  assert.equal(once.code, 0, once.stderr + once.stdout);
  assert.equal(once.stderr, '', 'quiet: nothing on stderr when all is well');
  await stat(`${outS}.done`);
  const twice = await make(['-f', single, ...sv, 'EXTRACT_ALL=false'], env);
  assert.equal(twice.code, 0, twice.stderr);
  assert.match(twice.stdout, /Nothing to be done/);
  // A failure: no stamp, and make reports extract-all's code.
  const bad = await make(
    [
      '-f',
      single,
      ...common,
      'COLLECTION=no_such_collection',
      `OUT=${join(tmp, 'bad')}`,
      `EXTRACT_ALL=${cmd('extract-all')}`,
    ],
    env,
  );
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Error 5/);
  await assert.rejects(stat(`${join(tmp, 'bad')}.done`));
});
