// --max-docs-per-second / --max-bytes-per-second: the run's limit holds for planning and for the batches together
// (each child gets its share, told again on its stdin as batches start and end). Only lower bounds on time are
// asserted: a throttle can make a run slower than its limit on a slow machine, never faster. How close a run gets to
// its limit is measured by the benchmark (npm run bench: "throttle").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { faults } from '../hardening/_support.js';
import { runBin } from '../helpers/cli.js';
import { outputIds } from '../helpers/output-dir.js';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from './_support.js';

const tdb = withDb('orch_throttle');
const DOCS = 400;

describe('the throttle', () => {
  before(() => seedNumbers(tdb.db.collection('c'), DOCS, 100));

  test('--max-docs-per-second 400 over 400 documents: planning walks its keys for about 1 s, the batches (2 at once, each told its share) take about 1 s more; every document once', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const f = await faults(join(tmp, 'fi'));
    const r = await extractAll(
      [
        ...sourceArgs(tdb.name, 'c', out),
        '--batch-size',
        '100',
        '--plan-method',
        'scan',
        '-j',
        '2',
        '--max-docs-per-second',
        '400',
        ...FAST,
      ],
      join(tmp, 's.json'),
      { env: f.env(['cmdline']) },
    );
    assert.equal(r.exitCode, 0, explain(r));
    const ids = await outputIds(out);
    assert.equal(ids.keys.length, DOCS);
    assert.deepEqual(ids.dups, []);
    const s = r.summary!;
    assert.ok(s.planningSeconds >= 0.85, `planning walked 400 keys at 400/s in ${s.planningSeconds} s`);
    const running = s.seconds; // the run's own seconds, after planning
    assert.ok(running >= 0.85, `400 documents at 400/s in ${running.toFixed(2)} s`);
    // each child was started with its share (400 alone, 200 beside another) and listens for new ones
    const argvs = f.list('cmdline-').map((n) => f.read(n).split('\0'));
    assert.ok(argvs.length >= 4);
    for (const argv of argvs) {
      assert.ok(argv.includes('--rates-stdin'), argv.join(' '));
      const share = Number(argv[argv.indexOf('--max-docs-per-second') + 1]);
      assert.ok(share === 400 || share === 200, `share ${share}`);
    }
  });

  test('--max-bytes-per-second takes a size; bad values are exit 2 naming the option', async (t) => {
    const tmp = await tmpDir(t);
    const out = join(tmp, 'out');
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'c', out), '--batch-size', '200', '--max-bytes-per-second', '40kB', ...FAST],
      join(tmp, 's.json'),
    );
    assert.equal(r.exitCode, 0, explain(r));
    // 400 documents of ~130 BSON bytes: ~52 kB at 40 kB/s
    const running = r.summary!.seconds;
    assert.ok(running >= 1, `~52 kB at 40 kB/s in ${running.toFixed(2)} s`);
    for (const [flag, value] of [
      ['--max-bytes-per-second', 'fast'],
      ['--max-docs-per-second', '0'],
      ['--max-docs-per-second', '-5'],
    ] as const) {
      const bad = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', join(tmp, 'x')), flag, value]);
      assert.equal(bad.exitCode, 2, bad.stderr);
      assert.match(bad.stderr, new RegExp(flag.slice(2)));
    }
  });
});
