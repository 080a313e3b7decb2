// What extract-all says at the end of a run (src/orchestrator/summary-lines.ts): pure, no process, no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../../src/orchestrator/summary.js';
import { summaryLines } from '../../src/orchestrator/summary-lines.js';

const summary = (over: Partial<Summary> = {}): Summary => ({
  status: 'complete',
  exitCode: 0,
  planId: 'p',
  source: { db: 'shop', collection: 'orders' },
  out: '/x/orders',
  expectedDocs: 1000,
  docs: 1000,
  difference: 0,
  bytes: 2_000_000,
  docsThisRun: 1000,
  bytesThisRun: 2_000_000,
  invalidUtf8: 0,
  seconds: 2,
  planningSeconds: 0.1,
  batches: { total: 4, done: 4, resumed: 0, failed: 0, notRun: 0 },
  retries: 0,
  cursorResumes: 0,
  maxConcurrent: 2,
  stopped: null,
  failures: [],
  ...over,
});

const texts = (s: Summary) => summaryLines(s, 'extract-all').map((l) => `${l.level}: ${l.text}`);

test('a complete run: one info line with the count, the size, the rate and the plan-time count', () => {
  assert.deepEqual(texts(summary()), [
    'info: extract-all: complete: 1,000 documents, 2.0 MB, 4 batches, 2.0 s, 500 docs/s, 1.0 MB/s; as counted at plan time',
  ]);
  const [line] = summaryLines(summary(), 'extract-all');
  assert.deepEqual(line?.fields, { event: 'complete', docs: 1000, bytes: 2_000_000, seconds: 2, batches: 4 });
});

test('a difference from the plan-time count is said with its sign', () => {
  assert.match(texts(summary({ docs: 1003, difference: 3 }))[0] ?? '', /count at plan time was 1000 \(difference \+3:/);
  assert.match(texts(summary({ docs: 998, difference: -2 }))[0] ?? '', /\(difference -2:/);
});

test('a resumed run that read nothing new shows no rate; one that did shows the batches it kept', () => {
  const none = summary({ docsThisRun: 0, bytesThisRun: 0, batches: { ...summary().batches, resumed: 4 } });
  assert.doesNotMatch(texts(none)[0] ?? '', /docs\/s/);
  assert.match(texts(none)[0] ?? '', /4 batches \(4 from an earlier run\), 2\.0 s; as counted/);
});

test('warnings come first: invalid UTF-8 and each batch whose server count differs', () => {
  const lines = texts(summary({ invalidUtf8: 2, countMismatches: [{ batch: 3, docs: 10, serverCount: 12 }] }));
  assert.equal(lines.length, 3);
  assert.match(lines[0] ?? '', /^info: extract-all: 2 string\(s\) or field name\(s\) were not valid UTF-8/);
  assert.match(lines[1] ?? '', /^info: extract-all: batch 3: wrote 10 documents, the server counted 12/);
  assert.match(lines[2] ?? '', /complete/);
});

test('an incomplete run: an error line, one per failed batch with its rerun, and how to finish', () => {
  const failed = summary({
    status: 'failed',
    exitCode: 1,
    stopped: 'authentication failed: not retried',
    batches: { total: 4, done: 2, resumed: 0, failed: 1, notRun: 1 },
    failures: [
      {
        batch: 2,
        attempts: 1,
        lastError: 'bad auth',
        exitCode: 4,
        signal: null,
        stderrTail: '',
        rerun: 'extract-batch --plan p --batch 2',
      },
    ],
  });
  assert.deepEqual(texts(failed), [
    'error: extract-all: incomplete: 2 of 4 batches done, 1 failed, 1 not run (authentication failed: not retried)',
    'error:   batch 2: bad auth — rerun: extract-batch --plan p --batch 2',
    'error: extract-all: after fixing the cause, finish with: extract-all --out /x/orders --resume',
  ]);
});

test('an interrupted run says how far it got and to resume', () => {
  const stopped = summary({ status: 'interrupted', batches: { total: 4, done: 1, resumed: 0, failed: 0, notRun: 3 } });
  assert.deepEqual(texts(stopped), ['error: extract-all: interrupted: 1 of 4 batches done; finish with --resume']);
});
