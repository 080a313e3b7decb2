// What --resume and extract-verify believe: a batch is done only when its file matches its record, sha256 included.
// One byte changed at the same size is enough to redo it (and to fail verification).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { recordStamps } from '../helpers/output-dir.js';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertResumedExactlyOnce, seedNumbers } from './_support.js';

const tdb = withDb('orch_resume');
const DOCS = 90;

describe('a batch file changed at the same size', () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 50));

  test('extract-verify says which batch and fails; --resume redoes that batch only', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const first = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '30', '-j', '2', ...FAST],
      join(tmp, 's1.json'),
    );
    assert.equal(first.exitCode, 0, explain(first));
    assert.equal(first.summary?.batches.total, 3);

    const file = join(out, 'batch-00001.json');
    const bytes = await readFile(file);
    const at = bytes.indexOf('"pad":"x') + 8;
    bytes[at] = 0x79; // x → y: same size, another sha256
    await writeFile(file, bytes);

    const quick = await runBin('extract-verify', ['--out', out, '--quick']);
    assert.equal(quick.exitCode, 0, 'sizes alone cannot see it');
    const verify = await runBin('extract-verify', ['--out', out, '--json']);
    assert.equal(verify.exitCode, 1, verify.stderr);
    const report = JSON.parse(verify.stdout) as { failed: { batch: number; reason: string }[] };
    assert.deepEqual(report.failed, [{ batch: 1, reason: 'file checksum differs from its record' }]);

    const stamps = await recordStamps(out);
    const redone = 'record-00001.json';
    const kept = new Map([...stamps].filter(([f]) => f !== redone));
    const second = await extractAll(['--out', out, '--resume', ...FAST], join(tmp, 's2.json'));
    assert.equal(second.exitCode, 0, explain(second));
    assert.equal(second.summary?.batches.resumed, 2, 'the two intact batches are kept');
    assert.notDeepEqual((await recordStamps(out)).get(redone), stamps.get(redone), 'the changed batch was redone');
    await assertResumedExactlyOnce(out, kept, DOCS);
  });

  test('--format csv: the same command again with --resume is the same export (its columns compared, not refused)', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const args = [...sourceArgs(tdb.name, 'c', out), '--batch-size', '30', '--format', 'csv', '--fields', '_id,pad'];
    const first = await extractAll([...args, ...FAST], join(tmp, 's1.json'));
    assert.equal(first.exitCode, 0, explain(first));
    const again = await extractAll([...args, '--resume', ...FAST], join(tmp, 's2.json'));
    assert.equal(again.exitCode, 0, explain(again));
    assert.equal(again.summary?.batches.resumed, 3);
    const other = await extractAll([...args.slice(0, -1), '_id', '--resume', ...FAST], join(tmp, 's3.json'));
    assert.equal(other.exitCode, 2, 'other columns are another export');
    assert.match(other.stderr, /differs in (fields, )?output/);
  });
});
