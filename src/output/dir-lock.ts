import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExtractError, outputError } from '../errors.js';
import { pidAlive } from '../pid.js';
import { LOCK_FILE } from './layout.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One orchestrator per output directory. The lock names its holder; a holder on this host that is no longer
 * alive (an orchestrator killed with SIGKILL) is taken over. Returns a release function.
 */
export async function acquireLock(dir: string): Promise<{ release(): Promise<void>; tookOverFrom?: LockInfo }> {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let tookOverFrom: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(JSON.stringify(me) + '\n');
      await fh.close();
      const release = async () => {
        const now = await readLock(path);
        if (now?.pid === me.pid && now.host === me.host) await unlink(path).catch(() => {});
      };
      return tookOverFrom ? { release, tookOverFrom } : { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(err, path);
    }
    const holder = await readLock(path);
    if (holder && (holder.host !== me.host || pidAlive(holder.pid))) {
      throw new ExtractError(
        'BUSY',
        `${dir} is in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); wait for it, or remove ${path} if that run is gone`,
      );
    }
    // the holder is dead (or the lock is unreadable): take it over
    tookOverFrom = holder;
    await unlink(path).catch(() => {});
  }
  throw new ExtractError('BUSY', `could not take the lock ${path}`);
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}
