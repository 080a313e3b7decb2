import { availableParallelism } from 'node:os';
import { usage } from '../errors.js';
import type { RunSettings } from '../orchestrator/extract-all.js';
import { WRITERS, type WriterName } from '../output/sink.js';
import { jsonStreamUnavailable } from '../output/writers.js';
import type { Rates } from '../throttle.js';
import type { OptionSpecs } from './declare.js';
import { bytesOption, choice, intOption, nonEmpty, rateOption, secondsOption } from './values.js';

export const RETRIES = 3;
export const RETRY_DELAY = 1;
export const GRACE = 5;

export const WRITER = {
  writer: {
    kind: 'string',
    describe: 'How batches are written (the same bytes either way; see README)',
    choices: WRITERS,
    default: WRITERS[0],
  },
} satisfies OptionSpecs;

export const CHECK_COUNTS_MODES = ['on', 'strict'] as const;
export type CheckCounts = (typeof CHECK_COUNTS_MODES)[number];

/** After each batch, the server counts its range: the record holds both numbers. */
export const CHECK_COUNTS = {
  'check-counts': {
    kind: 'string',
    describe:
      "After each batch, count its _id range on the server with the same filter (on: report a difference; strict: a difference fails the batch's attempt)",
    choices: CHECK_COUNTS_MODES,
  },
} satisfies OptionSpecs;

export function checkCountsOf(a: Record<string, unknown>): CheckCounts | undefined {
  if (a['check-counts'] === undefined) return undefined;
  return choice('check-counts', a['check-counts'], CHECK_COUNTS_MODES);
}

export const CURSOR_RETRIES_DEFAULT = 5;

/** A batch whose cursor dies reads on after its last written `_id`, this many times. */
export const CURSOR_RETRIES = {
  'cursor-retries': {
    kind: 'number',
    describe:
      'Times a batch whose cursor dies (cursor not found, network error, step-down, time limit) opens a new one after the last _id it wrote, before the whole batch is retried',
    default: CURSOR_RETRIES_DEFAULT,
  },
} satisfies OptionSpecs;

export const cursorRetriesOf = (a: Record<string, unknown>): number =>
  intOption('cursor-retries', a['cursor-retries'], 0, 1000) ?? CURSOR_RETRIES_DEFAULT;

/** A run's rate limits, shared by the batches running at once (and kept by planning's walk of the `_id` index). */
export const THROTTLE = {
  'max-docs-per-second': {
    kind: 'number',
    describe:
      'At most this many documents per second for the whole run, shared by the batches running at once (planning walks _id keys at this rate too)',
  },
  'max-bytes-per-second': {
    kind: 'string',
    describe: 'At most this many BSON bytes read per second for the whole run (50MB, 1GiB, …), shared likewise',
  },
} satisfies OptionSpecs;

export function throttleOf(a: Record<string, unknown>): Rates | undefined {
  const docs = rateOption('max-docs-per-second', a['max-docs-per-second']);
  const bytes = a['max-bytes-per-second'] === undefined ? undefined : bytesRate(a['max-bytes-per-second']);
  return docs || bytes ? { ...(docs ? { docs } : {}), ...(bytes ? { bytes } : {}) } : undefined;
}

// a share handed to a batch can be a fraction ("333.33"): bytesOption takes that too
const bytesRate = (v: unknown): number | undefined => bytesOption('max-bytes-per-second', v);

export const RUNNING = {
  concurrency: {
    kind: 'number',
    alias: 'j',
    describe: 'Batches at once',
    default: `${availableParallelism()} (available cores)`,
  },
  retries: { kind: 'number', describe: 'Attempts after the first for a failed batch', default: RETRIES },
  'retry-delay': {
    kind: 'number',
    describe: 'Base seconds of the exponential backoff between attempts (with jitter)',
    default: RETRY_DELAY,
  },
  'batch-timeout': {
    kind: 'number',
    describe: 'Seconds a batch may run before it is stopped and retried',
    default: 'none',
  },
  grace: { kind: 'number', describe: 'Seconds between SIGTERM and SIGKILL when stopping a child', default: GRACE },
  ...WRITER,
  ...CHECK_COUNTS,
  ...CURSOR_RETRIES,
  ...THROTTLE,
  resume: { kind: 'boolean', describe: 'Reuse the plan in --out; skip batches whose files and records check out' },
  summary: { kind: 'string', describe: 'Write the final summary as JSON to FILE, or - for stdout' },
} satisfies OptionSpecs;

export function writerOf(a: Record<string, unknown>): WriterName {
  const writer = choice('writer', a.writer, WRITERS);
  const why = writer === 'jsonstream' ? jsonStreamUnavailable() : undefined;
  if (why) throw usage(why);
  return writer;
}

export interface Running extends RunSettings {
  resume: boolean;
  summary: string | undefined;
}

export function running(a: Record<string, unknown>): Running {
  const checkCounts = checkCountsOf(a);
  const throttle = throttleOf(a);
  return {
    concurrency: intOption('concurrency', a.concurrency, 1, 1024) ?? availableParallelism(),
    retryLimit: intOption('retries', a.retries, 0, 100) ?? RETRIES,
    retryDelay: secondsOption('retry-delay', a['retry-delay']) ?? RETRY_DELAY,
    batchTimeout: secondsOption('batch-timeout', a['batch-timeout']),
    graceSeconds: secondsOption('grace', a.grace) ?? GRACE,
    writer: writerOf(a),
    ...(checkCounts ? { checkCounts } : {}),
    cursorRetries: cursorRetriesOf(a),
    ...(throttle ? { throttle } : {}),
    resume: Boolean(a.resume),
    summary: a.summary === undefined ? undefined : nonEmpty('summary', a.summary),
  };
}
