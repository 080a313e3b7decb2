import { createInterface } from 'node:readline';
import type { BatchRequest } from '../batch/job.js';
import { usage } from '../errors.js';
import { type Rates, Throttle } from '../throttle.js';
import type { OptionSpecs } from './declare.js';
import { CHECK_COUNTS, CURSOR_RETRIES, THROTTLE, throttleOf } from './running.js';
import { FORMAT, SOURCE, selection } from './selection.js';
import { nonEmpty, parseEjson } from './values.js';

// extract-batch's own options: their declarations and what they ask for.

/** A range given by hand, and where its batch goes. */
export const RANGE = {
  min: { kind: 'string', describe: 'Lowest _id, inclusive (Extended JSON, e.g. \'{"$oid":"…"}\' or 42)' },
  max: { kind: 'string', describe: 'Highest _id, exclusive (Extended JSON)' },
  out: {
    kind: 'string',
    alias: 'o',
    describe: 'Output file, or - for stdout (with --plan: - streams the batch, no record)',
    required: 'unless --plan',
  },
} satisfies OptionSpecs;

/** Batch K of a plan, and how extract-all (or an array job) runs it. */
export const PLANNED = {
  plan: {
    kind: 'string',
    describe: 'A plan.json written by extract-plan or extract-all (a path, or s3://BUCKET/PREFIX/plan.json)',
  },
  batch: {
    kind: 'number',
    describe:
      'Batch number in the plan (default: $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID or $AWS_BATCH_JOB_ARRAY_INDEX)',
  },
  ...CHECK_COUNTS,
  ...CURSOR_RETRIES,
  ...THROTTLE,
  'rates-stdin': {
    kind: 'boolean',
    hidden: true,
    describe: 'Read new --max-*-per-second shares from stdin, one JSON line each (used by extract-all)',
  },
  'skip-done': {
    kind: 'boolean',
    describe:
      'With --plan: exit 0 at once if the batch file and record already check out (for array-job engines that rerun tasks)',
  },
  'report-fd': {
    kind: 'number',
    hidden: true,
    describe: 'File descriptor for progress and result lines (used by extract-all)',
  },
} satisfies OptionSpecs;

/** Options a plan fixes: given with --plan they are refused (`--out -` aside: the batch on standard output). */
const MANUAL_ONLY = [...Object.keys(SOURCE), ...Object.keys(FORMAT), 'min', 'max'];

/** The job an extract-batch command line names: batch K of a plan, or a range given by hand with its selection. */
export function batchRequest(a: Record<string, unknown>): BatchRequest {
  if (a.plan !== undefined) {
    const clash = MANUAL_ONLY.filter((o) => a[o] !== undefined);
    if (clash.length > 0) throw usage(`--plan fixes the source and the output; drop --${clash.join(', --')}`);
    if (a.out !== undefined && a.out !== '-') {
      throw usage(
        `--plan writes batch files into the plan's directory; --out takes only - there (the batch on standard output), got ${JSON.stringify(a.out)}`,
      );
    }
    const stdout = a.out === '-';
    if (stdout && a['skip-done']) throw usage('--skip-done checks the batch file; with --out - there is none');
    if (stdout && a['check-counts'] !== undefined)
      throw usage('--check-counts keeps the count in the batch record; with --out - there is none');
    return { plan: nonEmpty('plan', a.plan), batch: a.batch, skipDone: Boolean(a['skip-done']), stdout };
  }
  if (a.batch !== undefined) throw usage('--batch goes with --plan');
  if (a['skip-done']) throw usage('--skip-done goes with --plan');
  if (a['check-counts'] !== undefined)
    throw usage('--check-counts goes with --plan (the batch record holds the count)');
  if (a.out === undefined) throw usage('--out FILE (or - for stdout) is required');
  const out = nonEmpty('out', a.out);
  const sel = selection(a);
  const min = a.min === undefined ? undefined : parseEjson('min', String(a.min));
  const max = a.max === undefined ? undefined : parseEjson('max', String(a.max));
  return { selection: sel, out, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** This batch's throttle; with --rates-stdin, the orchestrator's new shares arrive on stdin as batches start and end. */
export function batchThrottleOf(a: Record<string, unknown>): Throttle | undefined {
  const rates = throttleOf(a);
  if (!rates) return undefined;
  const throttle = new Throttle(rates);
  if (a['rates-stdin']) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      try {
        const r = JSON.parse(line) as Rates;
        throttle.setRates({ docs: positiveOr(r.docs), bytes: positiveOr(r.bytes) });
      } catch {
        // not a share: ignore
      }
    });
    (process.stdin as { unref?: () => void }).unref?.(); // the batch's end, not stdin's, ends the process
  }
  return throttle;
}

const positiveOr = (n: unknown): number | undefined => (typeof n === 'number' && n > 0 ? n : undefined);
