import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { pipeline } from 'node:stream/promises';
import type { PlanFile } from '../plan/model.js';
import { writeFileAtomic } from './atomic-file.js';
import { batchFileName, batchPath, recordPath } from './layout.js';

export const RECORD_FORMAT = 'mongo-parallel-extract/record@1';

/** The evidence one finished batch leaves beside its file: enough to check the file without the process that wrote it. */
export interface BatchRecord {
  format: typeof RECORD_FORMAT;
  planId: string;
  batch: number;
  file: string;
  docs: number;
  bytes: number;
  sha256: string;
  /** Strings and field names that were not valid UTF-8, written as `\ufffd` (absent in records of older versions). */
  invalidUtf8?: number;
  /** --check-counts: the server's count of the batch's range with the same filter, taken once the batch was written. */
  serverCount?: number;
  /** New cursors the batch opened after its last written `_id` when one died (--cursor-retries; absent: none). */
  cursorResumes?: number;
  seconds: number;
  finishedAt: string;
  host: string;
  pid: number;
}

export function makeRecord(
  plan: PlanFile,
  index: number,
  r: {
    docs: number;
    bytes: number;
    sha256: string;
    seconds: number;
    invalidUtf8?: number;
    serverCount?: number;
    cursorResumes?: number;
  },
): BatchRecord {
  return {
    format: RECORD_FORMAT,
    planId: plan.planId,
    batch: index,
    file: batchFileName(plan, index),
    docs: r.docs,
    bytes: r.bytes,
    sha256: r.sha256,
    invalidUtf8: r.invalidUtf8 ?? 0,
    ...(r.serverCount !== undefined ? { serverCount: r.serverCount } : {}),
    ...(r.cursorResumes ? { cursorResumes: r.cursorResumes } : {}),
    seconds: Math.round(r.seconds * 1000) / 1000,
    finishedAt: new Date().toISOString(),
    host: hostname(),
    pid: process.pid,
  };
}

export const writeRecord = (dir: string, plan: PlanFile, record: BatchRecord): Promise<void> =>
  writeFileAtomic(recordPath(dir, plan, record.batch), JSON.stringify(record, null, 2) + '\n');

export async function readRecord(dir: string, plan: PlanFile, index: number): Promise<BatchRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(recordPath(dir, plan, index), 'utf8')) as BatchRecord;
    return rec?.format === RECORD_FORMAT ? rec : undefined;
  } catch {
    return undefined;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export type BatchCheck = { ok: true; record: BatchRecord } | { ok: false; reason: string; record?: BatchRecord };

/**
 * Whether batch `index` is done: a record of this plan, and a data file of the recorded size
 * (and, with `hash`, the recorded sha256).
 */
export async function checkBatch(
  dir: string,
  plan: PlanFile,
  index: number,
  options: { hash: boolean },
): Promise<BatchCheck> {
  const record = await readRecord(dir, plan, index);
  if (!record) return { ok: false, reason: 'no record' };
  if (record.planId !== plan.planId || record.batch !== index)
    return { ok: false, reason: 'record belongs to another plan', record };
  const file = batchPath(dir, plan, index);
  const st = await stat(file).catch(() => undefined);
  if (!st) return { ok: false, reason: 'record without data file', record };
  if (st.size !== record.bytes)
    return { ok: false, reason: `file has ${st.size} bytes, record says ${record.bytes}`, record };
  if (!options.hash) return { ok: true, record };
  return hashCheck(await sha256File(file).catch((err: unknown) => `unreadable: ${(err as Error).message}`), record);
}

/** The verdict on a batch whose size matched: its sha256 (or why it could not be read) against the record's. */
export function hashCheck(sha: string, record: BatchRecord): BatchCheck {
  if (sha === record.sha256) return { ok: true, record };
  return {
    ok: false,
    reason: sha.startsWith('unreadable') ? `file ${sha}` : 'file checksum differs from its record',
    record,
  };
}
