// The throttle's arithmetic on a fake clock: no process, no server, no real waiting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Clock, RateShares, Throttle } from '../src/throttle.js';

/** A clock whose sleeps move time on at once; `times` holds the moment of every document let through. */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 1000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

async function drain(th: Throttle, clock: { t: number }, n: number, bytes = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await th.take(bytes);
    times.push(clock.t);
  }
  return times;
}

/** The most documents let through in any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('Throttle', () => {
  test('documents per second: 1,000 documents at 100/s take 10 s, never more than 10 % over the limit in 5 s', async () => {
    const clock = fakeClock();
    const times = await drain(new Throttle({ docs: 100 }, clock), clock, 1000);
    const seconds = (times.at(-1)! - 1000) / 1000;
    assert.ok(seconds >= 9.9 && seconds <= 10.1, `${seconds} s`);
    assert.ok(maxInWindow(times, 5000) <= 550, `${maxInWindow(times, 5000)} in 5 s`);
  });

  test('bytes per second: 10 kB documents at 1 MB/s are 100 documents a second', async () => {
    const clock = fakeClock();
    const times = await drain(new Throttle({ bytes: 1e6 }, clock), clock, 500, 10_000);
    const seconds = (times.at(-1)! - 1000) / 1000;
    assert.ok(seconds >= 4.9 && seconds <= 5.1, `${seconds} s`);
  });

  test('both limits: the stricter one holds', async () => {
    const clock = fakeClock();
    const times = await drain(new Throttle({ docs: 1000, bytes: 1e6 }, clock), clock, 200, 10_000);
    // each document costs 1 ms (docs) + 10 ms (bytes): 200 take ~2.2 s
    const seconds = (times.at(-1)! - 1000) / 1000;
    assert.ok(seconds >= 2.1 && seconds <= 2.3, `${seconds} s`);
  });

  test('no credit at the start, at most 0.25 s of credit after an idle spell', async () => {
    const clock = fakeClock();
    const th = new Throttle({ docs: 100 }, clock);
    const first = await drain(th, clock, 50);
    assert.ok(first.at(-1)! - 1000 >= 480, 'a new reader cannot burst');
    clock.t += 10_000; // the reader waited on the server for 10 s
    const before = clock.t;
    const burst = await drain(th, clock, 100);
    assert.ok(burst.filter((x) => x - before < 1).length <= 26, 'at most 0.25 s of documents at once');
    assert.ok(burst.at(-1)! - before >= 740, 'the rest at the rate');
  });

  test('setRates: a new share applies to the next document', async () => {
    const clock = fakeClock();
    const th = new Throttle({ docs: 100 }, clock);
    await drain(th, clock, 100);
    const mid = clock.t;
    th.setRates({ docs: 50 });
    await drain(th, clock, 100);
    const seconds = (clock.t - mid) / 1000;
    assert.ok(seconds >= 1.9 && seconds <= 2.1, `${seconds} s at half the rate`);
  });

  test('no limit: take() returns undefined (the reader does not even await a timer)', () => {
    const th = new Throttle({}, fakeClock());
    assert.equal(th.take(1e6), undefined);
  });
});

describe('RateShares', () => {
  test('the run limit split equally among the batches running, each told again as the count changes', () => {
    const told: [string, unknown][] = [];
    const shares = new RateShares<string>({ docs: 900, bytes: 3e6 }, (m, s) => told.push([m, s]));
    assert.deepEqual(shares.next(), { docs: 900, bytes: 3e6 }, 'a batch started alone may use the whole rate');
    shares.join('a');
    assert.deepEqual(shares.next(), { docs: 450, bytes: 1.5e6 });
    shares.join('b');
    shares.join('c');
    told.length = 0;
    shares.leave('b');
    assert.deepEqual(told, [
      ['a', { docs: 450, bytes: 1.5e6 }],
      ['c', { docs: 450, bytes: 1.5e6 }],
    ]);
    told.length = 0;
    shares.leave('b'); // twice: nothing to tell
    assert.equal(told.length, 0);
    shares.join('d');
    assert.deepEqual(
      told.map(([m]) => m),
      ['a', 'c', 'd'],
    );
    assert.deepEqual(told[0]![1], { docs: 300, bytes: 1e6 });
  });

  test('a documents-only limit hands out no bytes limit', () => {
    const shares = new RateShares<string>({ docs: 10 }, () => {});
    assert.deepEqual(shares.next(), { docs: 10 });
  });
});
