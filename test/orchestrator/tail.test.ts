// The one line the orchestrator quotes for a failed attempt: a child's last line, or, when Node itself reported an
// uncaught error (its report ends in `Node.js vX.Y.Z`), the error's line — read from real crashed processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tail } from '../../src/orchestrator/tail.js';

/** What `node -e CODE` (or `node FILE`) prints on stderr, through a Tail. */
function lastLineOf(args: string[]): string {
  const r = spawnSync(process.execPath, args, { encoding: 'buffer' });
  assert.notEqual(r.status, 0);
  const tail = new Tail();
  tail.push(r.stderr);
  return tail.lastLine();
}

test("a crashed child: the error's line, not Node's version trailer", () => {
  assert.equal(lastLineOf(['-e', "throw new TypeError('boom')"]), 'TypeError: boom');
  assert.equal(
    lastLineOf(['-e', "throw Object.assign(new Error('with a code'), { code: 'E_X', errno: 7 })"]),
    'Error: with a code',
  );
  const dir = mkdtempSync(join(tmpdir(), 'mpe-tail-'));
  try {
    // a bundle cut short (rebuilt while a run starts children): what a child says is the syntax error
    writeFileSync(join(dir, 'cut.cjs'), 'module.exports = { a: function () { return 1;');
    assert.equal(lastLineOf([join(dir, 'cut.cjs')]), 'SyntaxError: Unexpected end of input');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('any other last line is the line', () => {
  const tail = new Tail();
  tail.push(Buffer.from('batch 3: reading\nextract-batch: cannot reach the server\n\n'));
  assert.equal(tail.lastLine(), 'extract-batch: cannot reach the server');
  const only = new Tail();
  only.push(Buffer.from('Node.js v22.1.0\n'));
  assert.equal(only.lastLine(), 'Node.js v22.1.0');
});
