// extract-batch reads a plain command line without yargs (src/options/plain.ts): the values must be yargs' own, and
// every command line extract-all gives its children must be plain. Pure: no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIONS } from '../../src/cli/extract-batch.js';
import { declare } from '../../src/options/declare.js';
import { cli } from '../../src/options/parse.js';
import { plainArgs } from '../../src/options/plain.js';
import { childSpec } from '../../src/orchestrator/child.js';

/** What yargs makes of `args`, as extract-batch declares its options (undefined: yargs refuses it). */
async function yargsArgs(args: string[]): Promise<Record<string, unknown> | undefined> {
  const saved = process.argv;
  process.argv = [saved[0]!, 'extract-batch', ...args];
  try {
    return (await declare(cli('extract-batch', 'usage'), OPTIONS).exitProcess(false).parseAsync()) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  } finally {
    process.argv = saved;
  }
}

/** The declared options' values only (yargs adds `_`, `$0` and camelCase copies). */
const declared = (a: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(OPTIONS).flatMap((k) => (a[k] === undefined ? [] : [[k, a[k]]])));

const base = {
  planPath: '/data/run/plan.json',
  uri: 'mongodb://u:secret@h/',
  connectTimeout: 30,
  writer: 'fast' as const,
};
const specs = [
  childSpec({ ...base, batchTimeout: undefined, graceSeconds: 10, cursorRetries: 5 }),
  childSpec({ ...base, batchTimeout: 60, graceSeconds: 1.5, cursorRetries: 0, checkCounts: 'strict' }),
  childSpec({
    ...base,
    batchTimeout: undefined,
    graceSeconds: 10,
    cursorRetries: 3,
    checkCounts: 'on',
    throttle: { docs: 500, bytes: 1e6 },
  }),
];

test('plain: every command line extract-all gives a batch is read without yargs, with the values yargs gives', async () => {
  for (const spec of specs) {
    for (const share of [undefined, { docs: 250 }, { docs: 12.5, bytes: 500000 }]) {
      const [, argv] = spec.command(7, share);
      const args = argv.slice(2); // the launcher and the command's name
      const plain = plainArgs(args, OPTIONS);
      assert.ok(plain, `not plain: ${args.join(' ')}`);
      const y = await yargsArgs(args);
      assert.ok(y, `yargs refuses: ${args.join(' ')}`);
      assert.deepEqual(plain, declared(y), args.join(' '));
      assert.equal(plain.batch, '7');
    }
  }
});

test('plain: a hand-given batch is read as yargs reads it', async () => {
  const lines = [
    ['--db', 'shop', '--collection', 'orders', '--min', '1000', '--max', '2000', '--out', '/tmp/x.json', '--quiet'],
    ['--db', 'shop', '--collection', 'orders', '--out', '-', '--format', 'csv', '--fields', 'a,b.c'],
    ['--db=shop', '--collection=orders', '--min={"$oid":"5f0000000000000000000000"}', '--out=-'],
    ['--db', 'shop', '--collection', 'orders', '--query', '{"a":{"$gt":1}}', '--out', 'x', '--connect-timeout', '0.5'],
    ['--db', 'a', '--db', 'b', '--collection', 'c', '--out', 'x'], // the last one wins, as in yargs
    ['--db', '', '--collection', 'c', '--out', 'x'],
    ['--db', ' shop ', '--collection', 'c d', '--query', ' { "a": 1 } ', '--out', 'x y.json'], // spaces kept
    ['--plan', 'p', '--batch', '0x10', '--connect-timeout', '017', '--cursor-retries', '1e3', '--report-fd', ''], // text, as written
  ];
  for (const args of lines) {
    const plain = plainArgs(args, OPTIONS);
    assert.ok(plain, `not plain: ${args.join(' ')}`);
    assert.deepEqual(plain, declared((await yargsArgs(args))!), args.join(' '));
  }
});

test('plain: anything else is left to yargs (its help, its aliases, its messages)', () => {
  const others = [
    ['--help'],
    ['--version'],
    ['-d', 'shop', '--collection', 'c', '--out', 'x'], // an alias
    ['--no-quiet', '--plan', 'p', '--batch', '1'], // a negation
    ['--plan', 'p', '--batch', '-1'], // a value like an option
    ['--plan', 'p', '--batch', '1', '--quiet=true'],
    ['--plan', 'p', '--batch', '1', 'stray'],
    ['--plan', 'p', '--batch', '1', '--colection', 'c'], // a mistake: yargs suggests --collection
    ['--plan', 'p', '--batch', '1', '--', '--quiet'],
    ['--planPath', 'p'],
  ];
  for (const args of others) assert.equal(plainArgs(args, OPTIONS), undefined, args.join(' '));
});

test("plain: a demanded option that is missing is yargs' to refuse", () => {
  const specs = {
    uri: { kind: 'string', describe: 'u', demand: true },
    quiet: { kind: 'boolean', describe: 'q' },
  } as const;
  assert.equal(plainArgs(['--quiet'], specs), undefined);
  assert.deepEqual(plainArgs(['--uri', 'x', '--quiet'], specs), { uri: 'x', quiet: true });
});
