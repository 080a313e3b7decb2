// extract-all --merge: a complete run as one valid file in plan order (no document parsed), atomically; an
// incomplete run refused with the batches that are missing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import type { Document } from 'mongodb';
import { runBin } from '../helpers/cli.js';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';

const tdb = withDb('orch_merge');
/** zstd in node:zlib: Node 22.15 and later. */
const unzstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const DOCS = 130;

/** Our own single-file export of the collection in _id order, as NDJSON lines: what every merged file holds. */
async function ndjsonLines(): Promise<string[]> {
  const r = await runBin('extract-batch', [
    ...sourceArgs(tdb.name, 'c', '-'),
    '--format',
    'ndjson',
    '--min',
    '0',
    '--quiet',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.split('\n').slice(0, -1);
}

describe('extract-all --merge', () => {
  before(async () => {
    const docs = Array.from({ length: DOCS }, (_, i) => ({
      _id: i,
      name: `n,${i}`,
      q: i % 7 === 0 ? 'say "hi"' : 'x',
      sub: { k: i },
    }));
    await tdb.db.collection('c').insertMany(docs as Document[]);
  });

  for (const c of [undefined, 'gzip', 'zstd'] as const) {
    test(`json, ndjson and csv${c ? `, ${c}` : ''}: one valid file holding every batch in _id order`, async (t) => {
      if (c === 'zstd' && !unzstd) return t.skip(`this Node (${process.versions.node}) has no zstd in node:zlib`);
      const tmp = await tmpDir(t);
      const lines = await ndjsonLines();
      for (const format of ['json', 'ndjson', 'csv']) {
        const out = join(tmp, format);
        const merged = join(tmp, `all.${format}${c === 'gzip' ? '.gz' : c === 'zstd' ? '.zst' : ''}`);
        const more = format === 'csv' ? ['--fields', '_id,name,q,sub.k'] : [];
        const r = await extractAll(
          [
            ...sourceArgs(tdb.name, 'c', out),
            '--format',
            format,
            ...more,
            ...(c ? ['--compress', c] : []),
            '--batch-size',
            '30',
            '--merge',
            merged,
            ...FAST,
          ],
          join(tmp, `${format}.summary.json`),
        );
        assert.equal(r.exitCode, 0, explain(r));
        assert.ok((r.summary?.batches.total ?? 0) >= 5);
        assert.equal(r.summary?.merged?.file, merged);
        const bytes = await readFile(merged);
        assert.equal(r.summary?.merged?.bytes, bytes.length);
        const text = (c === 'gzip' ? gunzipSync(bytes) : c === 'zstd' ? unzstd!(bytes) : bytes).toString('utf8');
        if (c === 'zstd') {
          const files = (await readdir(out)).filter((n) => n.startsWith('batch-'));
          assert.ok(files.length >= 5 && files.every((n) => n.endsWith(`.${format}.zst`)), files.join(' '));
        }
        if (format === 'json') {
          assert.ok(text.startsWith('[\n') && text.endsWith('\n]\n'));
          assert.equal(text, `[\n${lines.join('\n,\n')}\n]\n`);
          assert.equal((JSON.parse(text) as unknown[]).length, DOCS);
        } else if (format === 'ndjson') {
          assert.equal(text, `${lines.join('\n')}\n`);
        } else {
          const rows = text.split('\n').slice(0, -1);
          assert.equal(rows[0], '_id,name,q,sub.k', 'one header, first');
          assert.equal(rows.length, DOCS + 1);
          assert.equal(rows[1], '0,"n,0","say ""hi""",0');
          assert.equal(rows[DOCS], `${DOCS - 1},"n,${DOCS - 1}",x,${DOCS - 1}`);
        }
        assert.deepEqual(
          (await readdir(tmp)).filter((n) => n.endsWith('.tmp')),
          [],
          'no temporary file left',
        );
      }
    });
  }

  test('--merge - writes the file to standard output; an empty collection merges to an empty array', async (t) => {
    const tmp = await tmpDir(t);
    const r = await runBin('extract-all', [
      ...sourceArgs(tdb.name, 'c', join(tmp, 'o')),
      '--format',
      'ndjson',
      '--batch-size',
      '40',
      '--merge',
      '-',
      ...FAST,
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `${(await ndjsonLines()).join('\n')}\n`);
    await tdb.db.createCollection('empty');
    const e = await runBin('extract-all', [
      ...sourceArgs(tdb.name, 'empty', join(tmp, 'e')),
      '--merge',
      join(tmp, 'e.json'),
      ...FAST,
    ]);
    assert.equal(e.exitCode, 0, e.stderr);
    assert.equal(await readFile(join(tmp, 'e.json'), 'utf8'), '[\n\n]\n');
  });

  test('an incomplete run is not merged: exit 1, the missing batches named, no file', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const plan = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', out), '--batch-size', '30', '--quiet']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    await mkdir(join(out, 'batch-00002.json')); // batch 2 cannot be written
    const merged = join(tmp, 'all.json');
    const r = await extractAll(
      ['--out', out, '--resume', '--retries', '0', '--merge', merged, ...FAST],
      join(tmp, 's.json'),
    );
    assert.equal(r.exitCode, 1, explain(r));
    assert.equal(r.summary?.merged, undefined);
    assert.ok(!existsSync(merged));
    assert.match(r.stderr, /batch 2/);
  });

  test('--compress zstd on a Node without zstd: one line, exit 2, nothing written', async (t) => {
    if (unzstd) return t.skip(`this Node (${process.versions.node}) has zstd`);
    const out = join(await tmpDir(t), 'o');
    const r = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', out), '--compress', 'zstd', ...FAST]);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(
      r.stderr.trim(),
      /^extract-all: --compress zstd needs zstd in node:zlib \(Node 22\.15 or later\); this is Node [\d.]+: use --gzip$/,
    );
    assert.equal(existsSync(out), false);
  });
});
