// Case 13: every option of every command with invalid values → exit 2, one stderr line naming the option, no stack.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasStackTrace, runBin, stderrLines } from '../helpers/cli.js';
import { sourceArgs } from '../helpers/run.js';
import { mongoUri } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';

type Case = [cmd: string, args: string[], names: string[]];

/** Runs cases a few at a time (each is a node start-up). */
async function runAll(cases: Case[], width = 4): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const [cmd, args, names] = cases[next++]!;
      const r = await runBin(cmd, args, { env: { MONGO_URI: mongoUri(), NODE_OPTIONS: undefined }, timeout: 20_000 });
      const label = `${cmd} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
      const lines = stderrLines(r.stderr);
      if (r.exitCode !== 2)
        problems.push(`${label}: exit ${r.exitCode}, expected 2; stderr: ${r.stderr.trim().slice(0, 300)}`);
      else if (lines.length !== 1)
        problems.push(`${label}: ${lines.length} stderr lines, expected 1: ${r.stderr.slice(0, 300)}`);
      else if (!names.some((n) => lines[0]!.includes(n)))
        problems.push(`${label}: message does not name ${names.join(' or ')}: ${lines[0]}`);
      if (hasStackTrace(r.stderr) || hasStackTrace(r.stdout)) problems.push(`${label}: stack trace`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return problems;
}

test('invalid option values: exit 2, one line naming the option, no stack trace', { timeout: 180_000 }, async (t) => {
  const dir = await tmpDir(t, 'mpe-hard-opt-');
  const out = join(dir, 'out');
  const plan = join(dir, 'plan.json');
  // a syntactically valid plan of one batch, for the extract-batch cases that need one
  await writeFile(plan, JSON.stringify({}));
  // A directory held by a live run (this test process): a bad option must still be a usage error (2), not busy (7).
  const held = join(dir, 'held');
  await mkdir(held);
  await writeFile(
    join(held, '.extract.lock'),
    JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }),
  );
  const src = ['--db', 'd', '--collection', 'c'];
  let n = 0;
  // every extract-all case gets its own --out, except those aimed at the held directory
  const all = (more: string[], outDir = join(dir, `out-${n++}`)): string[] => [...src, '--out', outDir, ...more];

  const bad: Record<string, string[]> = {
    int: ['0', '-1', 'abc', '1.5'],
    seconds: ['0', '-1', 'abc'],
  };
  const cases: Case[] = [];
  for (const o of ['concurrency', 'batch-size', 'batches'])
    for (const v of bad.int!) cases.push(['extract-all', all([`--${o}`, v]), [`--${o}`]]);
  for (const v of ['-1', 'abc', '1.5', '101']) cases.push(['extract-all', all(['--retries', v]), ['--retries']]);
  cases.push(['extract-all', all(['--concurrency', '100000']), ['--concurrency']]);
  for (const o of ['retry-delay', 'batch-timeout', 'grace', 'connect-timeout'])
    for (const v of bad.seconds!) cases.push(['extract-all', all([`--${o}`, v]), [`--${o}`]]);
  cases.push(
    ['extract-all', all(['--batch-size', '5', '--batches', '3']), ['--batch-size', '--batches']],
    ['extract-all', all(['--format', 'xml']), ['--format']],
    ['extract-all', all(['--ejson', 'strict']), ['--ejson']],
    ['extract-all', all(['--plan-method', 'magic']), ['--plan-method']],
    ['extract-all', all(['--query', '{bad']), ['--query']],
    ['extract-all', all(['--query', '[1,2]']), ['--query']],
    ['extract-all', all(['--fields', '']), ['--fields']],
    ['extract-all', all(['--fields', 'a,$b']), ['--fields']],
    ['extract-all', all(['--summary', '']), ['--summary']],
    ['extract-all', all(['--uri', 'http://example.com']), ['--uri']],
    ['extract-all', all(['--bogus', '1']), ['bogus']],
    ['extract-all', ['--collection', 'c', '--out', held], ['--db']],
    ['extract-all', [...sourceArgs('', 'c', held)], ['--db']],
    ['extract-all', [...sourceArgs('d', '', held)], ['--collection']],
    ['extract-all', [...src, '--out', ''], ['--out']],
    ['extract-all', src, ['--out']],
    ['extract-all', all(['--ejson', 'strict'], held), ['--ejson']],
    ['extract-all', all(['--batch-size', '0'], held), ['--batch-size']],
    ['extract-all', all(['--concurrency', '0'], held), ['--concurrency']],
  );
  for (const o of ['batch-size', 'batches'])
    for (const v of ['0', '-2', 'x']) cases.push(['extract-plan', [...src, '--out', out, `--${o}`, v], [`--${o}`]]);
  cases.push(
    ['extract-plan', [...src, '--out', out, '--batch-size', '5', '--batches', '3'], ['--batch-size', '--batches']],
    ['extract-plan', [...src, '--out', out, '--plan-method', 'x'], ['--plan-method']],
    ['extract-plan', [...src, '--out', out, '--connect-timeout', '-1'], ['--connect-timeout']],
    ['extract-plan', [...src, '--out', out, '--format', 'csv'], ['--format']],
    ['extract-plan', src, ['--out']],
  );
  const b = [...src, '--out', join(dir, 'b.json')];
  cases.push(
    ['extract-batch', ['--plan', plan, '--batch', '0', '--db', 'd'], ['--db', '--plan']],
    ['extract-batch', ['--plan', plan, '--batch', '0', '--out', 'x'], ['--out', '--plan']],
    ['extract-batch', [...b, '--batch', '1'], ['--batch']],
    ['extract-batch', ['--plan', join(dir, 'nope.json'), '--batch', '0'], ['--plan', 'plan']],
    ['extract-batch', ['--plan', plan, '--batch', '0'], ['plan']],
    ['extract-batch', [...b, '--connect-timeout', '0'], ['--connect-timeout']],
    ['extract-batch', [...b, '--connect-timeout', 'abc'], ['--connect-timeout']],
    ['extract-batch', [...b, '--connect-timeout', '-3'], ['--connect-timeout']],
    ['extract-batch', [...b, '--min', '{bad'], ['--min']],
    ['extract-batch', [...b, '--max', '{"$oid":"zz"}'], ['--max']],
    ['extract-batch', [...b, '--min', '1', '--max', '"a"'], ['--min', '--max']],
    ['extract-batch', [...b, '--format', 'xml'], ['--format']],
    ['extract-batch', [...b, '--ejson', 'loose'], ['--ejson']],
    ['extract-batch', [...b, '--query', '5'], ['--query']],
    ['extract-batch', [...b, '--fields', 'a..b'], ['--fields']],
    ['extract-batch', [...b, '--report-fd', '1'], ['--report-fd']],
    ['extract-batch', [...b, '--report-fd', 'x'], ['--report-fd']],
    ['extract-batch', ['--collection', 'c', '--out', join(dir, 'b.json')], ['--db']],
    ['extract-batch', [...src], ['--out']],
    ['extract-batch', [...b, '--nope'], ['nope']],
    ['extract-verify', [], ['--out', '--plan']],
    ['extract-verify', ['--out', out, '--plan', plan], ['--out', '--plan']],
    ['extract-verify', ['--out', ''], ['--out']],
    ['extract-verify', ['--plan', join(dir, 'nope.json')], ['plan']],
    ['extract-verify', ['--out', out, '--zzz'], ['zzz']],
  );
  const problems = await runAll(cases);
  assert.deepEqual(problems, [], `${problems.length} of ${cases.length} cases misbehave:\n${problems.join('\n')}`);
});
