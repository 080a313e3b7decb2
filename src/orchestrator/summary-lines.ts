import { type Fields, invalidUtf8Note, plural } from '../log.js';
import { bytesText, count } from './progress.js';
import type { Summary } from './summary.js';

/** One line of a run's outcome as the user reads it: on standard error, at its level. */
export interface SummaryLine {
  level: 'info' | 'error';
  text: string;
  fields?: Fields;
}

const info = (text: string, fields?: Fields): SummaryLine => ({ level: 'info', text, ...(fields ? { fields } : {}) });
const error = (text: string): SummaryLine => ({ level: 'error', text });

/** The lines that tell a run's outcome: the warnings first, then complete, interrupted or incomplete and what to do. */
export function summaryLines(s: Summary, name: string): SummaryLine[] {
  const lines: SummaryLine[] = [];
  if (s.invalidUtf8 > 0) lines.push(info(invalidUtf8Note(name, s.invalidUtf8)));
  for (const m of s.countMismatches ?? []) {
    lines.push(
      info(
        `${name}: batch ${m.batch}: wrote ${count(m.docs)} documents, the server counted ${count(m.serverCount)} in its range afterwards (--check-counts: writes during the run explain a difference; strict fails the batch)`,
        { event: 'count-mismatch', batch: m.batch, docs: m.docs, serverCount: m.serverCount },
      ),
    );
  }
  if (s.status === 'complete') lines.push(completeLine(s, name));
  else if (s.status === 'interrupted') {
    lines.push(
      error(`${name}: interrupted: ${s.batches.done} of ${s.batches.total} batches done; finish with --resume`),
    );
  } else {
    const stopped = s.stopped ? ` (${s.stopped})` : '';
    lines.push(
      error(
        `${name}: incomplete: ${s.batches.done} of ${s.batches.total} batches done, ${s.batches.failed} failed, ${s.batches.notRun} not run${stopped}`,
      ),
    );
    for (const f of s.failures) lines.push(error(`  batch ${f.batch}: ${f.lastError} — rerun: ${f.rerun}`));
    lines.push(error(`${name}: after fixing the cause, finish with: extract-all --out ${s.out} --resume`));
  }
  return lines;
}

function completeLine(s: Summary, name: string): SummaryLine {
  const matches =
    s.difference === 0
      ? 'as counted at plan time'
      : `count at plan time was ${s.expectedDocs} (difference ${s.difference > 0 ? '+' : ''}${s.difference}: documents inserted or deleted during the run?)`;
  // the rate of this run's own work: batches an earlier run finished are not speed
  const secs = Math.max(s.seconds, 0.001);
  const rate =
    s.docsThisRun === 0 && s.batches.resumed > 0
      ? ''
      : `, ${count(s.docsThisRun / secs)} docs/s, ${(s.bytesThisRun / 1e6 / secs).toFixed(1)} MB/s`;
  const resumed = s.batches.resumed > 0 ? ` (${s.batches.resumed} from an earlier run)` : '';
  return info(
    `${name}: complete: ${count(s.docs)} documents, ${bytesText(s.bytes)}, ${plural(s.batches.total, 'batch', 'batches')}${resumed}, ${s.seconds.toFixed(1)} s${rate}; ${matches}`,
    { event: 'complete', docs: s.docs, bytes: s.bytes, seconds: s.seconds, batches: s.batches.total },
  );
}
