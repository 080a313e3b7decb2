// The run's numbers: a resumed run's rate and ETA count only its own work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clock, type ProgressState, rateOf, runStatus } from '../../src/orchestrator/progress.js';

const state = (s: Partial<ProgressState>): ProgressState => ({
  total: 10,
  done: 0,
  running: 0,
  failed: 0,
  retries: 0,
  docs: 0,
  docsThisRun: 0,
  expectedDocs: 0,
  seconds: 0,
  ...s,
});

test('the rate is this run’s documents over this run’s seconds; batches an earlier run finished are not speed', () => {
  // 9 of 10 batches were done before (90,000 documents); this run wrote 2,000 in 4 s
  const s = state({ done: 9, docs: 92_000, docsThisRun: 2_000, expectedDocs: 100_000, seconds: 4 });
  const { rate, eta } = rateOf(s);
  assert.equal(rate, 500);
  assert.equal(eta, 16, '8,000 documents left at 500/s');
  assert.equal(runStatus(s), 'batches 9/10 · 92,000 of 100,000 docs · 500 docs/s · ETA 0:16 · 0 running');
});

test('before there is anything to measure: no rate, no ETA', () => {
  const s = state({ done: 9, docs: 90_000, docsThisRun: 0, expectedDocs: 100_000, seconds: 3 });
  assert.equal(rateOf(s).rate, 0);
  assert.equal(runStatus(s), 'batches 9/10 · 90,000 of 100,000 docs · measuring rate · ETA --:-- · 0 running');
});

test('failures and retries show once there are any', () => {
  assert.match(runStatus(state({ failed: 1, retries: 2 })), / · 1 failed · 2 retries$/);
  assert.match(runStatus(state({ retries: 1 })), / · 1 retry$/);
});

test('clock', () => {
  assert.equal(clock(42), '0:42');
  assert.equal(clock(3725), '1h02m');
  assert.equal(clock(Number.NaN), '--:--');
});
