import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { outputError } from '../errors.js';
import { pidAlive } from '../pid.js';
import type { PlanFile } from '../plan/model.js';
import type { AtomicFile } from './atomic-file.js';
import { recordFileName, recordPath } from './layout.js';
import { type BatchRecord, writeRecord } from './record.js';

/**
 * Publishing a batch is two renames: the data file, then its record. Array-job engines sometimes run the same index
 * twice at once (a retried pod while the first is still alive, a requeued Slurm task), and two unguarded publishers
 * can interleave as A-data, B-data, B-record, A-record: a record describing a file that is not there. A short
 * per-batch lock (O_EXCL) around the two renames makes the last publisher's data and record win together; the slow
 * part (fsync of the data file) happens before the lock.
 */

interface Holder {
  pid: number;
  host: string;
  at: string;
  nonce: string;
}

export interface PublishLockOptions {
  /** A lock older than this is taken over whoever holds it: publishing takes milliseconds (default 60 s). */
  staleMs?: number;
  /** Pause between attempts while another publisher holds the lock (default 20–60 ms). */
  pollMs?: number;
}

const DEFAULT_STALE_MS = 60_000;
/** A lock file still empty after this long belongs to a publisher that died between creating and writing it. */
const UNREADABLE_STALE_MS = 2_000;

/** Hidden, so nothing that globs batch-* or record-* sees it. */
export const publishLockPath = (dir: string, plan: Pick<PlanFile, 'batches'>, index: number): string =>
  join(dir, `.${recordFileName(plan, index)}.lock`);

async function readHolder(path: string): Promise<{ holder?: Holder; text: string; ageMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(text) as Holder;
    } catch {
      holder = undefined;
    }
    return { ...(holder ? { holder } : {}), text, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return undefined; // gone already
  }
}

/** Take the per-batch publish lock, waiting for a live holder and taking over a dead or stale one. */
export async function acquirePublishLock(
  path: string,
  options: PublishLockOptions = {},
): Promise<{ release(): Promise<void> }> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    at: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const mine = JSON.stringify(me) + '\n';
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644);
      try {
        await fh.writeFile(mine);
      } finally {
        await fh.close();
      }
      // A publisher killed inside the critical section (SIGTERM → process.exit) must not leave the lock behind.
      const onExit = () => {
        try {
          unlinkSync(path);
        } catch {
          // gone
        }
      };
      process.once('exit', onExit);
      return {
        async release() {
          process.removeListener('exit', onExit);
          const now = await readHolder(path);
          if (now?.holder?.nonce === me.nonce) await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(err, path);
    }
    const seen = await readHolder(path);
    if (!seen) continue; // released between our open and our read
    const h = seen.holder;
    const dead = h
      ? (h.host === me.host && !pidAlive(h.pid)) || seen.ageMs > staleMs
      : seen.ageMs > UNREADABLE_STALE_MS;
    if (dead) {
      await takeOver(path, seen.text);
      continue;
    }
    await sleep(options.pollMs ?? 20 + Math.floor(Math.random() * 40));
  }
}

/**
 * Remove a stale lock without removing a fresh one another waiter took in the meantime: move it aside, and put it
 * back if it is not the one judged stale.
 */
async function takeOver(path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved or released it
  }
  const text = await readFile(aside, 'utf8').catch(() => staleText);
  if (text !== staleText) await link(aside, path).catch(() => {}); // a fresh lock: restore it unless replaced
  await unlink(aside).catch(() => {});
}

/**
 * Publish a finished batch: its data file (renamed into place) and then its record, under the batch's publish lock,
 * so that the record on disk always describes the data file on disk. The old record goes first: a publisher killed
 * half-way leaves "no record" (the batch is redone), never a record of another run's file.
 */
export async function publishBatch(
  dir: string,
  plan: PlanFile,
  index: number,
  file: AtomicFile,
  record: () => BatchRecord,
  options: PublishLockOptions = {},
): Promise<void> {
  await file.handle.sync().catch(() => {}); // the slow part, outside the lock; commit() syncs again and reports errors
  const lock = await acquirePublishLock(publishLockPath(dir, plan, index), options);
  try {
    await unlink(recordPath(dir, plan, index)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw outputError(err, recordPath(dir, plan, index));
    });
    await file.commit();
    await writeRecord(dir, plan, record());
  } finally {
    await lock.release();
  }
}
