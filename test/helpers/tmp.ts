import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What node:test's TestContext offers for cleanup. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A fresh directory under the system temp dir, removed when the test ends. */
export async function tmpDir(t: Cleanup, prefix = 'mpe-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

/**
 * A tmpfs of `sizeKiB` mounted on a fresh directory (unmounted and removed when the test ends), or the reason it
 * cannot be had here (not root, no mount permission in this container, …).
 */
export async function smallFilesystem(t: Cleanup, sizeKiB: number): Promise<{ dir: string } | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mpe-tmpfs-'));
  let mounted = false;
  t.after(async () => {
    if (mounted)
      await run('umount', [dir], { timeout: 10_000 }).catch(() => run('umount', ['-l', dir]).catch(() => {}));
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { timeout: 10_000 });
    mounted = true;
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr || (err as Error).message)
      .trim()
      .split('\n')[0];
    return { skip: `cannot mount a ${sizeKiB} KiB tmpfs here: ${why}` };
  }
  return { dir };
}
