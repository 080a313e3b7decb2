// bin/launch.cjs: how extract-all starts its children (node bin/launch.cjs COMMAND ARGS…), from the bundle.
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { childCommand } from '../../src/orchestrator/child.js';
import { BATCH_BUNDLE, BUNDLE, childEnv, LAUNCHER, repoRoot } from '../helpers/cli.js';
import { sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';

const launch = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [join(repoRoot, 'bin', 'launch.cjs'), ...args], {
    reject: false,
    extendEnv: false,
    env: childEnv(env),
    timeout: 30_000,
    stdin: 'ignore',
  });

const require = createRequire(import.meta.url);
const tdb = withDb('launch');

describe('bin/launch.cjs', () => {
  test("extract-all starts a batch as `node bin/launch.cjs extract-batch ARGS…`, with the orchestrator's Node", () => {
    const [file, args] = childCommand(['--plan', 'p.json', '--batch', '3']);
    assert.equal(file, process.execPath);
    assert.deepEqual(args, [join(repoRoot, 'bin', 'launch.cjs'), 'extract-batch', '--plan', 'p.json', '--batch', '3']);
  });

  test('runs the named command with the arguments after it (its --help comes from the bundle)', async () => {
    const r = await launch(['extract-batch', '--help']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^extract-batch --uri URI --db DB --collection C/m);
    assert.match(r.stdout, /--snapshot|--plan/);
  });

  test('the command sees its own arguments: a bad one is its usage error (exit 2, one line)', async () => {
    const r = await launch(['extract-verify', '--no-such-option']);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^extract-verify: /);
  });

  test('no command, or an unknown one: exit 2, one line naming the commands', async () => {
    for (const args of [[], ['extract-everything', '--db', 'x']]) {
      const r = await launch(args);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(
        r.stderr.trim(),
        'mpe: the first argument names the command: extract-batch, extract-all, extract-plan, extract-verify, mpe-export',
      );
    }
  });

  test('extract-batch runs from its own bundle, which leaves out what only the other commands need', () => {
    const { bundleFor } = require(LAUNCHER) as { bundleFor: (command: string) => string };
    assert.equal(bundleFor('extract-batch'), BATCH_BUNDLE);
    for (const c of ['extract-all', 'extract-plan', 'extract-verify', 'none']) assert.equal(bundleFor(c), BUNDLE);
    const batch = readFileSync(bundleFor('extract-batch'), 'utf8');
    for (const absent of [
      'node_modules/execa/',
      'node_modules/p-limit/',
      'dist/src/orchestrator/',
      'dist/src/db/plan-task.js',
    ]) {
      assert.ok(!batch.includes(absent), `batch.cjs holds ${absent}`);
    }
    assert.ok(
      readFileSync(BUNDLE, 'utf8').includes('node_modules/execa/'),
      'the check above can see a module in a bundle',
    );
  });

  test("Node's tls, http, https, dns and zlib load on first use: an empty batch loads none of them, --gzip loads zlib", async (t) => {
    await tdb.db.collection('lazy').insertOne({ _id: 1 } as never);
    const dir = await tmpDir(t);
    const preload = join(dir, 'modules.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('fs').writeFileSync(process.env.MPE_MODULES_OUT, process.moduleLoadList.join('\\n')));`,
    );
    const loaded = async (name: string, extra: string[]) => {
      const out = join(dir, `${name}.modules`);
      const r = await launch(
        [
          'extract-batch',
          '--db',
          tdb.name,
          '--collection',
          'lazy',
          '--min',
          '5',
          '--out',
          join(dir, `${name}.json`),
          '--quiet',
          ...extra,
        ],
        {
          NODE_OPTIONS: `--require ${preload}`,
          MPE_MODULES_OUT: out,
        },
      );
      assert.equal(r.exitCode, 0, r.stderr);
      return new Set(
        readFileSync(out, 'utf8')
          .split('\n')
          .filter((m) => m.startsWith('NativeModule '))
          .map((m) => m.slice('NativeModule '.length)),
      );
    };
    const plain = await loaded('plain', []);
    assert.ok(plain.has('net'), 'the list names what was loaded');
    for (const m of ['tls', 'http', 'https', 'dns', 'zlib']) assert.ok(!plain.has(m), `an empty batch loaded ${m}`);
    assert.ok((await loaded('gzip', ['--gzip'])).has('zlib'), '--gzip loads zlib when it needs it');
  });

  test('code cache: written per command after a first successful run (not by --help or a failure), reused, and a corrupt one is replaced', async (t) => {
    await tdb.db.collection('c').insertOne({ _id: 1 } as never);
    const dir = join(await tmpDir(t), 'cache');
    const env = { MPE_CODE_CACHE_DIR: dir };
    const run = (collection = 'c') =>
      launch(['extract-batch', ...sourceArgs(tdb.name, collection, join(dir, '..', 'out.json')), '--quiet'], env);
    const files = () => readdirSync(dir).filter((n) => n.endsWith('.v8cache'));

    assert.equal((await launch(['extract-batch', '--help'], env)).exitCode, 0);
    assert.deepEqual(files(), [], '--help writes no cache');
    assert.equal((await run('missing')).exitCode, 5, 'a missing collection fails');
    assert.deepEqual(files(), [], 'a failed run writes no cache');

    // caches of an earlier build (same command and Node, another bundle size and time) are removed; others stay
    const stale = `extract-batch-${process.version}-${process.arch}-1-1.v8cache`;
    const otherNode = `extract-batch-v0.0.1-${process.arch}-1-1.v8cache`;
    const otherCommand = `extract-all-${process.version}-${process.arch}-1-1.v8cache`;
    for (const n of [stale, otherNode, otherCommand]) writeFileSync(join(dir, n), 'old');
    assert.equal((await run()).exitCode, 0);
    assert.ok(!files().includes(stale), 'the cache of an earlier build is removed');
    assert.ok(files().includes(otherNode) && files().includes(otherCommand), 'caches of another Node or command stay');
    for (const n of [otherNode, otherCommand]) rmSync(join(dir, n));
    assert.deepEqual(
      files().map((n) => n.split('-v')[0]),
      ['extract-batch'],
    );
    const file = join(dir, files()[0]!);
    assert.notEqual(basename(file), stale);
    const first = readFileSync(file);
    assert.ok(first.length > 100_000, `the cache holds the code that ran (${first.length} bytes)`);

    assert.equal((await run()).exitCode, 0);
    assert.deepEqual(readFileSync(file), first, 'a cache that V8 accepts is not rewritten');

    writeFileSync(file, 'not a code cache');
    const again = await run();
    assert.equal(again.exitCode, 0, again.stderr);
    assert.ok(readFileSync(file).length > 100_000, 'a rejected cache is replaced');

    chmodSync(dir, 0o777);
    writeFileSync(file, 'planted by someone else');
    const shared = await run();
    assert.equal(shared.exitCode, 0, shared.stderr);
    assert.equal(
      readFileSync(file, 'utf8'),
      'planted by someone else',
      'a directory others can write to is neither read nor written',
    );
  });
});
