// --concurrency is a ceiling: never more extract-batch processes at once, as seen from the children and from /proc.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchProcesses } from '../helpers/proc.js';
import { explain, FAST, readSummary, sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { preload, seedNumbers } from './_support.js';

const tdb = withDb('orch_concurrency');

/** The most intervals open at one instant. */
function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const events = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d); // an end before a start at the same instant
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

test('-j 2: at most 2 children at any time (child timestamps, /proc samples, summary.maxConcurrent)', async (t) => {
  await seedNumbers(tdb.db.collection('c'), 320, 500);
  const tmp = await tmpDir(t);
  const out = join(tmp, 'out');
  const stamps = join(tmp, 'stamps');
  await mkdir(stamps);
  // Each child notes when it started and when it exits (in ms since the epoch, sub-ms precision).
  const nodeOptions = await preload(
    tmp,
    'stamps',
    `const now = () => performance.timeOrigin + performance.now();
  const base = ${JSON.stringify(stamps)} + '/' + process.pid;
  fs.writeFileSync(base + '.start', String(now()));
  process.on('exit', () => fs.writeFileSync(base + '.end', String(now())));`,
  );
  const summaryFile = join(tmp, 'summary.json');
  const run = spawnExtractAll(t, [...sourceArgs(tdb.name, 'c', out), '--batch-size', '40', '-j', '2', ...FAST], {
    summary: summaryFile,
    env: { NODE_OPTIONS: nodeOptions },
  });
  let sampledMax = 0;
  let samples = 0;
  while (!run.hasExited()) {
    sampledMax = Math.max(sampledMax, batchProcesses(out).length);
    samples++;
    await new Promise((ok) => setTimeout(ok, 3));
  }
  const r = await run.exited;
  const summary = await readSummary(summaryFile);
  assert.equal(r.exitCode, 0, explain({ ...r, summary }));
  const total = summary?.batches.total ?? 0;
  assert.ok(total >= 6, `expected several batches, got ${total}`);

  const names = await readdir(stamps);
  const pids = names.filter((n) => n.endsWith('.start')).map((n) => n.slice(0, -'.start'.length));
  assert.equal(pids.length, total + (summary?.retries ?? 0), `one child per attempt: ${JSON.stringify(summary)}`);
  const intervals = await Promise.all(
    pids.map(async (pid) => ({
      start: Number(await readFile(join(stamps, `${pid}.start`), 'utf8')),
      end: Number(await readFile(join(stamps, `${pid}.end`), 'utf8')),
    })),
  );
  const overlap = maxOverlap(intervals);
  if (summary?.retries) t.diagnostic(`retries: ${r.stderr}`);
  t.diagnostic(
    `children overlapping at most ${overlap}; /proc: at most ${sampledMax} in ${samples} samples; summary.maxConcurrent ${summary?.maxConcurrent}`,
  );
  assert.ok(overlap <= 2, `${overlap} children ran at once`);
  assert.ok(sampledMax <= 2, `/proc showed ${sampledMax} children at once`);
  assert.ok((summary?.maxConcurrent ?? 99) <= 2);
  // The limit is also used, not just respected.
  assert.equal(summary?.maxConcurrent, 2);
  assert.equal(overlap, 2);
});
