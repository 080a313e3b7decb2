// bin/launch.cjs: how extract-all starts its children (node bin/launch.cjs COMMAND ARGS…), from the bundle.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { childEnv, repoRoot } from '../helpers/cli.js';
import { childCommand } from '../../src/orchestrator/child.js';

const launch = (args: string[]) =>
  execa(process.execPath, [join(repoRoot, 'bin', 'launch.cjs'), ...args], { reject: false, extendEnv: false, env: childEnv(), timeout: 30_000, stdin: 'ignore' });

describe('bin/launch.cjs', () => {
  test('extract-all starts a batch as `node bin/launch.cjs extract-batch ARGS…`, with the orchestrator\'s Node', () => {
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
      assert.equal(r.stderr.trim(), 'mpe: the first argument names the command: extract-batch, extract-all, extract-plan, extract-verify');
    }
  });
});
