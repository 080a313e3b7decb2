// Exactly-once coverage: every _id of a mixed-type collection lands in exactly one batch file.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BSON, type Document } from 'mongodb';
import { runBin } from '../helpers/cli.js';
import { dataFiles, duplicates, idsInOutput, tmpFiles } from '../helpers/output-dir.js';
import { idKeys } from '../helpers/read-output.js';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { expectedKeys } from './_support.js';

const { Binary, Double, Int32, Long, ObjectId } = BSON;
const tdb = withDb('orch_coverage');

/** `_id`s of many BSON types; `k` (0..9) is what the --query tests filter on. */
function kinds(): Record<string, unknown[]> {
  const n = (len: number) => Array.from({ length: len }, (_, i) => i);
  return {
    int32: n(60).map((i) => new Int32(i * 3)),
    double: n(30).map((i) => new Double(i * 3 + 0.5)),
    negativeDouble: n(5).map((i) => new Double(-1e6 - i - 0.25)),
    long: n(10).map((i) => Long.fromNumber(2 ** 40 + i)),
    nan: [new Double(NaN)],
    string: n(40).map((i) => `s${String(i).padStart(3, '0')}`),
    emptyString: [''],
    objectId: n(30).map(() => new ObjectId()),
    date: n(20).map((i) => new Date(Date.UTC(1960 + i * 4, 1, 2))),
    subdocument: n(15).map((i) => ({ a: i, b: `x${i}` })),
    boolean: [false, true],
    binary: n(10).map((i) => new Binary(Buffer.from([i, 255 - i, 7]))),
    null: [null],
  };
}

describe('extract-all: exactly-once coverage', () => {
  const accepted: string[] = [];

  test('a mixed-_id collection: every _id exactly once, total = countDocuments, extract-verify agrees', async (t) => {
    const coll = tdb.db.collection('mixed');
    const refused: string[] = [];
    let seq = 0;
    for (const [kind, ids] of Object.entries(kinds())) {
      const docs: Document[] = ids.map((_id) => ({ _id, k: seq++ % 10, kind }));
      try {
        await coll.insertMany(docs, { ordered: true });
        accepted.push(kind);
      } catch (err) {
        refused.push(`${kind} (${(err as Error).message.split('\n')[0]})`);
        await coll.deleteMany({ kind });
      }
    }
    if (refused.length) t.diagnostic(`server refused _id kinds: ${refused.join('; ')}`);
    assert.ok(accepted.length >= 6, `too few _id kinds accepted: ${accepted.join(', ')}`);

    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'mixed', out), '--batch-size', '40', '-j', '2', ...FAST],
      join(tmp, 'summary.json'),
    );
    assert.equal(r.exitCode, 0, explain(r));
    const want = await expectedKeys(coll);
    const count = await coll.countDocuments({});
    assert.equal(want.length, count);
    const got = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got), [], 'an _id appears in more than one place');
    assert.deepEqual(got, want, 'the output holds exactly the collection');
    assert.equal(r.summary?.docs, count);
    assert.equal(r.summary?.difference, 0);
    assert.ok((r.summary?.batches.total ?? 0) >= 8, `expected several batches, got ${r.summary?.batches.total}`);
    assert.equal(r.summary?.batches.done, r.summary?.batches.total);
    const names = await readdir(out);
    assert.deepEqual(tmpFiles(names), []);
    assert.ok(!names.includes('.extract.lock'));
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      docs: number;
      files: unknown[];
    };
    assert.equal(manifest.complete, true);
    assert.equal(manifest.docs, count);
    assert.equal(manifest.files.length, dataFiles(names).length);
    const v = await runBin('extract-verify', ['--out', out]);
    assert.equal(v.exitCode, 0, v.stderr);
  });

  test('with --query: exactly the matching _ids, once each', async (t) => {
    const coll = tdb.db.collection('mixed');
    const filter = { k: { $lt: 4 } };
    const want = await expectedKeys(coll, filter);
    assert.ok(want.length > 20, 'the filter should match a good part of the collection');
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll(
      [
        ...sourceArgs(tdb.name, 'mixed', out),
        '--query',
        JSON.stringify(filter),
        '--batch-size',
        '40',
        '-j',
        '2',
        ...FAST,
      ],
      join(tmp, 'summary.json'),
    );
    assert.equal(r.exitCode, 0, explain(r));
    const got = idKeys(await idsInOutput(out));
    assert.deepEqual(duplicates(got), []);
    assert.deepEqual(got, want);
    assert.equal(r.summary?.docs, await coll.countDocuments(filter));
    assert.equal(r.summary?.difference, 0);
    const v = await runBin('extract-verify', ['--out', out]);
    assert.equal(v.exitCode, 0, v.stderr);
  });

  test('an empty collection: 0 batches, exit 0', async (t) => {
    await tdb.db.createCollection('empty');
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll([...sourceArgs(tdb.name, 'empty', out), ...FAST], join(tmp, 'summary.json'));
    assert.equal(r.exitCode, 0, explain(r));
    assert.equal(r.summary?.batches.total, 0);
    assert.equal(r.summary?.docs, 0);
    assert.equal(r.summary?.status, 'complete');
    assert.deepEqual(dataFiles(await readdir(out)), []);
  });

  test('a missing collection: exit 5, no batch files', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'no_such_collection', out), ...FAST],
      join(tmp, 'summary.json'),
    );
    assert.equal(r.exitCode, 5, explain(r));
    assert.deepEqual(dataFiles(await readdir(out).catch(() => [])), []);
  });
});
