// What extract-all refuses to do to an output directory: mix plans, restart without --resume, share it with a live run.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Document } from 'mongodb';
import { dataFiles, snapshot } from '../helpers/output-dir.js';
import { batchProcesses } from '../helpers/proc.js';
import { explain, extractAll, FAST, readSummary, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { preload } from './_support.js';

const tdb = withDb('orch_refusals');

describe('extract-all: output directory refusals', () => {
  before(async () => {
    for (const name of ['a', 'b']) {
      await tdb.db
        .collection(name)
        .insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, from: name })) as Document[]);
    }
  });

  test('a directory holding another plan, or a plan without --resume: exit 2, nothing touched', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const first = await extractAll(
      [...sourceArgs(tdb.name, 'a', out), '--batch-size', '50', '-j', '2', ...FAST],
      join(tmp, 's0.json'),
    );
    assert.equal(first.exitCode, 0, explain(first));
    const before = await snapshot(out);
    assert.ok(dataFiles(Object.keys(before)).length >= 2);

    const attempts: [string, string[]][] = [
      ['other collection, --resume', [...sourceArgs(tdb.name, 'b', out), '--resume']],
      ['other collection', [...sourceArgs(tdb.name, 'b', out)]],
      ['same collection, no --resume', [...sourceArgs(tdb.name, 'a', out)]],
      [
        'other query, --resume',
        ['--db', tdb.name, '--collection', 'a', '--query', '{"_id":{"$lt":10}}', '--out', out, '--resume'],
      ],
    ];
    for (const [what, args] of attempts) {
      const r = await extractAll([...args, ...FAST], join(tmp, 'refused.json'));
      assert.equal(r.exitCode, 2, `${what}: ${explain(r)}`);
      assert.deepEqual(await snapshot(out), before, `${what}: the directory changed`);
    }
  });

  test('an error while walking the _id index (in the planning worker): its exit code and one line, no plan written', async (t) => {
    // --plan-method sample needs $sample, which the server's capabilities decide at run time; FerretDB has none
    const hasSample = await tdb.db
      .collection('a')
      .aggregate([{ $sample: { size: 1 } }])
      .toArray()
      .then(
        () => true,
        () => false,
      );
    if (hasSample) return t.skip('this server has $sample: nothing to refuse');
    const tmp = await tmpDir(t);
    // an --out this run creates is removed again; one that was there (empty) stays, empty
    const created = join(tmp, 'new', 'out');
    const existing = join(tmp, 'out');
    await mkdir(existing);
    for (const out of [created, existing]) {
      const r = await extractAll(
        [...sourceArgs(tdb.name, 'a', out), '--plan-method', 'sample', ...FAST],
        join(tmp, 's.json'),
      );
      assert.equal(r.exitCode, 2, explain(r));
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^extract-all: --plan-method sample: this server does not support \$sample/);
    }
    assert.equal(existsSync(join(tmp, 'new')), false, 'the directories this run created are removed');
    assert.deepEqual(await readdir(existing), [], 'neither a plan nor a lock is left');
  });

  test('two runs into one directory at once: the second exits 7 and the first completes', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const release = join(tmp, 'release');
    // The first run's children wait (bounded) for the test's go-ahead, so the first run surely holds the lock.
    const nodeOptions = await preload(
      tmp,
      'gate',
      `const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 30000;
  while (!fs.existsSync(${JSON.stringify(release)}) && Date.now() < deadline) Atomics.wait(cell, 0, 0, 10);`,
    );
    const summaryFile = join(tmp, 's1.json');
    const first = spawnExtractAll(t, [...sourceArgs(tdb.name, 'a', out), '--batch-size', '50', '-j', '2', ...FAST], {
      summary: summaryFile,
      env: { NODE_OPTIONS: nodeOptions },
    });
    await waitFor(() => batchProcesses(out).length > 0, {
      what: 'the first run’s children',
      timeout: 20_000,
      abortIf: () => (first.hasExited() ? 'the first run exited' : undefined),
    });
    const held = await snapshot(out);
    assert.ok('.extract.lock' in held);

    const second = await extractAll(
      [...sourceArgs(tdb.name, 'a', out), '--batch-size', '50', ...FAST],
      join(tmp, 's2.json'),
    );
    assert.equal(second.exitCode, 7, explain(second));
    assert.ok(!first.hasExited(), 'the first run was still going');
    assert.deepEqual(await snapshot(out), held, 'the second run changed the directory');

    writeFileSync(release, '');
    const r1 = await first.exited;
    const s1 = await readSummary(summaryFile);
    assert.equal(r1.exitCode, 0, explain({ ...r1, summary: s1 }));
    assert.equal(s1?.docs, 100);
    assert.ok(!(await readdir(out)).includes('.extract.lock'));
  });
});
