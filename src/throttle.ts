import { setTimeout as sleep } from 'node:timers/promises';

/** Per-second limits; an absent one is no limit. */
export interface Rates {
  docs?: number | undefined;
  bytes?: number | undefined;
}

export const limited = (r: Rates | undefined): boolean => Boolean(r && (r.docs || r.bytes));

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
};

/** Credit a throttle keeps for time it spent idle: a reader that waited on the server catches up this much at most. */
const BURST_MS = 250;
/** Ahead of its rate by less than this, a reader goes on without a timer (a timer per document costs more than it saves). */
const SLACK_MS = 10;

/**
 * A rate limit on documents and bytes (a generic cell rate algorithm): every document moves a virtual clock on by
 * its cost at the current rates (1/docs s, its size/bytes s); a reader ahead of real time waits. Over any window
 * of W seconds it lets through at most rate × (W + 0.26 s): 5 % over the limit in 5 s.
 */
export class Throttle {
  private rates: Rates;
  private t: number;

  constructor(
    rates: Rates,
    private readonly clock: Clock = realClock,
  ) {
    this.rates = { ...rates };
    this.t = clock.now(); // no credit at the start: a new reader cannot burst
  }

  setRates(rates: Rates): void {
    this.rates = { ...rates };
  }

  /** Account one document of `bytes`; a promise when the reader must wait, undefined when it may go on at once. */
  take(bytes: number, signal?: AbortSignal): Promise<void> | undefined {
    const { docs, bytes: bps } = this.rates;
    const cost = (docs ? 1000 / docs : 0) + (bps ? (bytes * 1000) / bps : 0);
    if (cost === 0) return undefined;
    const now = this.clock.now();
    this.t = Math.max(this.t, now - BURST_MS) + cost;
    const ahead = this.t - now;
    return ahead > SLACK_MS ? this.clock.sleep(ahead, signal) : undefined;
  }
}

/** A run's limits shared by the batches running at once: each gets an equal share, told again when the count changes. */
export class RateShares<T> {
  private readonly running = new Set<T>();

  constructor(
    private readonly total: Rates,
    private readonly tell: (member: T, share: Rates) => void,
  ) {}

  /** The share of a batch about to start (its own included). */
  next(): Rates {
    return this.shareOf(this.running.size + 1);
  }

  join(member: T): void {
    this.running.add(member);
    this.broadcast();
  }

  leave(member: T): void {
    if (this.running.delete(member)) this.broadcast();
  }

  private shareOf(n: number): Rates {
    const { docs, bytes } = this.total;
    return { ...(docs ? { docs: docs / n } : {}), ...(bytes ? { bytes: bytes / n } : {}) };
  }

  private broadcast(): void {
    const share = this.shareOf(Math.max(1, this.running.size));
    for (const m of this.running) this.tell(m, share);
  }
}
