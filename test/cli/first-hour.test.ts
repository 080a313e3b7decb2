// The mistakes people make in their first hour, and the dead ends they used to meet: each gets one line that says
// what to do next, a documented exit code, and nothing left behind. Plus the ways out that were missing:
// --overwrite, extract-batch --plan P --batch K --out -, and --log-format json for log collectors.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runBin, stderrLines } from '../helpers/cli.js';
import { dataFiles, recordFiles, recordsHold } from '../helpers/output-dir.js';
import { explain, extractAll, FAST, readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';

const tdb = withDb('cli_first_hour');
const DOCS = 120;

let seeded: Promise<unknown> | undefined;
/** The collection every test reads, seeded once (from each suite's before hook: withDb's client exists by then). */
const seed = (): Promise<unknown> =>
  (seeded ??= tdb.db
    .collection('c')
    .insertMany(Array.from({ length: DOCS }, (_, i) => ({ _id: i, status: i % 2 ? 'A' : 'B', n: i })) as never[]));

/** Exit 2 with exactly one line on stderr, no stack trace; the line is returned. */
function oneUsageLine(r: { exitCode: number | undefined; stderr: string }, what: string): string {
  assert.equal(r.exitCode, 2, `${what}: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `${what}: one line expected:\n${r.stderr}`);
  return lines[0]!;
}

describe('mistakes: one line that says what to do next, exit 2', () => {
  before(seed);
  test('a mistyped option or command: did you mean …?', async () => {
    const opt = await runBin('extract-all', ['--db', tdb.name, '--colection', 'c', '--out', '/nonexistent/x']);
    assert.match(
      oneUsageLine(opt, '--colection'),
      /^extract-all: unknown option --colection: did you mean --collection\?/,
    );
    const batch = await runBin('extract-batch', ['--db', tdb.name, '--collection', 'c', '--out', '-', '--bach', '1']);
    assert.match(oneUsageLine(batch, '--bach'), /did you mean --batch\?/);
  });

  test('a missing required option is named as missing', async () => {
    const r = await runBin('extract-all', ['--collection', 'c', '--out', '/nonexistent/x']);
    assert.match(oneUsageLine(r, 'no --db'), /^extract-all: missing --db DB\b/);
  });

  test('single quotes in --query: JSON needs double quotes', async () => {
    const r = await runBin('extract-all', [
      ...sourceArgs(tdb.name, 'c', '/nonexistent/x'),
      '--query',
      "{'status':'A'}",
      ...FAST,
    ]);
    assert.match(oneUsageLine(r, 'single quotes'), /--query: .*double quotes/);
  });

  test('a query the server rejects is a usage error naming --query, and leaves nothing behind', async (t) => {
    const tmp = await tmpDir(t);
    const bad = '{"n":{"$gtt":3}}';
    const out = join(tmp, 'out');
    const all = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', out), '--query', bad, ...FAST]);
    assert.match(oneUsageLine(all, 'extract-all'), /^extract-all: --query: the server rejects it: /);
    assert.equal(existsSync(out), false, 'the --out it would have created is not left behind');
    const plan = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', out), '--query', bad, '--quiet']);
    assert.match(oneUsageLine(plan, 'extract-plan'), /^extract-plan: --query: the server rejects it: /);
    const batch = await runBin('extract-batch', [
      '--db',
      tdb.name,
      '--collection',
      'c',
      '--query',
      bad,
      '--out',
      join(tmp, 'b.json'),
    ]);
    assert.match(oneUsageLine(batch, 'extract-batch'), /^extract-batch: --query: the server rejects it: /);
    assert.deepEqual(await readdir(tmp), [], 'no file of any of them');
  });

  test('--out naming an existing file says so', async (t) => {
    const tmp = await tmpDir(t);
    const file = join(tmp, 'export.json');
    await writeFile(file, 'mine');
    const r = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', file), ...FAST]);
    assert.notEqual(r.exitCode, 0);
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /--out \S+export\.json is a file, not a directory/);
    assert.equal(await readFile(file, 'utf8'), 'mine', 'the file is untouched');
  });
});

describe('--overwrite: a finished export done again', () => {
  before(seed);
  test('refused without it; with it a new plan, the earlier records gone, every document once', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const first = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '30', ...FAST],
      join(tmp, '1.json'),
    );
    assert.equal(first.exitCode, 0, explain(first));
    assert.equal(dataFiles(await readdir(out)).length, 4);
    const planId = (await readJson(join(out, 'plan.json'))).planId as string;

    const again = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', out), '--batch-size', '60', ...FAST]);
    assert.equal(again.exitCode, 2, again.stderr);
    assert.match(again.stderr, /--overwrite/, 'the refusal names the way out');

    const conflict = await runBin('extract-all', ['--out', out, '--resume', '--overwrite', ...FAST]);
    assert.match(oneUsageLine(conflict, '--resume --overwrite'), /--overwrite and --resume conflict/);

    const redo = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '60', '--overwrite', ...FAST],
      join(tmp, '2.json'),
    );
    assert.equal(redo.exitCode, 0, explain(redo));
    assert.equal(redo.summary?.batches.resumed, 0, 'nothing of the earlier export is believed');
    const names = await readdir(out);
    assert.notEqual((await readJson(join(out, 'plan.json'))).planId, planId, 'a new plan');
    assert.deepEqual(
      dataFiles(names),
      ['batch-00000.json', 'batch-00001.json'],
      "the earlier plan's other files are gone",
    );
    assert.equal(recordFiles(names).length, 2);
    assert.ok((await recordsHold(out)).every((r) => r.ok));
    const verify = await runBin('extract-verify', ['--out', out]);
    assert.equal(verify.exitCode, 0, verify.stderr);
    const ids: number[] = [];
    for (const f of dataFiles(names))
      ids.push(...JSON.parse(await readFile(join(out, f), 'utf8')).map((d: { _id: number }) => d._id));
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      Array.from({ length: DOCS }, (_, i) => i),
    );
  });
});

describe('extract-batch --plan P --batch K --out -', () => {
  before(seed);
  test('streams the batch to standard output: the bytes of its file, no file, no record, said once', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const all = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '50', ...FAST],
      join(tmp, 's.json'),
    );
    assert.equal(all.exitCode, 0, explain(all));
    const before = (await readdir(out)).sort();
    const r = await runBin('extract-batch', ['--plan', join(out, 'plan.json'), '--batch', '1', '--out', '-']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, await readFile(join(out, 'batch-00001.json'), 'utf8'));
    assert.deepEqual((await readdir(out)).sort(), before, 'nothing written beside the plan');
    const said = stderrLines(r.stderr).filter((l) => /standard output/.test(l));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0]!, /batch 1 to standard output: no file, no record/);
  });
});

describe('--log-format json', () => {
  before(seed);
  test('every line on stderr is one JSON object: the phases, then the result with its numbers', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await runBin('extract-all', [
      ...sourceArgs(tdb.name, 'c', out),
      '--batch-size',
      '40',
      '--log-format',
      'json',
      ...FAST.filter((f) => f !== '--quiet'),
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    const notJson = stderrLines(r.stderr).filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(notJson, [], 'lines that are not JSON');
    const events = stderrLines(r.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(events.length >= 3, r.stderr);
    for (const e of events) {
      assert.equal(e.command, 'extract-all', JSON.stringify(e));
      assert.equal(typeof e.message, 'string', JSON.stringify(e));
    }
    const phases = new Set(events.map((e) => e.phase).filter(Boolean));
    for (const p of ['connect', 'plan', 'run']) assert.ok(phases.has(p), `phase ${p} in ${[...phases]}`);
    const batches = events.filter((e) => typeof e.batch === 'number');
    assert.deepEqual(batches.map((e) => e.batch).sort(), [0, 1, 2], 'a line per batch');
    assert.equal(
      batches.reduce((sum, e) => sum + Number(e.docs), 0),
      DOCS,
    );
    const last = events.at(-1)!;
    assert.match(String(last.message), /^complete: 120 documents/);
    assert.equal(last.docs, DOCS, JSON.stringify(last));
  });
});
