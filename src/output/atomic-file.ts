import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { type FileHandle, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { outputError } from '../errors.js';
import { pidAlive } from '../pid.js';

/** Temporary names carry the writer's pid so a later run can tell a dead writer's leftovers from a live one's. */
export const TMP_FILE = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.tmp$/;

export const tmpNameFor = (finalPath: string): string =>
  join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);

/** Counts and hashes the bytes that pass, which are exactly the bytes of the published file. */
export class HashCounter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

export interface AtomicFile {
  readonly tmpPath: string;
  readonly handle: FileHandle;
  /** A stream into the file; it leaves the descriptor open for commit() to fsync. */
  createStream(): WriteStream;
  /** fsync, rename over the final name, fsync the directory. */
  commit(): Promise<void>;
  /** Close and remove the temporary file; the final name is untouched. */
  abort(): Promise<void>;
  /** Remove the temporary file synchronously (a process about to exit on a signal). */
  abortNow(): void;
}

/** A temporary file beside `finalPath` that becomes `finalPath` only on commit: nothing partial ever has the final name. */
export async function openAtomic(finalPath: string): Promise<AtomicFile> {
  const tmpPath = tmpNameFor(finalPath);
  let handle: FileHandle;
  try {
    handle = await open(tmpPath, 'wx', 0o644);
  } catch (err) {
    throw outputError(err, finalPath);
  }
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close().catch(() => {});
    }
  };
  return {
    tmpPath,
    handle,
    // A stream made by handle.createWriteStream() holds the handle until the stream closes, which would
    // stall close(); a plain stream over the descriptor does not.
    createStream: () => createWriteStream('', { fd: handle.fd, autoClose: false, highWaterMark: 1 << 20 }),
    async commit() {
      try {
        await handle.sync();
        await close();
        await rename(tmpPath, finalPath);
        await syncDir(dirname(finalPath));
      } catch (err) {
        await close();
        await unlink(tmpPath).catch(() => {});
        throw outputError(err, finalPath);
      }
    },
    async abort() {
      await close();
      await unlink(tmpPath).catch(() => {});
    },
    abortNow() {
      try {
        unlinkSync(tmpPath);
      } catch {
        // already renamed or removed
      }
    },
  };
}

/** Write a small file atomically (plans, records, manifests). */
export async function writeFileAtomic(finalPath: string, text: string): Promise<void> {
  const file = await openAtomic(finalPath);
  try {
    await file.handle.writeFile(text);
  } catch (err) {
    await file.abort();
    throw outputError(err, finalPath);
  }
  await file.commit();
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => {}); // some file systems refuse to fsync a directory; the rename still stands
  await fh.close();
}

/** Remove temporary files left in `dir` by writers that are no longer alive. Returns how many were removed. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = TMP_FILE.exec(name);
    if (m && !pidAlive(Number(m[2]))) {
      await unlink(join(dir, name)).then(
        () => removed++,
        () => {},
      );
    }
  }
  return removed;
}
