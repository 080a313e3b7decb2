// Reading an output directory as a user would: its data files, records and leftovers, and the _ids it holds.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TMP_FILE } from '../../src/output/atomic-file.js';
import { DATA_FILE, RECORD_FILE } from '../../src/output/layout.js';
import { idKey, readOutput } from './read-output.js';

export const dataFiles = (names: readonly string[]): string[] => names.filter((n) => DATA_FILE.test(n)).sort();
export const recordFiles = (names: readonly string[]): string[] => names.filter((n) => RECORD_FILE.test(n)).sort();
/** Temporary files of a writer (`.NAME.PID-XXXXXXXX.tmp`). */
export const tmpFiles = (names: readonly string[]): string[] => names.filter((n) => TMP_FILE.test(n));

/** The temporary files in `dir`. */
export const tmpFilesIn = async (dir: string): Promise<string[]> => tmpFiles(await readdir(dir));

/** Hidden files left in `dir`: temporary files and publish locks. */
export async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('.'));
}

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Keys that occur more than once. */
export function duplicates(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const k of keys) (seen.has(k) ? dup : seen).add(k);
  return [...dup];
}

/** Every `_id` in every data file of `dir`, in file order (duplicates kept). */
export async function idsInOutput(dir: string): Promise<unknown[]> {
  const ids: unknown[] = [];
  for (const f of dataFiles(await readdir(dir))) {
    if ((await stat(join(dir, f))).isFile()) ids.push(...(await readOutput(join(dir, f))).ids);
  }
  return ids;
}

/** Every `_id` key of the data files of `dir` in file order, the duplicates among them, and the files read. */
export async function outputIds(dir: string): Promise<{ keys: string[]; dups: string[]; files: string[] }> {
  const files = dataFiles(await readdir(dir));
  const keys = (await idsInOutput(dir)).map(idKey);
  return { keys, dups: duplicates(keys), files };
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

/** Every batch file matches its record (size and sha256), checked here without the code under test. */
export async function recordsHold(dir: string): Promise<{ batch: number; ok: boolean; why?: string }[]> {
  const out: { batch: number; ok: boolean; why?: string }[] = [];
  for (const r of recordFiles(await readdir(dir))) {
    const rec = JSON.parse(await readFile(join(dir, r), 'utf8')) as {
      batch: number;
      file: string;
      bytes: number;
      sha256: string;
    };
    const data = await readFile(join(dir, rec.file)).catch(() => undefined);
    if (!data) out.push({ batch: rec.batch, ok: false, why: 'no file' });
    else if (data.length !== rec.bytes || sha256(data) !== rec.sha256)
      out.push({ batch: rec.batch, ok: false, why: 'differs from record' });
    else out.push({ batch: rec.batch, ok: true });
  }
  return out;
}
