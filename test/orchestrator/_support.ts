// Shared by the orchestrator tests: preload scripts that make children misbehave, seeding, a private FerretDB, and
// the exactly-once check after a resume. Running extract-all, reading its output and /proc: test/helpers/.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Collection, Document } from 'mongodb';
import { repoRoot, runBin } from '../helpers/cli.js';
import { duplicates, idsInOutput, recordStamps } from '../helpers/output-dir.js';
import { COMMAND_OF_PROCESS } from '../helpers/proc.js';
import { idKey, idKeys } from '../helpers/read-output.js';
import type { Cleanup } from '../helpers/tmp.js';

/** The `_id` keys the collection holds for `filter`, sorted. */
export async function expectedKeys(coll: Collection<Document>, filter: Document = {}): Promise<string[]> {
  const docs = await coll.find(filter, { projection: { _id: 1 } }).toArray();
  return docs.map((d) => idKey(d._id)).sort();
}

/**
 * Write a CommonJS preload that runs `body` only in extract-batch processes, with `batch` (the --batch number)
 * and `fs` in scope; returns the NODE_OPTIONS value that loads it (children inherit the orchestrator's env).
 */
export async function preload(dir: string, name: string, body: string): Promise<string> {
  const file = join(dir, `${name}.cjs`);
  const code = `'use strict';
const fs = require('node:fs');
if (${COMMAND_OF_PROCESS} === 'extract-batch') {
  const at = process.argv.indexOf('--batch');
  const batch = at > 0 ? Number(process.argv[at + 1]) : -1;
  ${body}
}
`;
  await writeFile(file, code);
  return `--require ${file}`;
}

/** Insert `n` documents with integer `_id`s from `from`, each with a `pad` of `size` bytes. */
export async function seedNumbers(coll: Collection<Document>, n: number, size = 200, from = 0): Promise<void> {
  const docs = Array.from({ length: n }, (_, i) => ({ _id: from + i, k: i % 10, pad: 'x'.repeat(size) }));
  for (let i = 0; i < docs.length; i += 1000) await coll.insertMany(docs.slice(i, i + 1000) as Document[]);
}

/** What scripts/ferretdb.js startFerretDB() returns. */
export interface FerretServer {
  uri: string;
  port: number;
  dir: string;
  readonly pid: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal?: string): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A FerretDB of this test's own (for tests that kill the server), stopped when the test ends; or why not. */
export async function privateServer(t: Cleanup): Promise<FerretServer | { skip: string }> {
  if (process.env.MPE_TEST_SERVER !== 'ferretdb')
    return { skip: 'needs a FerretDB binary (MPE_TEST_SERVER=ferretdb, set by scripts/test.js)' };
  if (process.env.MPE_FERRETDB_BIN && !process.env.FERRETDB_BIN)
    process.env.FERRETDB_BIN = process.env.MPE_FERRETDB_BIN;
  const mod = (await import(pathToFileURL(join(repoRoot, 'scripts', 'ferretdb.js')).href)) as {
    startFerretDB(o?: { port?: number }): Promise<FerretServer>;
  };
  const server = await mod.startFerretDB();
  t.after(() => server.stop());
  return server;
}

/**
 * After a --resume: no finished batch was redone (record stamps unchanged), every _id 0..docs-1 is present exactly
 * once, and extract-verify agrees.
 */
export async function assertResumedExactlyOnce(out: string, before: Map<string, unknown>, docs: number): Promise<void> {
  const after = await recordStamps(out);
  for (const [file, stamp] of before) assert.deepEqual(after.get(file), stamp, `${file} was redone`);
  const got = idKeys(await idsInOutput(out));
  assert.deepEqual(duplicates(got), []);
  assert.deepEqual(got, idKeys(Array.from({ length: docs }, (_, i) => i)));
  assert.equal((await runBin('extract-verify', ['--out', out])).exitCode, 0);
}
