import type { Logger } from '../log.js';
import type { RunEvent } from './scheduler.js';

/** Where a run stands, for the status line. */
export interface ProgressState {
  total: number;
  done: number;
  running: number;
  failed: number;
  retries: number;
  docs: number;
  expectedDocs: number;
}

/** How a run is shown: a live line on a TTY, plain lines otherwise. */
export interface Progress {
  event(line: string): void;
  problem(line: string): void;
  update(state: ProgressState): void;
  stop(): void;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const clock = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

/** A live status line on a TTY, redrawn at most 4 times a second; events print above it. */
export function ttyProgress(log: Logger, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  let state: ProgressState | undefined;
  let last = 0;
  const render = () => {
    if (!state) return;
    const secs = (performance.now() - started) / 1000;
    const rate = state.docs / Math.max(secs, 0.001);
    const eta = state.expectedDocs > 0 && rate > 0 ? (state.expectedDocs - state.docs) / rate : Number.NaN;
    const s = state;
    const line = `batches ${s.done}/${s.total} done, ${s.running} running, ${s.failed} failed | ${fmt(s.docs)} docs, ${fmt(rate)}/s | ETA ${clock(eta)} | retries ${s.retries}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 120) - 1)}`);
  };
  const above = (write: (l: string) => void, l: string) => {
    stream.write('\r\x1b[2K');
    write(l);
    render();
  };
  return {
    event: (l) => above(log.info, l),
    problem: (l) => above(log.error, l),
    update(s) {
      state = s;
      const now = performance.now();
      if (now - last >= 250) {
        last = now;
        render();
      }
    },
    stop() {
      render();
      stream.write('\n');
    },
  };
}

/** Plain lines for make, CI and logs: one per event, and a status line at most every `every` seconds. */
export function lineProgress(log: Logger, every = 30): Progress {
  let last = performance.now();
  return {
    event: log.info,
    problem: log.error,
    update(s) {
      const now = performance.now();
      if (now - last >= every * 1000) {
        last = now;
        log.info(
          `progress: ${s.done}/${s.total} batches done, ${s.running} running, ${s.failed} failed, ${fmt(s.docs)} documents`,
        );
      }
    },
    stop() {},
  };
}

/**
 * Turn the scheduler's events into lines and status updates. `done`/`docs` start at what an earlier run
 * finished (a resumed run).
 */
export function progressObserver(
  progress: Progress,
  start: { total: number; done: number; docs: number; expectedDocs: number },
  name: string,
): (e: RunEvent) => void {
  /** Documents of the batches running now. */
  const live = new Map<number, number>();
  const s = { ...start, failed: 0, retries: 0 };
  const update = () => {
    let docs = s.docs;
    for (const n of live.values()) docs += n;
    progress.update({
      total: s.total,
      done: s.done,
      running: live.size,
      failed: s.failed,
      retries: s.retries,
      docs,
      expectedDocs: s.expectedDocs,
    });
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        live.set(e.index, 0);
        break;
      case 'docs':
        if (live.has(e.index)) live.set(e.index, e.docs);
        break;
      case 'done':
        live.delete(e.index);
        s.done++;
        s.docs += e.record.docs;
        update();
        progress.event(
          `batch ${e.index}: ${e.record.docs} documents in ${e.seconds.toFixed(1)} s${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`,
        );
        return;
      case 'retry':
        live.delete(e.index);
        s.retries++;
        progress.problem(
          `batch ${e.index}: attempt ${e.attempt} failed: ${e.error}; retrying in ${(e.waitMs / 1000).toFixed(1)} s`,
        );
        break;
      case 'failed':
        live.delete(e.index);
        s.failed++;
        progress.problem(`batch ${e.index}: failed after ${e.attempts} attempt(s): ${e.error}`);
        break;
      case 'stopped':
        progress.problem(`${name}: ${e.reason}`);
        break;
    }
    update();
  };
}
