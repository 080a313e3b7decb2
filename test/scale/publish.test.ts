import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAtomic } from '../../src/output/atomic-file.js';
import { batchPath, recordPath } from '../../src/output/layout.js';
import { acquirePublishLock, publishBatch, publishLockPath } from '../../src/output/publish.js';
import { checkBatch, makeRecord, readRecord } from '../../src/output/record.js';
import type { PlanFile } from '../../src/plan/model.js';
import { tmpDir } from '../helpers/tmp.js';

const plan = {
  planId: 'publish-test',
  batches: [{ index: 0, class: 'number', types: ['int'], estimatedDocs: 1 }],
  output: { format: 'json', ejson: 'relaxed', gzip: false },
} as unknown as PlanFile;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** One extract-batch's publish step: a data file of `content`, then its record. */
async function publishOne(dir: string, content: string, pauseMs = 0): Promise<void> {
  const file = await openAtomic(batchPath(dir, plan, 0));
  await file.handle.writeFile(content);
  if (pauseMs) await sleep(pauseMs);
  await publishBatch(dir, plan, 0, file, () =>
    makeRecord(plan, 0, { docs: 1, bytes: Buffer.byteLength(content), sha256: sha(content), seconds: 0 }),
  );
}

test('concurrent publishers of one batch: the record always describes the data file on disk', async (t) => {
  const dir = await tmpDir(t);
  for (let round = 0; round < 25; round++) {
    // different sizes too, so that even the size-only check would notice a mix-up
    await Promise.all(
      [0, 1, 2, 3].map((w) =>
        publishOne(dir, `[{"round":${round},"writer":${w}}${' '.repeat(w * 7)}]`, Math.random() * 3),
      ),
    );
    const check = await checkBatch(dir, plan, 0, { hash: true });
    assert.ok(check.ok, `round ${round}: ${check.ok ? '' : check.reason}`);
  }
  const left = (await readdir(dir)).filter((n) => n.startsWith('.'));
  assert.deepEqual(left, [], 'no temporary or lock file is left');
});

test('a publisher waits for a live holder of the batch lock, then publishes', async (t) => {
  const dir = await tmpDir(t);
  const lock = await acquirePublishLock(publishLockPath(dir, plan, 0));
  let done = false;
  const p = publishOne(dir, '[]').then(() => (done = true));
  await sleep(300);
  assert.equal(done, false, 'published while another publisher held the lock');
  assert.equal(await readRecord(dir, plan, 0), undefined);
  await lock.release();
  await p;
  assert.ok((await checkBatch(dir, plan, 0, { hash: true })).ok);
});

test('a lock left by a dead process, a stale lock and an empty old lock are taken over', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  // 1. same host, dead pid (a publisher SIGKILLed inside its critical section)
  await writeFile(
    path,
    JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: new Date().toISOString(), nonce: 'dead' }) + '\n',
  );
  await publishOne(dir, '[1]');
  assert.ok((await checkBatch(dir, plan, 0, { hash: true })).ok);
  // 2. another host (another pod), older than the stale limit
  await writeFile(path, JSON.stringify({ pid: 1, host: 'other-pod', at: '2020-01-01T00:00:00Z', nonce: 'old' }) + '\n');
  const old = new Date(Date.now() - 5_000);
  await utimes(path, old, old);
  const file = await openAtomic(batchPath(dir, plan, 0));
  await file.handle.writeFile('[2]');
  await publishBatch(
    dir,
    plan,
    0,
    file,
    () => makeRecord(plan, 0, { docs: 1, bytes: 3, sha256: sha('[2]'), seconds: 0 }),
    { staleMs: 1_000 },
  );
  assert.equal(await readFile(batchPath(dir, plan, 0), 'utf8'), '[2]');
  // 3. empty (its writer died between creating and filling it), a few seconds old
  await writeFile(path, '');
  await utimes(path, old, old);
  await publishOne(dir, '[3]');
  assert.equal(await readFile(batchPath(dir, plan, 0), 'utf8'), '[3]');
  assert.ok((await checkBatch(dir, plan, 0, { hash: true })).ok);
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n.startsWith('.')),
    [],
  );
});

const pending = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => false), sleep(ms).then(() => true)]);

test('a live lock of another host, not yet stale, and a fresh empty lock are waited for, not taken over', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  await writeFile(path, JSON.stringify({ pid: 1, host: 'other-pod', at: new Date().toISOString(), nonce: 'x' }) + '\n');
  const waiting = acquirePublishLock(path, { staleMs: 60_000, pollMs: 5 });
  assert.equal(await pending(waiting, 200), true, 'took over a live lock of another host');
  await writeFile(path, ''); // a publisher between creating its lock and writing it
  assert.equal(await pending(waiting, 200), true, 'took over a lock being written');
  await import('node:fs/promises').then((fs) => fs.unlink(path));
  const lock = await waiting;
  const held = JSON.parse(await readFile(path, 'utf8'));
  assert.equal(held.pid, process.pid);
  assert.equal(held.host, hostname());
  assert.match(held.nonce, /^[0-9a-f]{16}$/);
  await lock.release();
  assert.deepEqual(await readdir(dir), []);
});

test('release removes only its own lock, and the exit hook goes with it', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const before = process.listenerCount('exit');
  const lock = await acquirePublishLock(path);
  assert.equal(process.listenerCount('exit'), before + 1, 'a publisher killed in its critical section removes it');
  // taken over meanwhile (judged stale) by another publisher: its lock stays
  const other = JSON.stringify({ pid: 1, host: 'h', at: 'now', nonce: 'someone-else' }) + '\n';
  await writeFile(path, other);
  await lock.release();
  assert.equal(process.listenerCount('exit'), before);
  assert.equal(await readFile(path, 'utf8'), other);
});

test('a lock that cannot be created (no such directory) is an OUTPUT error naming it', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(`${dir}/missing`, plan, 0);
  await assert.rejects(acquirePublishLock(path), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'OUTPUT');
    assert.ok(err.message.includes(path), err.message);
    return true;
  });
});

test('the lock file holds one JSON line naming its holder', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const lock = await acquirePublishLock(path);
  const text = await readFile(path, 'utf8');
  assert.equal(text.endsWith('}\n'), true, JSON.stringify(text));
  assert.equal(text.indexOf('\n'), text.length - 1);
  assert.equal(JSON.parse(text).pid, process.pid);
  assert.ok(Number.isFinite(Date.parse(JSON.parse(text).at)));
  await lock.release();
});

test('taking and releasing the lock leaves no file descriptor open', {
  skip: !existsSync('/proc/self/fd'),
}, async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  const lock = await acquirePublishLock(path);
  assert.equal(fds(), before, 'the lock file is still open');
  await lock.release();
  assert.equal(fds(), before);
});

test('the exit hook of a publisher killed in its critical section removes the lock (and a gone lock is no error)', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const before = process.listeners('exit');
  const lock = await acquirePublishLock(path);
  const hooks = process.listeners('exit').filter((l) => !before.includes(l));
  assert.equal(hooks.length, 1);
  const hook = hooks[0] as () => void;
  hook();
  assert.equal(existsSync(path), false, 'the exit hook left the lock behind');
  hook(); // already gone: nothing to do, nothing thrown
  await lock.release(); // nothing to release: resolves
  assert.deepEqual(await readdir(dir), []);
  // the lock can be had again at once
  const again = await acquirePublishLock(path, { pollMs: 5 });
  await again.release();
  assert.deepEqual(await readdir(dir), []);
});

test('release leaves a lock that is being written (still empty) by the publisher that took over', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const lock = await acquirePublishLock(path);
  await writeFile(path, '');
  await lock.release();
  assert.equal(await readFile(path, 'utf8'), '');
});

test('a lock that vanishes between the attempt to create it and the read of its holder is tried again', async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  // a directory in the lock's place: creating the lock fails with EEXIST, reading its holder finds nothing
  await mkdir(path);
  const waiting = acquirePublishLock(path, { pollMs: 5 });
  assert.equal(await pending(waiting, 100), true);
  await rmdir(path);
  const lock = await waiting;
  assert.equal(JSON.parse(await readFile(path, 'utf8')).pid, process.pid);
  await lock.release();
  assert.deepEqual(await readdir(dir), []);
});

test("an old record that cannot be removed fails the publish before the data file takes the batch's name", async (t) => {
  const dir = await tmpDir(t);
  const record = recordPath(dir, plan, 0);
  await mkdir(record); // not a file: unlink fails with EISDIR, not ENOENT
  const file = await openAtomic(batchPath(dir, plan, 0));
  t.after(() => file.abort().catch(() => {}));
  await file.handle.writeFile('[]');
  await assert.rejects(
    publishBatch(dir, plan, 0, file, () => makeRecord(plan, 0, { docs: 0, bytes: 2, sha256: sha('[]'), seconds: 0 })),
    (err: Error) => {
      assert.ok(err.message.includes(record), err.message);
      return true;
    },
  );
  assert.equal(existsSync(batchPath(dir, plan, 0)), false, 'the data file was published without its record');
  assert.equal(existsSync(publishLockPath(dir, plan, 0)), false, 'the lock was not released');
});

test("a fresh lock of another host is waited for even when its pid is not alive here (it is another host's pid)", async (t) => {
  const dir = await tmpDir(t);
  const path = publishLockPath(dir, plan, 0);
  const holder = { pid: 2 ** 22 + 12345, host: 'other-pod', at: new Date().toISOString(), nonce: 'other' };
  await writeFile(path, JSON.stringify(holder) + '\n');
  const waiting = acquirePublishLock(path, { staleMs: 60_000, pollMs: 5 });
  assert.equal(await pending(waiting, 200), true, "took over another host's live lock");
  assert.equal(JSON.parse(await readFile(path, 'utf8')).nonce, 'other');
  await import('node:fs/promises').then((fs) => fs.unlink(path));
  await (await waiting).release();
});
