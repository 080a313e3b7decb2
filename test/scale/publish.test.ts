import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAtomic } from '../../src/output/atomic-file.js';
import { batchPath } from '../../src/output/layout.js';
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
