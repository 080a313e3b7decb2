// The scheduler's failure policy (README "Failure policy"), with a fake launcher: no processes, no server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ErrorCode } from '../../src/errors.js';
import {
  type AttemptResult,
  type Launch,
  type RunEvent,
  runBatches,
  type SchedulePolicy,
} from '../../src/orchestrator/scheduler.js';
import type { BatchRecord } from '../../src/output/record.js';

const record = (index: number, docs = 10): BatchRecord => ({
  format: 'mongo-parallel-extract/record@1',
  planId: 'p',
  batch: index,
  file: `batch-${index}.json`,
  docs,
  bytes: docs * 100,
  sha256: 'x',
  seconds: 0.01,
  finishedAt: '2026-01-01T00:00:00.000Z',
  host: 'h',
  pid: 1,
});

const ok = (index: number): AttemptResult => ({ ok: true, record: record(index), seconds: 0.01 });

const fail = (
  code: ErrorCode | undefined,
  more: Partial<Extract<AttemptResult, { ok: false }>> = {},
): AttemptResult => ({
  ok: false,
  canceled: false,
  error: `failed with ${code}`,
  code,
  global: false,
  exitCode: undefined,
  signal: undefined,
  timedOut: false,
  seconds: 0.01,
  stderrTail: '',
  ...more,
});

/** A launcher whose attempt k of batch i answers `script(i, k)`; it records every call. */
function fake(script: (index: number, attempt: number) => AttemptResult | Promise<AttemptResult>) {
  const calls: [number, number][] = [];
  let running = 0;
  let peak = 0;
  const launch: Launch = async (index, attempt) => {
    calls.push([index, attempt]);
    running++;
    peak = Math.max(peak, running);
    try {
      await new Promise((r) => setImmediate(r));
      return await script(index, attempt);
    } finally {
      running--;
    }
  };
  const attemptsOf = (index: number) => calls.filter(([i]) => i === index).length;
  return { launch, calls, attemptsOf, peak: () => peak };
}

const policy = (more: Partial<SchedulePolicy> = {}): SchedulePolicy => ({
  concurrency: 2,
  retryLimit: 3,
  backoffMs: () => 0,
  connectFailuresToStop: 3,
  sleep: async () => {},
  ...more,
});

const run = (pending: number[], launch: Launch, p: SchedulePolicy, signal = new AbortController().signal) => {
  const events: RunEvent[] = [];
  return runBatches(pending, launch, p, { signal, onEvent: (e) => events.push(e) }).then((r) => ({ ...r, events }));
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('scheduler: attempts', () => {
  for (const retryLimit of [0, 1, 3]) {
    test(`--retries ${retryLimit}: a batch that always fails is attempted ${retryLimit + 1} time(s), then failed`, async () => {
      const f = fake(() => fail('FAILED'));
      const r = await run([0], f.launch, policy({ retryLimit }));
      assert.equal(f.attemptsOf(0), retryLimit + 1);
      assert.equal(r.outcomes[0]!.status, 'failed');
      assert.equal(r.outcomes[0]!.attempts.length, retryLimit + 1);
      assert.equal(r.retried, retryLimit);
    });
  }

  test('a batch that fails twice then succeeds is done on its third attempt; its failed attempts are kept', async () => {
    const f = fake((_, attempt) => (attempt < 3 ? fail('FAILED') : ok(0)));
    const r = await run([0], f.launch, policy({ retryLimit: 3 }));
    assert.equal(f.attemptsOf(0), 3);
    assert.equal(r.outcomes[0]!.status, 'done');
    assert.equal(r.outcomes[0]!.attempts.length, 2);
    assert.equal(r.outcomes[0]!.record?.batch, 0);
    assert.equal(r.retried, 2);
    assert.ok(r.events.some((e) => e.type === 'done' && e.index === 0 && e.attempt === 3));
  });

  test('connection failures are retried like any other', async () => {
    const f = fake((_, attempt) => (attempt === 1 ? fail('CONNECT') : ok(0)));
    const r = await run([0], f.launch, policy());
    assert.equal(r.outcomes[0]!.status, 'done');
    assert.equal(f.attemptsOf(0), 2);
  });

  test('the backoff is asked for each retry with the failed attempt number, and waited for', async () => {
    const asked: number[] = [];
    const waited: number[] = [];
    const f = fake(() => fail('FAILED'));
    await run(
      [0],
      f.launch,
      policy({
        retryLimit: 3,
        backoffMs: (a) => asked.push(a) * 0 + a * 100,
        sleep: async (ms) => void waited.push(ms),
      }),
    );
    assert.deepEqual(asked, [1, 2, 3]);
    assert.deepEqual(waited, [100, 200, 300]);
  });
});

describe('scheduler: permanent failures', () => {
  for (const code of ['USAGE', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY'] as const) {
    test(`${code} is attempted once`, async () => {
      const f = fake((i) => (i === 0 ? fail(code) : ok(i)));
      const r = await run([0], f.launch, policy({ retryLimit: 3 }));
      assert.equal(f.attemptsOf(0), 1);
      assert.equal(r.outcomes[0]!.status, 'failed');
      assert.equal(r.retried, 0);
    });
  }

  test('a permanent failure of one batch alone (not global): the other batches still run', async () => {
    const f = fake((i) => (i === 0 ? fail('OUTPUT', { global: false }) : ok(i)));
    const r = await run(range(6), f.launch, policy({ concurrency: 1 }));
    assert.equal(r.stopped, undefined);
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['failed', 'done', 'done', 'done', 'done', 'done'],
    );
  });

  for (const code of ['AUTH', 'OUTPUT', 'NOT_FOUND'] as const) {
    test(`a global ${code} (disk full, a bad password, a dropped collection): no new batch is launched`, async () => {
      const f = fake((i) => (i === 1 ? fail(code, { global: true }) : ok(i)));
      const r = await run(range(6), f.launch, policy({ concurrency: 1 }));
      assert.match(r.stopped ?? '', /stopped launching/);
      assert.deepEqual(
        r.outcomes.map((o) => o.status),
        ['done', 'failed', 'not-run', 'not-run', 'not-run', 'not-run'],
      );
      assert.deepEqual(f.calls, [
        [0, 1],
        [1, 1],
      ]);
      assert.ok(r.events.some((e) => e.type === 'stopped'));
    });
  }

  test('a global failure lets the batches already running finish', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => (release = r));
    const f = fake(async (i) => {
      if (i === 0) {
        await slow;
        return ok(0);
      }
      const failed = fail('AUTH', { global: true });
      setImmediate(release);
      return failed;
    });
    const r = await run(range(4), f.launch, policy({ concurrency: 2 }));
    assert.equal(r.outcomes[0]!.status, 'done', 'the running batch finished');
    assert.equal(r.outcomes[1]!.status, 'failed');
    assert.deepEqual(
      r.outcomes.slice(2).map((o) => o.status),
      ['not-run', 'not-run'],
    );
  });
});

describe('scheduler: connection failures in a row', () => {
  test('after connectFailuresToStop in a row, launching stops; the run reports why', async () => {
    const f = fake(() => fail('CONNECT'));
    const r = await run(range(10), f.launch, policy({ concurrency: 1, retryLimit: 0, connectFailuresToStop: 3 }));
    assert.equal(f.calls.length, 3);
    assert.match(r.stopped ?? '', /3 connection failures in a row/);
    assert.equal(r.outcomes.filter((o) => o.status === 'failed').length, 3);
    assert.equal(r.outcomes.filter((o) => o.status === 'not-run').length, 7);
  });

  test('a success resets the count', async () => {
    // batches fail to connect twice, succeed once, fail twice, … never three in a row
    const f = fake((i) => (i % 3 === 2 ? ok(i) : fail('CONNECT')));
    const r = await run(range(9), f.launch, policy({ concurrency: 1, retryLimit: 0, connectFailuresToStop: 3 }));
    assert.equal(r.stopped, undefined);
    assert.equal(f.calls.length, 9);
  });

  test('other failures do not count as connection failures', async () => {
    const f = fake(() => fail('FAILED'));
    const r = await run(range(5), f.launch, policy({ concurrency: 1, retryLimit: 0, connectFailuresToStop: 2 }));
    assert.equal(r.stopped, undefined);
    assert.equal(f.calls.length, 5);
  });
});

describe('scheduler: concurrency and collection', () => {
  test('never more than `concurrency` at once, and that many when there is work', async () => {
    for (const concurrency of [1, 2, 5]) {
      const f = fake((i) => ok(i));
      const r = await run(range(12), f.launch, policy({ concurrency }));
      assert.equal(f.peak(), concurrency);
      assert.equal(r.maxRunning, concurrency);
    }
  });

  test('every outcome is collected, in the order of the pending list: one failure cancels nothing', async () => {
    const f = fake((i) => (i % 2 ? fail('FAILED') : ok(i)));
    const r = await run([4, 1, 2, 3], f.launch, policy({ retryLimit: 0 }));
    assert.deepEqual(
      r.outcomes.map((o) => [o.index, o.status]),
      [
        [4, 'done'],
        [1, 'failed'],
        [2, 'done'],
        [3, 'failed'],
      ],
    );
  });

  test('progress: docs reported by a launch reach the observer', async () => {
    const launch: Launch = async (index, _a, _s, onDocs) => {
      onDocs(5);
      return ok(index);
    };
    const r = await run([0], launch, policy());
    assert.ok(r.events.some((e) => e.type === 'docs' && e.docs === 5));
  });
});

describe('scheduler: cancellation', () => {
  test('after the signal, no batch is launched; a cancelled attempt is not a failure', async () => {
    const ac = new AbortController();
    const f = fake((i) => {
      if (i === 1) {
        ac.abort('SIGINT');
        return fail(undefined, { canceled: true });
      }
      return ok(i);
    });
    const r = await run(range(5), f.launch, policy({ concurrency: 1 }), ac.signal);
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['done', 'not-run', 'not-run', 'not-run', 'not-run'],
    );
    assert.equal(f.calls.length, 2);
  });

  test('interrupted while waiting to retry: no further attempt', async () => {
    const ac = new AbortController();
    const f = fake(() => fail('FAILED'));
    const sleep = async (_ms: number, signal: AbortSignal) => {
      ac.abort('SIGTERM');
      if (signal.aborted) throw new Error('aborted');
    };
    const r = await run([0], f.launch, policy({ sleep }), ac.signal);
    assert.equal(f.attemptsOf(0), 1);
    assert.notEqual(r.outcomes[0]!.status, 'done');
  });
});

describe('scheduler: what observers and the summary are told', () => {
  test('events in order: start, retry (with the error and the wait), start, done; failed attempts summarized', async () => {
    const f = fake((i, k) =>
      k === 1
        ? fail('FAILED', { exitCode: 1, signal: 'SIGTERM', timedOut: true, seconds: 1.23456, stderrTail: 'tail' })
        : ok(i),
    );
    const r = await run([4], f.launch, policy({ backoffMs: (k) => 250 * k }));
    assert.deepEqual(
      r.events.map((e) => ({ ...e, ...('record' in e ? { record: e.record.batch } : {}) })),
      [
        { type: 'start', index: 4, attempt: 1 },
        { type: 'retry', index: 4, attempt: 1, error: 'failed with FAILED', waitMs: 250 },
        { type: 'start', index: 4, attempt: 2 },
        { type: 'done', index: 4, attempt: 2, record: 4, seconds: 0.01 },
      ],
    );
    assert.deepEqual(r.outcomes[0]!.attempts, [
      {
        exitCode: 1,
        signal: 'SIGTERM',
        timedOut: true,
        seconds: 1.235,
        error: 'failed with FAILED',
        stderrTail: 'tail',
      },
    ]);
  });

  test('a batch out of attempts: one failed event with the attempt count and the last error', async () => {
    const f = fake((_i, k) => ({ ...fail('FAILED'), error: `attempt ${k}` }));
    const r = await run([0], f.launch, policy({ retryLimit: 1 }));
    assert.deepEqual(
      r.events.filter((e) => e.type === 'failed'),
      [{ type: 'failed', index: 0, attempts: 2, error: 'attempt 2' }],
    );
  });

  test('a stop is announced once, whatever else fails after it', async () => {
    const f = fake(() => ({ ...fail('AUTH'), global: true }));
    const r = await run(range(4), f.launch, policy({ concurrency: 4 }));
    assert.equal(r.events.filter((e) => e.type === 'stopped').length, 1, JSON.stringify(r.events));
    assert.match(r.stopped ?? '', /stopped launching batches/);
  });

  test('a cancelled attempt (the child was stopped) ends the batch without a retry, even before the signal', async () => {
    const f = fake(() => fail('FAILED', { canceled: true }));
    const r = await run([0], f.launch, policy());
    assert.equal(f.attemptsOf(0), 1);
    assert.deepEqual(r.outcomes[0]!.attempts, [], 'a cancellation is not a failed attempt');
    assert.equal(r.events.filter((e) => e.type === 'retry').length, 0);
  });

  test('without a sleep of its own, the backoff really waits, and the signal cuts the wait short', async () => {
    const ac = new AbortController();
    const f = fake(() => fail('FAILED'));
    const { sleep: _none, ...noSleep } = policy({ backoffMs: () => 60_000 });
    const started = performance.now();
    setTimeout(() => ac.abort('SIGINT'), 50);
    const r = await run([0], f.launch, noSleep as SchedulePolicy, ac.signal);
    assert.equal(f.attemptsOf(0), 1, 'no attempt after the interrupted wait');
    assert.ok(performance.now() - started < 10_000, 'the 60 s wait was cut short by the signal');
    assert.notEqual(r.outcomes[0]!.status, 'done');
    const g = fake((i, k) => (k === 1 ? fail('FAILED') : ok(i)));
    const t0 = performance.now();
    const waited = await run([0], g.launch, { ...(noSleep as SchedulePolicy), backoffMs: () => 30 });
    assert.equal(waited.outcomes[0]!.status, 'done');
    assert.ok(performance.now() - t0 >= 25, 'the backoff was waited for');
  });
});
