// The checks that decide whether a batch is done (extract-verify, --resume, --skip-done, the launcher): a record of
// this plan and batch, a data file of the recorded size and sha256. No server: files written here.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { batchPath, recordPath } from '../../src/output/layout.js';
import { destinationAt } from '../../src/output/local-destination.js';
import { checkBatch, hashCheck, makeRecord, RECORD_FORMAT, readRecord, writeRecord } from '../../src/output/record.js';
import { doneRecords, ranges, verifyPlan } from '../../src/output/verify.js';
import type { PlanFile } from '../../src/plan/model.js';
import { makePlanFile } from '../../src/plan/plan-file.js';
import { sha256 } from '../helpers/output-dir.js';
import { tmpDir } from '../helpers/tmp.js';

const planOf = (n: number, collection = 'c'): PlanFile =>
  makePlanFile({
    source: { db: 'd', collection },
    query: null,
    fields: null,
    output: { format: 'ndjson', ejson: 'relaxed', gzip: false },
    expectedDocs: n,
    method: { name: 'scan', batchSize: 1, idClasses: { number: n }, keysRead: n, seconds: 0, notes: [] },
    batches: Array.from({ length: n }, (_, i) => ({
      index: i,
      class: 'number',
      types: ['int'],
      ...(i > 0 ? { min: i } : {}),
      ...(i < n - 1 ? { max: i + 1 } : {}),
      estimatedDocs: 1,
    })),
  });

/** Batch i as a finished batch leaves it: `{"_id":i}` lines, docs of them, and its record. */
async function finish(dir: string, plan: PlanFile, i: number, docs = 1): Promise<string> {
  const text = Array.from({ length: docs }, (_, k) => `{"_id":${i * 100 + k}}\n`).join('');
  await writeFile(batchPath(dir, plan, i), text);
  await writeRecord(
    dir,
    plan,
    makeRecord(plan, i, { docs, bytes: Buffer.byteLength(text), sha256: sha256(text), seconds: 0, invalidUtf8: i }),
  );
  return text;
}

describe('checkBatch: what makes a batch done', () => {
  test('a record of this plan and batch, and a file of its size and sha256', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(3);
    await finish(dir, plan, 1, 4);
    const c = await checkBatch(dir, plan, 1, { hash: true });
    assert.ok(c.ok);
    assert.equal(c.record.docs, 4);
    assert.equal(c.record.invalidUtf8, 1);
    assert.deepEqual(await readRecord(dir, plan, 1), c.record);
  });

  test('each way of not being done has its reason; sizes alone (--quick) miss a changed byte', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(3);
    const reason = async (i: number, hash = true) => {
      const c = await checkBatch(dir, plan, i, { hash });
      return c.ok ? 'ok' : c.reason;
    };
    assert.equal(await reason(0), 'no record');
    await finish(dir, plan, 0);
    await rm(batchPath(dir, plan, 0));
    assert.equal(await reason(0), 'record without data file');

    const text = await finish(dir, plan, 1, 3);
    await writeFile(batchPath(dir, plan, 1), `${text}x`);
    assert.equal(await reason(1), `file has ${text.length + 1} bytes, record says ${text.length}`);
    await writeFile(batchPath(dir, plan, 1), text.replace('"_id":100', '"_id":109'));
    assert.equal(await reason(1), 'file checksum differs from its record');
    assert.equal(await reason(1, false), 'ok', '--quick checks sizes only');

    // a record of another plan, or of another batch, is not this batch's
    const other = planOf(3, 'other');
    await finish(dir, other, 2);
    assert.equal(await reason(2), 'record belongs to another plan');
    const moved = JSON.parse(await readFile(recordPath(dir, plan, 2), 'utf8'));
    moved.planId = plan.planId;
    moved.batch = 1;
    await writeFile(recordPath(dir, plan, 2), JSON.stringify(moved));
    assert.equal(await reason(2), 'record belongs to another plan');

    await writeFile(recordPath(dir, plan, 2), '{"format":"something else"}');
    assert.equal(await reason(2), 'no record');
    await writeFile(recordPath(dir, plan, 2), 'not json');
    assert.equal(await reason(2), 'no record');
    await rm(batchPath(dir, plan, 2));
    await mkdir(batchPath(dir, plan, 2));
    await finish(dir, plan, 0);
    const unreadable = await checkBatch(dir, plan, 0, { hash: true });
    assert.ok(unreadable.ok);
  });
});

describe('verifyPlan and doneRecords', () => {
  test('complete only when every batch checks out; missing and bad batches named apart; counts summed', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(5);
    const d = destinationAt(dir);
    const empty = await verifyPlan(d, plan, { hash: true });
    assert.deepEqual(
      { complete: empty.complete, done: empty.done, missing: empty.missing, failed: empty.failed, docs: empty.docs },
      { complete: false, done: 0, missing: [0, 1, 2, 3, 4], failed: [], docs: 0 },
    );
    for (const i of [0, 1, 2, 3, 4]) await finish(dir, plan, i, i + 1);
    const all = await verifyPlan(d, plan, { hash: true });
    assert.equal(all.complete, true);
    assert.equal(all.done, 5);
    assert.equal(all.docs, 15);
    assert.equal(all.bytes, 10 + 24 + 36 + 48 + 60, 'the bytes of every file');
    assert.equal(all.difference, 10);
    assert.equal(all.expectedDocs, 5);
    assert.equal(all.planId, plan.planId);

    await rm(recordPath(dir, plan, 3));
    const text = await readFile(batchPath(dir, plan, 1), 'utf8');
    await writeFile(batchPath(dir, plan, 1), text.replace('100', '101'));
    const some = await verifyPlan(d, plan, { hash: true });
    assert.equal(some.complete, false);
    assert.deepEqual(some.missing, [3]);
    assert.deepEqual(some.failed, [{ batch: 1, reason: 'file checksum differs from its record' }]);
    assert.equal(some.done, 3);
    assert.equal(some.docs, 1 + 3 + 5);
    assert.equal((await verifyPlan(d, plan, { hash: false })).failed.length, 0);

    const records = await doneRecords(d, plan);
    assert.deepEqual(
      Array.from(records, (r) => r?.batch),
      [0, undefined, 2, undefined, 4],
    );
  });

  test('ranges: runs of batch numbers', () => {
    assert.equal(ranges([]), '');
    assert.equal(ranges([4]), '4');
    assert.equal(ranges([1, 2, 3, 7]), '1-3, 7');
    assert.equal(ranges([0, 2, 3, 5, 6, 7, 9]), '0, 2-3, 5-7, 9');
  });
});

describe('records: what they hold, and --check-counts', () => {
  test('a record: the plan, the batch, its numbers, seconds to the millisecond, the server count only when taken', () => {
    const plan = planOf(2);
    const r = makeRecord(plan, 1, { docs: 3, bytes: 10, sha256: 'ab', seconds: 1.23456, invalidUtf8: 2 });
    assert.equal(r.format, RECORD_FORMAT);
    assert.equal(RECORD_FORMAT, 'mongo-parallel-extract/record@1', 'the format name is part of the files others read');
    assert.deepEqual(
      [r.planId, r.batch, r.file, r.docs, r.bytes, r.sha256, r.invalidUtf8],
      [plan.planId, 1, 'batch-00001.ndjson', 3, 10, 'ab', 2],
    );
    assert.equal(r.seconds, 1.235);
    assert.equal('serverCount' in r, false, 'no count asked: none recorded');
    const counted = makeRecord(plan, 1, { docs: 3, bytes: 10, sha256: 'ab', seconds: 0, serverCount: 4 });
    assert.equal(counted.serverCount, 4);
    assert.equal(makeRecord(plan, 0, { docs: 0, bytes: 0, sha256: '', seconds: 0, serverCount: 0 }).serverCount, 0);
  });

  test('hashCheck: the sha256 decides; an unreadable file says so, with why', () => {
    const rec = makeRecord(planOf(1), 0, { docs: 1, bytes: 1, sha256: 'aa', seconds: 0 });
    assert.deepEqual(hashCheck('aa', rec), { ok: true, record: rec });
    assert.deepEqual(hashCheck('bb', rec), { ok: false, reason: 'file checksum differs from its record', record: rec });
    assert.deepEqual(hashCheck('unreadable: EACCES', rec), {
      ok: false,
      reason: 'file unreadable: EACCES',
      record: rec,
    });
  });

  test('a record written is a record read back, ending in a newline; anything else in its place is no record', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(2);
    const rec = makeRecord(plan, 0, { docs: 1, bytes: 1, sha256: 'aa', seconds: 0 });
    await writeRecord(dir, plan, rec);
    assert.ok((await readFile(recordPath(dir, plan, 0), 'utf8')).endsWith('}\n'));
    assert.deepEqual(await readRecord(dir, plan, 0), rec);
    for (const junk of ['null', '{"format":"other"}', 'not json', '']) {
      await writeFile(recordPath(dir, plan, 1), junk);
      assert.equal(await readRecord(dir, plan, 1), undefined, junk);
    }
  });

  test('verifyPlan: differences between the documents and the server count listed per batch; none without counts', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(3);
    const d = destinationAt(dir);
    for (const i of [0, 1, 2]) await finish(dir, plan, i, 2);
    const plain = await verifyPlan(d, plan, { hash: true });
    assert.equal('countMismatches' in plain, false, 'no --check-counts: no list');
    for (const [i, serverCount] of [
      [0, 2],
      [1, 3],
      [2, 2],
    ] as const) {
      const text = Array.from({ length: 2 }, (_, k) => `{"_id":${i * 100 + k}}\n`).join('');
      const rec = makeRecord(plan, i, {
        docs: 2,
        bytes: Buffer.byteLength(text),
        sha256: sha256(text),
        seconds: 0,
        serverCount,
      });
      await writeRecord(dir, plan, rec);
    }
    const seen: number[] = [];
    const counted = await verifyPlan(d, plan, { hash: true, onChecked: (n) => seen.push(n) });
    assert.equal(counted.complete, true, 'a difference is reported, not a failure');
    assert.deepEqual(counted.countMismatches, [{ batch: 1, docs: 2, serverCount: 3 }]);
    assert.deepEqual(seen, [1, 2, 3], 'progress counts the batches checked');
  });

  test('verifyPlan: one batch with a server count is enough for the list (a run resumed with --check-counts)', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(2);
    const d = destinationAt(dir);
    await finish(dir, plan, 0, 2);
    const text = '{"_id":100}\n';
    const rec = makeRecord(plan, 1, { docs: 1, bytes: text.length, sha256: sha256(text), seconds: 0, serverCount: 4 });
    await writeFile(batchPath(dir, plan, 1), text);
    await writeRecord(dir, plan, rec);
    const r = await verifyPlan(d, plan, { hash: true });
    assert.deepEqual(r.countMismatches, [{ batch: 1, docs: 1, serverCount: 4 }]);
  });

  test('doneRecords reports its progress: batches checked, batches done, bytes done', async (t) => {
    const dir = await tmpDir(t);
    const plan = planOf(3);
    const a = await finish(dir, plan, 0, 1);
    const c = await finish(dir, plan, 2, 2);
    const seen: [number, number, number][] = [];
    await doneRecords(destinationAt(dir), plan, (checked, done, bytes) => seen.push([checked, done, bytes]));
    const [ba, bc] = [Buffer.byteLength(a), Buffer.byteLength(c)];
    assert.deepEqual(seen, [
      [1, 1, ba],
      [2, 1, ba],
      [3, 2, ba + bc],
    ]);
  });
});
