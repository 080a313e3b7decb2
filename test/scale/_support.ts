import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Collection, Document } from 'mongodb';
import { INDEX_VARIABLES } from '../../src/batch/batch-index.js';
import { idKey } from '../helpers/read-output.js';

const run = promisify(execFile);

/** Environment overrides that give a child its batch number through `name` and clear the other engines' variables. */
export function engineEnv(name: (typeof INDEX_VARIABLES)[number], index: number): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const v of INDEX_VARIABLES) env[v] = v === name ? String(index) : undefined;
  return env;
}

/** Insert `count` documents with integer _ids 0..count-1 and ~`pad` bytes of padding, plus `strings` string _ids. */
export async function seed(coll: Collection<Document>, count: number, pad = 300, strings = 0): Promise<void> {
  const docs: Document[] = Array.from({ length: count }, (_, i) => ({ _id: i, n: i, pad: 'x'.repeat(pad) }));
  for (let i = 0; i < strings; i++) docs.push({ _id: `s${String(i).padStart(4, '0')}`, n: -i, pad: 'y' });
  for (let i = 0; i < docs.length; i += 1000) await coll.insertMany(docs.slice(i, i + 1000) as never[]);
}

/** The collection's _id keys, sorted. */
export async function idsInCollection(coll: Collection<Document>): Promise<string[]> {
  return (await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => idKey(d._id)).sort();
}

/** Why GNU make cannot be used here, or undefined when it can. */
export async function makeMissing(): Promise<string | undefined> {
  try {
    const { stdout } = await run('make', ['--version'], { timeout: 10_000 });
    return /GNU Make/.test(stdout) ? undefined : `make is not GNU make: ${stdout.split('\n')[0]}`;
  } catch (err) {
    return `no make on this machine (${(err as Error).message.split('\n')[0]})`;
  }
}

export interface MakeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run make; never rejects. */
export async function make(
  args: readonly string[],
  env: Record<string, string>,
  timeout = 120_000,
): Promise<MakeResult> {
  try {
    const { stdout, stderr } = await run('make', [...args], { env, timeout, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}
