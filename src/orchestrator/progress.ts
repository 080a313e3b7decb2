import { info, error } from '../log.js';

/** What the run tells its observer; the observer decides how (live line on a TTY, plain lines otherwise). */
export interface ProgressState {
  total: number;
  done: number;
  running: number;
  failed: number;
  retries: number;
  docs: number;
  expectedDocs: number;
}

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
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

/** A live status line on a TTY, redrawn at most 4 times a second; events print above it. */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  let state: ProgressState | undefined;
  let last = 0;
  const render = () => {
    if (!state) return;
    const secs = (performance.now() - started) / 1000;
    const rate = state.docs / Math.max(secs, 0.001);
    const eta = state.expectedDocs > 0 && rate > 0 ? (state.expectedDocs - state.docs) / rate : NaN;
    const line = `batches ${state.done}/${state.total} done, ${state.running} running, ${state.failed} failed | ${fmt(state.docs)} docs, ${fmt(rate)}/s | ETA ${clock(eta)} | retries ${state.retries}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 120) - 1)}`);
  };
  const above = (write: (l: string) => void, l: string) => {
    stream.write('\r\x1b[2K');
    write(l);
    render();
  };
  return {
    event: (l) => above(info, l),
    problem: (l) => above(error, l),
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
export function lineProgress(every = 30): Progress {
  let last = performance.now();
  return {
    event: info,
    problem: error,
    update(s) {
      const now = performance.now();
      if (now - last >= every * 1000) {
        last = now;
        info(`progress: ${s.done}/${s.total} batches done, ${s.running} running, ${s.failed} failed, ${fmt(s.docs)} documents`);
      }
    },
    stop() {},
  };
}
