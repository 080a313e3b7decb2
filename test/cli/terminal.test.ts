// extract-all as a user sees it in a terminal (a pseudo-terminal from script(1), 80 and 160 columns): the phases
// on one status line that never wraps, ^C on a line of its own, the rate of a resumed run, a wait for a server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { faults } from '../hardening/_support.js';
import { binPath } from '../helpers/cli.js';
import { extractAll, FAST, readSummary, sourceArgs } from '../helpers/run.js';
import { haveScript, inTerminal, type Screen } from '../helpers/screen.js';
import { closedPort, withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from '../orchestrator/_support.js';

const tdb = withDb('cli_terminal');
const DOCS = 400;
const noScript = haveScript() ? undefined : 'script(1) is not installed: no pseudo-terminal here';

const STATUS = /^(batches|planning|connecting|checking|merging) /;

/**
 * The status lines the terminal showed; none ever reached the right margin (log lines may wrap, as any terminal
 * wraps them; the one line redrawn in place must not).
 */
function assertFits(screen: Screen): string[] {
  const statuses = screen.frames.filter((f) => STATUS.test(f));
  for (const f of statuses) assert.ok(f.length < screen.cols, `wider than ${screen.cols}: ${f}`);
  const bad = screen.wrapped.filter((l) => STATUS.test(l));
  assert.deepEqual(bad, [], `a status line wrapped at ${screen.cols} columns`);
  return statuses.filter((f) => f.startsWith('batches '));
}

const extractAllArgv = (args: string[]) => [process.execPath, binPath('extract-all'), ...args];

describe('extract-all in a terminal', { skip: noScript }, () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 100));

  for (const cols of [80, 160]) {
    test(`${cols} columns: planning, then one status line that fits, then the result`, async (t) => {
      const out = join(await tmpDir(t), 'out');
      const f = await faults(join(await tmpDir(t), 'fi'));
      // batch 1 pauses after its first document, so the status line is on screen long enough to be read
      const run = inTerminal(
        extractAllArgv([...sourceArgs(tdb.name, 'c', out), '--batch-size', '100', '-j', '2', '--retry-delay', '0.05']),
        cols,
        f.env(['pause:1']),
      );
      await f.paused(1);
      await run.shows(/^batches \d\/4 · /m);
      await f.go(1);
      assert.equal(await run.exited, 0, run.screen.text);
      const statuses = assertFits(run.screen);
      assert.ok(statuses.length > 0, `a status line was shown:\n${run.screen.frames.join('\n')}`);
      assert.ok(
        run.screen.frames.some((l) => /^planning mpe_\S+\.c/.test(l)),
        `planning was shown:\n${run.screen.frames.join('\n')}`,
      );
      const parts = /(docs|docs\/s|measuring rate|ETA [\d:-]+|\d+ running|\d+ failed|retr(y|ies))$/;
      for (const s of statuses) assert.match(s, parts, `a part was cut, not dropped: ${s}`);
      if (cols === 160)
        assert.ok(
          statuses.some((s) => / · \d+ running$/.test(s)),
          'at 160 columns every part fits',
        );
      const text = run.screen.logical;
      assert.match(
        text,
        /^extract-all: planned 4 batches of ≤ 100 for 400 documents \(walked 400 _id keys\) in [\d.]+ s$/m,
      );
      assert.match(
        text,
        /^extract-all: complete: 400 documents, [\d.]+ kB, 4 batches, [\d.]+ s, [\d,]+ docs\/s, [\d.]+ MB\/s; as counted at plan time$/m,
      );
      if (cols === 160) assert.deepEqual(run.screen.wrapped, [], 'at 160 columns no line wraps');
      assert.doesNotMatch(text, /^batches /m, 'the status line is gone at the end');
    });
  }

  test('^C: on a line of its own, the stopping message below it, exit 130', async (t) => {
    const out = join(await tmpDir(t), 'out');
    const f = await faults(join(await tmpDir(t), 'fi'));
    const run = inTerminal(
      extractAllArgv([...sourceArgs(tdb.name, 'c', out), '--batch-size', '100', '-j', '1', '--grace', '1']),
      80,
      f.env(['pause:0']),
    );
    await f.paused(0);
    await run.shows(/^batches 0\/4/m);
    run.type('\x03');
    const code = await run.exited;
    assert.equal(code, 130, run.screen.text);
    const lines = run.screen.logical.split('\n');
    const at = lines.indexOf('^C');
    assert.ok(at >= 0, `^C is alone on a line:\n${run.screen.text}`);
    assert.match(lines[at + 1]!, /^extract-all: SIGINT: stopping the running batches/);
    assertFits(run.screen);
  });

  test('--resume: batches done before count as done, not as speed', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const first = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '100', ...FAST],
      join(tmp, 's1'),
    );
    assert.equal(first.exitCode, 0, first.stderr);
    await unlink(join(out, 'record-00003.json'));
    const summaryFile = join(tmp, 's2.json');
    const run = inTerminal(extractAllArgv(['--out', out, '--resume', '--summary', summaryFile]), 80);
    assert.equal(await run.exited, 0, run.screen.text);
    const s = (await readSummary(summaryFile))!;
    assert.equal(s.batches.resumed, 3);
    assert.equal(s.docsThisRun, 100);
    assert.equal(s.docs, DOCS);
    const m = /complete: 400 documents, .*, 4 batches \(3 from an earlier run\), [\d.]+ s, ([\d,]+) docs\/s/.exec(
      run.screen.logical,
    );
    assert.ok(m, run.screen.text);
    assert.equal(
      Number(m[1]!.replace(/,/g, '')),
      Math.round(100 / s.seconds),
      'this run’s 100 documents over its time',
    );
    for (const st of assertFits(run.screen)) assert.doesNotMatch(st, /\b[1-9][\d,]* docs\/s/, `an early rate: ${st}`);
  });

  test('a server that does not answer: what it waits for and how long, then one line', async (t) => {
    const port = await closedPort();
    const out = join(await tmpDir(t), 'out');
    const run = inTerminal(extractAllArgv([...sourceArgs('x', 'y', out), '--connect-timeout', '2.5']), 80, {
      MONGO_URI: `mongodb://127.0.0.1:${port}/`,
    });
    assert.equal(await run.exited, 3, run.screen.text);
    assert.ok(
      run.screen.frames.some((f) => f === `connecting to 127.0.0.1:${port} · waited 1 s of 2.5 (--connect-timeout)`),
      run.screen.frames.join('\n'),
    );
    assert.match(run.screen.logical, /^extract-all: cannot reach the server \(mongodb:\/\/127\.0\.0\.1:\d+\/\): /);
    assert.equal(run.screen.logical.split('\n').length, 1, `one line:\n${run.screen.logical}`);
    assert.ok(!existsSync(out), 'the output directory it created is gone');
  });
});
