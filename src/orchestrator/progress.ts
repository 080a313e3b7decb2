import type { Fields } from '../log.js';
import type { Activity, Display } from '../progress.js';
import type { RunEvent } from './scheduler.js';

/** Where a run stands. */
export interface ProgressState {
  total: number;
  done: number;
  running: number;
  failed: number;
  retries: number;
  /** Documents written, those of batches an earlier run finished included. */
  docs: number;
  /** Of which this run wrote: the only ones that count for the rate. */
  docsThisRun: number;
  expectedDocs: number;
  /** Seconds this run has been running batches. */
  seconds: number;
}

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 1.2 MB, 340 kB, 12 B (10^3 steps, as the rates: MB/s). */
export function bytesText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

/** m:ss, or XhYYm. */
export const clock = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

/** The rate and ETA of this run's own work: batches an earlier run finished are done, not speed. */
export function rateOf(s: ProgressState): { rate: number; eta: number } {
  const rate = s.seconds > 0.5 && s.docsThisRun > 0 ? s.docsThisRun / s.seconds : 0;
  const left = Math.max(0, s.expectedDocs - s.docs);
  return { rate, eta: rate > 0 ? left / rate : Number.NaN };
}

/** The status line of a run: the parts that matter most first (a narrow terminal drops the last ones). */
export function runStatus(s: ProgressState): string {
  const { rate, eta } = rateOf(s);
  const parts = [
    `batches ${s.done}/${s.total}`,
    `${count(s.docs)}${s.expectedDocs > 0 ? ` of ${count(s.expectedDocs)}` : ''} docs`,
    rate > 0 ? `${count(rate)} docs/s` : 'measuring rate',
    `ETA ${clock(eta)}`,
    `${s.running} running`,
  ];
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  if (s.retries > 0) parts.push(`${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}`);
  return parts.join(' · ');
}

/**
 * Turn the scheduler's events into the run phase's status and a line per batch. `start` holds what an earlier run
 * finished (a resumed run): shown as done, never as speed.
 */
export function progressObserver(
  display: Display,
  activity: Activity,
  start: { total: number; done: number; docs: number; expectedDocs: number },
  name: string,
): (e: RunEvent) => void {
  const began = performance.now();
  /** Documents of the batches running now. */
  const live = new Map<number, number>();
  const s = { ...start, failed: 0, retries: 0 };
  const update = () => {
    let docs = s.docs;
    for (const n of live.values()) docs += n;
    const state: ProgressState = {
      total: s.total,
      done: s.done,
      running: live.size,
      failed: s.failed,
      retries: s.retries,
      docs,
      docsThisRun: docs - start.docs,
      expectedDocs: s.expectedDocs,
      seconds: (performance.now() - began) / 1000,
    };
    activity.update(runStatus(state), activityFields(state));
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
        showDone(display, e);
        break;
      case 'retry':
        live.delete(e.index);
        s.retries++;
        display.error(
          `batch ${e.index}: attempt ${e.attempt} failed: ${e.error}; retrying in ${(e.waitMs / 1000).toFixed(1)} s`,
          { batch: e.index, attempt: e.attempt },
        );
        break;
      case 'failed':
        live.delete(e.index);
        s.failed++;
        display.error(`batch ${e.index}: failed after ${e.attempts} attempt(s): ${e.error}`, {
          batch: e.index,
          attempts: e.attempts,
        });
        break;
      case 'stopped':
        display.error(`${name}: ${e.reason}`);
        break;
    }
    update();
  };
}

/** The fields of the run phase's status (the JSON log's, and the progress bar's). */
function activityFields(state: ProgressState): Fields {
  const { rate, eta } = rateOf(state);
  return {
    done: state.done,
    total: state.total,
    running: state.running,
    failed: state.failed,
    retries: state.retries,
    docs: state.docs,
    expectedDocs: state.expectedDocs,
    rate: Math.round(rate),
    eta: Number.isFinite(eta) ? Math.round(eta) : null,
  };
}

/** A batch's line once it is done: its documents and time, and the attempt or cursor reopenings it took. */
function showDone(display: Display, e: Extract<RunEvent, { type: 'done' }>): void {
  const notes = [
    ...(e.attempt > 1 ? [`attempt ${e.attempt}`] : []),
    ...(e.record.cursorResumes ? [`cursor reopened ${e.record.cursorResumes}×`] : []),
  ];
  const resumes = e.record.cursorResumes ? { cursorResumes: e.record.cursorResumes } : {};
  display.info(
    `batch ${e.index}: ${count(e.record.docs)} documents in ${e.seconds.toFixed(1)} s${notes.length ? ` (${notes.join(', ')})` : ''}`,
    { batch: e.index, docs: e.record.docs, bytes: e.record.bytes, seconds: e.seconds, attempt: e.attempt, ...resumes },
  );
}
