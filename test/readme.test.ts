// The README is part of the product: its option tables, exit codes, file names and versions are checked against the
// program itself (each command's --help, the exit-code table, the file-name patterns, the scripts' pinned versions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT } from '../src/errors.js';
import { batchFileName, DATA_FILE } from '../src/output/layout.js';
import { repoRoot, runBin } from './helpers/cli.js';

const README = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const NATIVE = ['extract-all', 'extract-plan', 'extract-batch', 'extract-verify'] as const;
/** yargs' own options, on every command. */
const BUILT_IN = new Set(['help', 'version']);

/** The README between a heading and the next heading of the same or a higher level. */
function section(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const level = heading.match(/^#+/)![0];
  const rest = README.slice(at + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The long options a command's --help lists. */
async function helpOptions(command: string): Promise<Set<string>> {
  const r = await runBin(command, ['--help']);
  assert.equal(r.exitCode, 0, r.stderr);
  const names = [...r.stdout.matchAll(/^ {2}(?:-\w, | {4})--([A-Za-z][\w-]*)/gm)].map((m) => m[1]!);
  assert.ok(names.length > 3, `${command} --help lists its options:\n${r.stdout}`);
  return new Set(names.filter((n) => !BUILT_IN.has(n)));
}

/** Every `--name` the text mentions inside backticks. */
const mentioned = (text: string): Set<string> =>
  new Set(
    [...text.matchAll(/`[^`\n]*`/g)].flatMap((m) =>
      [...m[0].matchAll(/(?<![\w-])--([A-Za-z][\w-]*)/g)].map((o) => o[1]!),
    ),
  );

test('every option of the four native commands is in the README’s Options, and the README names none they lack', async () => {
  const options = section('### Options');
  const inReadme = mentioned(options);
  const inHelp = new Set<string>();
  for (const command of NATIVE) {
    for (const o of await helpOptions(command)) {
      inHelp.add(o);
      assert.ok(inReadme.has(o), `${command} --${o} is not in the README's Options`);
    }
  }
  const unknown = [...inReadme].filter((o) => !inHelp.has(o));
  assert.deepEqual(unknown, [], 'options the README documents that no native command accepts');
});

test('every option of mpe-export is in “Coming from mongoexport”, and that section names none it lacks', async () => {
  const text = section('## Coming from mongoexport');
  const inReadme = mentioned(text);
  const inHelp = await helpOptions('mpe-export');
  for (const o of inHelp) assert.ok(inReadme.has(o), `mpe-export --${o} is not in "Coming from mongoexport"`);
  // mongoexport's hidden and deprecated spellings are accepted too (and refused ones are refused): a mention must
  // be an option mpe-export knows, in --help or not
  const r = await runBin('mpe-export', ['--help']);
  for (const o of inReadme) {
    if (inHelp.has(o) || BUILT_IN.has(o)) continue;
    const probe = await runBin('mpe-export', [`--${o}`, 'x', '--help']);
    assert.doesNotMatch(
      probe.stderr,
      /unknown option/i,
      `"Coming from mongoexport" names --${o}, which mpe-export does not know`,
    );
  }
  assert.ok(r.stdout.length > 0);
});

test('the exit-code table is the program’s: every code, and no other', async () => {
  const rows = section('### Exit codes').match(/^\| [\d, ]+ \|/gm) ?? [];
  const inReadme = rows.flatMap((r) => r.match(/\d+/g)!.map(Number)).sort((a, b) => a - b);
  const inCode = [...new Set([...Object.values(EXIT), 130, 141, 143])].sort((a, b) => a - b);
  assert.deepEqual(inReadme, inCode);
  // and the epilogue of --help says the same codes
  const help = (await runBin('extract-all', ['--help'])).stdout;
  const epilogue = help.slice(help.indexOf('Exit codes:'));
  for (const code of inCode)
    assert.match(epilogue, new RegExp(`(^|\\s|/)${code}\\b`, 'm'), `--help's exit codes lack ${code}`);
});

test('the batch-* glob and the file names in the README are the names the program writes', () => {
  const glob = /^batch-.*$/; // the README's `batch-*`
  for (const format of ['json', 'ndjson', 'csv'] as const) {
    for (const [gzip, zstd] of [
      [false, false],
      [true, false],
      [false, true],
    ]) {
      const name = batchFileName({ batches: [], output: { format, gzip, ...(zstd ? { zstd } : {}) } } as never, 7);
      assert.match(name, DATA_FILE);
      assert.match(name, glob);
      const ext = name.slice(name.indexOf('.'));
      assert.ok(README.includes(`\`${ext}\``) || README.includes(`${ext}\``), `the README names ${ext} files`);
    }
  }
  assert.match(README, /`batch-\*` names only data files/);
});

test('the versions the README states are the ones the scripts use', () => {
  const ferret = readFileSync(join(repoRoot, 'scripts', 'ferretdb.js'), 'utf8');
  const version = ferret.match(/FERRETDB_VERSION = '(v[\d.]+)'/)![1]!;
  const stated = [...README.matchAll(/FerretDB (v\d+\.\d+\.\d+)/g)].map((m) => m[1]);
  assert.ok(stated.length > 0);
  assert.deepEqual([...new Set(stated)], [version]);
  const go = ferret.match(/Go >= (\d+\.\d+)/)![1]!;
  const goStated = [...README.matchAll(/Go ≥ (\d+\.\d+)/g)].map((m) => m[1]);
  assert.ok(goStated.length > 0);
  assert.deepEqual([...new Set(goStated)], [go]);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { node: string };
    bin: Record<string, string>;
  };
  const node = pkg.engines.node.match(/(\d+\.\d+)/)![1]!;
  assert.match(README, new RegExp(`Node ≥ ${node.replace('.', '\\.')}\\b`));
  for (const bin of Object.keys(pkg.bin))
    assert.ok(README.includes(`\`${bin}\``), `the README names the ${bin} command`);
});
