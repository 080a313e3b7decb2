// --check-counts: after each batch the server counts the batch's _id range with the same filter, and the record
// holds both numbers; a difference is reported per batch (summary, extract-all's lines, extract-verify), and with
// strict it fails the batch's attempt, so the retry reads what the live write added.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { recordFileName } from '../../src/output/layout.js';
import { faults } from '../hardening/_support.js';
import { runBin } from '../helpers/cli.js';
import { outputIds } from '../helpers/output-dir.js';
import { explain, extractAll, FAST, readJson, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from './_support.js';

const tdb = withDb('orch_check_counts');
const DOCS = 200;

describe('--check-counts', () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 50));

  test('a quiet collection: every record holds the server count, equal to the documents written', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll(
      [
        ...sourceArgs(tdb.name, 'c', out),
        '--batch-size',
        '50',
        '--query',
        '{"k":{"$lt":5}}',
        '--check-counts',
        'on',
        ...FAST,
      ],
      join(tmp, 's.json'),
    );
    assert.equal(r.exitCode, 0, explain(r));
    assert.deepEqual(r.summary?.countMismatches, []);
    const plan = await readJson(join(out, 'plan.json'));
    for (const b of plan.batches as { index: number }[]) {
      const rec = await readJson(join(out, recordFileName(plan, b.index)));
      assert.equal(rec.serverCount, rec.docs, `batch ${b.index}`);
    }
    const bad = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', join(tmp, 'x')), '--check-counts', 'maybe']);
    assert.equal(bad.exitCode, 2, bad.stderr);
    assert.match(bad.stderr, /--check-counts/);
  });

  for (const mode of ['on', 'strict'] as const) {
    test(`${mode}: a document inserted behind batch 0's cursor is ${mode === 'on' ? 'reported for that batch' : 'read by the retry the difference causes'}`, async (t) => {
      const tmp = await tmpDir(t);
      const out = join(tmp, 'out');
      const coll = tdb.db.collection('c');
      const f = await faults(join(tmp, 'fi'));
      // batch 0 is the first range of numbers: open below, so _id -1 (behind a cursor at 0) is in it
      const run = spawnExtractAll(
        t,
        [
          ...sourceArgs(tdb.name, 'c', out),
          '--batch-size',
          '50',
          '--check-counts',
          mode,
          ...FAST.filter((x) => x !== '--quiet'),
        ],
        { summary: join(tmp, 's.json'), env: f.env(['pause:0']) },
      );
      await f.paused(0, 30_000);
      await coll.insertOne({ _id: -1, k: 0, pad: 'late' } as never);
      try {
        await f.go(0);
        const r = await run.done;
        assert.equal(r.exitCode, 0, explain(r));
        const ids = await outputIds(out);
        assert.deepEqual(ids.dups, []);
        if (mode === 'on') {
          assert.equal(ids.keys.length, DOCS, 'the late document was not read by batch 0');
          const m = r.summary?.countMismatches ?? [];
          assert.equal(m.length, 1, JSON.stringify(m));
          assert.equal(m[0]!.batch, 0);
          assert.equal(m[0]!.serverCount, m[0]!.docs + 1);
          assert.match(r.stderr, /batch 0: wrote \d+ documents, the server counted \d+ in its range afterwards/);
          const verify = await runBin('extract-verify', ['--out', out, '--json']);
          assert.equal(verify.exitCode, 0, 'a difference is reported, not a failure');
          assert.deepEqual(JSON.parse(verify.stdout).countMismatches, m);
        } else {
          assert.ok((r.summary?.retries ?? 0) >= 1, 'the difference failed the first attempt');
          assert.deepEqual(r.summary?.countMismatches, []);
          assert.equal(ids.keys.length, DOCS + 1, 'the retry read the late document');
          assert.ok(ids.keys.includes('number:-1'), ids.keys.slice(0, 3).join(' '));
        }
      } finally {
        await coll.deleteOne({ _id: -1 } as never);
      }
      assert.ok((await readdir(out)).includes('manifest.json'));
    });
  }
});
