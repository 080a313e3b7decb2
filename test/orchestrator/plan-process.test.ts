// Planning runs in a process of its own (src/orchestrator/plan-process.ts): when that process dies without a plan,
// extract-all says so in one line, exit 1, and leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedNumbers } from './_support.js';

const tdb = withDb('orch_plan_process');

test('a planning process that dies: one line with its exit and last words, exit 1, no output directory', async (t) => {
  await seedNumbers(tdb.db.collection('c'), 50, 10);
  const tmp = await tmpDir(t);
  const preload = join(tmp, 'die.cjs');
  await writeFile(
    preload,
    "if (process.argv.includes('plan-task')) { process.stderr.write('out of luck\\n'); process.exit(7); }\n",
  );
  const out = join(tmp, 'out');
  const r = await extractAll([...sourceArgs(tdb.name, 'c', out), '--batch-size', '10', ...FAST], join(tmp, 's.json'), {
    env: { NODE_OPTIONS: `--require ${preload}` },
  });
  assert.equal(r.exitCode, 1, explain(r));
  assert.equal(r.stderr.trim(), 'extract-all: planning ended without a plan (exit 7): out of luck');
  assert.equal(existsSync(out), false, 'the directory this run created is gone');
});
