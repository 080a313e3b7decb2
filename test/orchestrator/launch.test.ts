// The launcher does not believe a child's exit 0: it re-reads the batch's file and record (sha256 included) before
// a batch counts as done. A fake child (no process) leaves files behind as a real one would, right or wrong.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Attempt, ChildSpec } from '../../src/orchestrator/child.js';
import { childLauncher, describeAttempt } from '../../src/orchestrator/launch.js';
import { openAtomic } from '../../src/output/atomic-file.js';
import { batchPath } from '../../src/output/layout.js';
import { destinationAt } from '../../src/output/local-destination.js';
import { publishBatch } from '../../src/output/publish.js';
import { makeRecord } from '../../src/output/record.js';
import type { PlanFile } from '../../src/plan/model.js';
import { makePlanFile } from '../../src/plan/plan-file.js';
import { sha256 } from '../helpers/output-dir.js';
import { tmpDir } from '../helpers/tmp.js';

const plan: PlanFile = makePlanFile({
  source: { db: 'd', collection: 'c' },
  query: null,
  fields: null,
  output: { format: 'ndjson', ejson: 'relaxed', gzip: false },
  expectedDocs: 2,
  method: { name: 'scan', batchSize: 1, idClasses: { number: 2 }, keysRead: 2, seconds: 0, notes: [] },
  batches: [
    { index: 0, class: 'number', types: ['int'], max: 1, estimatedDocs: 1 },
    { index: 1, class: 'number', types: ['int'], min: 1, estimatedDocs: 1 },
  ],
});

const spec: ChildSpec = { command: () => ['node', []], env: {}, timeoutMs: undefined, graceMs: 1000 };

const exited = (more: Partial<Attempt> = {}): Attempt => ({
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  seconds: 0.1,
  stderrTail: '',
  lastLine: '',
  result: undefined,
  failure: undefined,
  ...more,
});

/** Publish batch `index` as a child does: its data file, then its record of `bytes`. */
async function publish(dir: string, index: number, text: string, docs = 1): Promise<void> {
  const file = await openAtomic(batchPath(dir, plan, index));
  await file.handle.writeFile(text);
  const bytes = Buffer.byteLength(text);
  await publishBatch(dir, plan, index, file, () =>
    makeRecord(plan, index, { docs, bytes, sha256: sha256(text), seconds: 0.1 }),
  );
}

const signal = new AbortController().signal;

describe('the launcher checks what a child says it did', () => {
  test('exit 0 with a file and record that check out: done, with the record', async (t) => {
    const dir = await tmpDir(t);
    const launch = childLauncher(spec, destinationAt(dir), plan, async (_s, index) => {
      await publish(dir, index, '{"_id":0}\n');
      return exited({
        result: { type: 'result', docs: 1, bytes: 10, sha256: '', seconds: 0.1, file: '', invalidUtf8: 0 },
      });
    });
    const r = await launch(0, 1, signal, () => {});
    assert.ok(r.ok);
    assert.equal(r.record.docs, 1);
  });

  test('exit 0, but one byte of the file differs from its record (same size): a failed attempt, retryable', async (t) => {
    const dir = await tmpDir(t);
    // with and without the child's own result message: neither is believed over the file
    for (const result of [
      undefined,
      { type: 'result', docs: 1, bytes: 10, sha256: '', seconds: 0.1, file: '', invalidUtf8: 0 } as const,
    ]) {
      const launch = childLauncher(spec, destinationAt(dir), plan, async (_s, index) => {
        await publish(dir, index, '{"_id":0}\n');
        const path = batchPath(dir, plan, index);
        const bytes = await readFile(path);
        bytes[3] = bytes[3] === 0x30 ? 0x31 : 0x30;
        await writeFile(path, bytes);
        return exited({ result });
      });
      const r = await launch(0, 1, signal, () => {});
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.code, 'FAILED');
      assert.match(r.error, /result does not check out: file checksum differs from its record/);
    }
  });

  test('exit 0 without any record: a failed attempt', async (t) => {
    const dir = await tmpDir(t);
    const r = await childLauncher(spec, destinationAt(dir), plan, async () => exited())(1, 1, signal, () => {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /result does not check out: no record/);
  });

  test('exit 0, the record checks out, but the child reported another count: a failed attempt', async (t) => {
    const dir = await tmpDir(t);
    const launch = childLauncher(spec, destinationAt(dir), plan, async (_s, index) => {
      await publish(dir, index, '{"_id":1}\n');
      return exited({
        result: { type: 'result', docs: 7, bytes: 10, sha256: '', seconds: 0.1, file: '', invalidUtf8: 0 },
      });
    });
    const r = await launch(1, 1, signal, () => {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /the child reported 7 documents, its record says 1/);
  });

  test('a failed child: its exit code gives the class, its report says whether the cause is shared', async (t) => {
    const dir = await tmpDir(t);
    const cases: [Partial<Attempt>, string | undefined, boolean][] = [
      [{ exitCode: 3, lastLine: 'extract-batch: cannot reach the server' }, 'CONNECT', false],
      [
        { exitCode: 4, failure: { type: 'error', code: 'AUTH', message: 'authentication failed', global: true } },
        'AUTH',
        true,
      ],
      [
        { exitCode: 6, failure: { type: 'error', code: 'OUTPUT', message: 'no space left', global: true } },
        'OUTPUT',
        true,
      ],
      [
        { exitCode: 6, failure: { type: 'error', code: 'OUTPUT', message: 'permission denied', global: false } },
        'OUTPUT',
        false,
      ],
      [{ exitCode: undefined, signal: 'SIGKILL' }, undefined, false],
      [{ exitCode: 1 }, 'FAILED', false],
    ];
    for (const [attempt, code, global] of cases) {
      const r = await childLauncher(spec, destinationAt(dir), plan, async () => exited(attempt))(
        0,
        1,
        signal,
        () => {},
      );
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.equal(r.code, code, JSON.stringify(attempt));
      assert.equal(r.global, global, JSON.stringify(attempt));
    }
  });

  test('a child stopped by the run being cancelled is not a failure of its batch', async (t) => {
    const dir = await tmpDir(t);
    const r = await childLauncher(spec, destinationAt(dir), plan, async () =>
      exited({ exitCode: undefined, signal: 'SIGTERM', canceled: true }),
    )(0, 1, signal, () => {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.canceled, true);
  });
});

describe('describeAttempt: why an attempt failed, in one line', () => {
  test('a check that failed comes first, whatever else happened', () => {
    assert.equal(
      describeAttempt(exited({ timedOut: true, exitCode: 1 }), 'file has 3 bytes'),
      'result does not check out: file has 3 bytes',
    );
  });
  test('a timeout, before the child’s own report', () => {
    const failure = { type: 'error', code: 'FAILED', message: 'server error: x' } as Attempt['failure'];
    assert.equal(describeAttempt(exited({ timedOut: true, signal: 'SIGTERM', failure })), 'exceeded --batch-timeout');
  });
  test('the child’s report, before its signal or exit code', () => {
    const failure = { type: 'error', code: 'FAILED', message: 'server error: x' } as Attempt['failure'];
    assert.equal(describeAttempt(exited({ exitCode: 1, signal: 'SIGTERM', failure })), 'server error: x');
  });
  test('a signal: SIGKILL says who may have sent it, another signal is named alone', () => {
    assert.equal(
      describeAttempt(exited({ exitCode: undefined, signal: 'SIGKILL' })),
      'killed by SIGKILL (out of memory, or killed from outside)',
    );
    assert.equal(describeAttempt(exited({ exitCode: undefined, signal: 'SIGSEGV' })), 'killed by SIGSEGV');
  });
  test('else its last stderr line without the command prefix, or its exit code', () => {
    assert.equal(
      describeAttempt(exited({ exitCode: 6, lastLine: 'extract-batch: cannot write /x: disk full' })),
      'cannot write /x: disk full',
    );
    assert.equal(describeAttempt(exited({ exitCode: 6, lastLine: 'oops extract-batch: x' })), 'oops extract-batch: x');
    assert.equal(describeAttempt(exited({ exitCode: 3, lastLine: '' })), 'exit code 3');
    assert.equal(describeAttempt(exited({ exitCode: 3, lastLine: 'extract-batch: ' })), 'exit code 3');
  });
});
