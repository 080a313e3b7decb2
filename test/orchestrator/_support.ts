// Shared by the orchestrator tests: running extract-all with a summary, reading an output directory, finding
// extract-batch processes in /proc, preload scripts that make children misbehave, and a private FerretDB.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Collection, Document } from 'mongodb';
import { type RunOptions, type RunResult, repoRoot, runBin } from '../helpers/cli.js';
import { COMMAND_OF_PROCESS, commandOf } from '../helpers/proc.js';
import { idKey, idKeys, readOutput } from '../helpers/read-output.js';
import type { Cleanup } from '../helpers/tmp.js';

/** The JSON extract-all writes with --summary. */
export type { Summary } from '../../src/orchestrator/summary.js';

import type { Summary } from '../../src/orchestrator/summary.js';

/** Flags that keep failure paths fast (the connect timeout is generous: a loaded machine must not turn into retries). */
export const FAST = ['--retry-delay', '0.05', '--connect-timeout', '10', '--grace', '1', '--quiet'];

/** Run extract-all to completion with `--summary FILE`; the summary is undefined when none was written. */
export async function extractAll(
  args: readonly string[],
  summaryFile: string,
  options: RunOptions = {},
): Promise<RunResult & { summary: Summary | undefined }> {
  const r = await runBin('extract-all', [...args, '--summary', summaryFile], { timeout: 60_000, ...options });
  return { ...r, summary: await readSummary(summaryFile) };
}

export async function readSummary(file: string): Promise<Summary | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Summary;
  } catch {
    return undefined;
  }
}

/** A readable account of a run, for assertion messages. */
export const explain = (r: {
  exitCode?: number | null;
  signal?: string | null;
  stderr: string;
  summary?: Summary | undefined;
}): string =>
  `exit ${r.exitCode} signal ${r.signal}\nstderr:\n${r.stderr.slice(-3000)}\nsummary: ${JSON.stringify(r.summary, null, 1)?.slice(0, 3000)}`;

export const dataFiles = (names: readonly string[]): string[] =>
  names.filter((n) => /^batch-\d+\.(json|ndjson)(\.gz)?$/.test(n)).sort();
export const recordFiles = (names: readonly string[]): string[] =>
  names.filter((n) => /^record-\d+\.json$/.test(n)).sort();
export const tmpFiles = (names: readonly string[]): string[] => names.filter((n) => n.endsWith('.tmp'));

/** Every `_id` in every batch file of `dir`, in file order (duplicates kept). */
export async function idsInOutput(dir: string): Promise<unknown[]> {
  const ids: unknown[] = [];
  for (const f of dataFiles(await readdir(dir))) {
    if ((await stat(join(dir, f))).isFile()) ids.push(...(await readOutput(join(dir, f))).ids);
  }
  return ids;
}

/** The `_id` keys the collection holds for `filter`, sorted. */
export async function expectedKeys(coll: Collection<Document>, filter: Document = {}): Promise<string[]> {
  const docs = await coll.find(filter, { projection: { _id: 1 } }).toArray();
  return docs.map((d) => idKey(d._id)).sort();
}

/** Keys that occur more than once. */
export function duplicates(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const k of keys) (seen.has(k) ? dup : seen).add(k);
  return [...dup];
}

/** Per record file: its mtime and the finishedAt it holds (what a rerun of that batch would change). */
export async function recordStamps(
  dir: string,
): Promise<Map<string, { mtimeMs: number; finishedAt: string; pid: number }>> {
  const out = new Map<string, { mtimeMs: number; finishedAt: string; pid: number }>();
  for (const f of recordFiles(await readdir(dir))) {
    const rec = JSON.parse(await readFile(join(dir, f), 'utf8')) as { finishedAt: string; pid: number };
    out.set(f, { mtimeMs: (await stat(join(dir, f))).mtimeMs, finishedAt: rec.finishedAt, pid: rec.pid });
  }
  return out;
}

/** Every file in `dir` with its size and mtime, to show that a refused run touched nothing. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) {
    const st = await stat(join(dir, f));
    out[f] = `${st.isDirectory() ? 'dir' : 'file'} ${st.size} ${st.mtimeMs}`;
  }
  return out;
}

/** Live extract-batch processes (zombies have an empty cmdline) whose command line mentions `marker`. */
export function batchProcesses(marker: string): { pid: number; batch: number }[] {
  const found: { pid: number; batch: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const at = argv.indexOf('--batch');
    if (at < 0 || commandOf(argv) !== 'extract-batch' || !argv.some((a) => a.includes(marker))) continue;
    found.push({ pid: Number(name), batch: Number(argv[at + 1]) });
  }
  return found;
}

export { processAlive } from '../helpers/proc.js';

/** A field of /proc/PID/status in KiB (VmHWM, VmRSS), or undefined once the process is gone. */
export function procStatusKiB(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
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
