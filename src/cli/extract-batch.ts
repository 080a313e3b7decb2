import { type BatchResult, extractBatch } from '../batch/extract-batch.js';
import { type Reporter, reporterFor } from '../batch/report.js';
import { EXIT, ExtractError } from '../errors.js';
import { batchRequest, batchThrottleOf } from '../options/batch.js';
import { CONNECTION, connection, connectTimeoutOf } from '../options/connection.js';
import { declare, type OptionSpecs, override } from '../options/declare.js';
import { displayOf, LOGGING } from '../options/logging.js';
import { cli } from '../options/parse.js';
import {
  CHECK_COUNTS,
  CURSOR_RETRIES,
  checkCountsOf,
  cursorRetriesOf,
  THROTTLE,
  WRITER,
  writerOf,
} from '../options/running.js';
import { FORMAT, SOURCE } from '../options/selection.js';
import { intOption } from '../options/values.js';
import type { Display } from '../progress.js';
import { abortOnSignals } from './main.js';

export const NAME = 'extract-batch';

const RANGE = {
  min: { kind: 'string', describe: 'Lowest _id, inclusive (Extended JSON, e.g. \'{"$oid":"…"}\' or 42)' },
  max: { kind: 'string', describe: 'Highest _id, exclusive (Extended JSON)' },
  out: {
    kind: 'string',
    alias: 'o',
    describe: 'Output file, or - for stdout (with --plan: - streams the batch, no record)',
    required: 'unless --plan',
  },
} satisfies OptionSpecs;

const PLANNED = {
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

const EXAMPLES: [string, string][] = [
  ['$0 --plan ./orders/plan.json --batch 17', 'rerun batch 17 of a plan, exactly as extract-all runs it'],
  ['$0 --plan ./orders/plan.json --batch 17 --out - | jq .', 'the same batch on standard output'],
  ['$0 -d shop -c orders --min 1000 --max 2000 --out -', 'the documents with 1000 <= _id < 2000'],
];

const USAGE = `$0 --uri URI --db DB --collection C [--min EJSON] [--max EJSON] --out FILE|-
$0 --plan DIR/plan.json --batch K

Extract one batch: the documents whose _id is in [--min, --max) (either side open), narrowed by --query, into one file that appears atomically. With --plan, batch K of a plan exactly as extract-all runs it.`;

const OPTIONS = {
  ...CONNECTION,
  ...override(SOURCE, {
    db: { required: 'unless --plan' },
    collection: { describe: 'Collection', required: 'unless --plan' },
  }),
  ...FORMAT,
  ...RANGE,
  ...PLANNED,
  ...WRITER,
  ...LOGGING,
};

export async function run(): Promise<number> {
  const a = (await declare(cli(NAME, USAGE, EXAMPLES), OPTIONS).parseAsync()) as Record<string, unknown>;
  const log = displayOf(a, NAME);
  const report = reporterFor(intOption('report-fd', a['report-fd'], 3));
  // Tell the orchestrator (if any) what kind of failure this is before it is printed.
  try {
    const connectTimeout = connectTimeoutOf(a);
    const writer = writerOf(a);
    const req = batchRequest(a);
    const controller = new AbortController();
    const settling = new Set<Promise<unknown>>();
    // the batch removes its temporary file synchronously on abort; an S3 upload is aborted before the exit
    abortOnSignals(controller, 'exit', undefined, settling);
    const uri = () => connection(a).uri; // not needed when --skip-done finds the batch done
    const deps = {
      uri,
      connectTimeout,
      writer,
      report,
      log,
      signal: controller.signal,
      settling,
      checkCounts: checkCountsOf(a),
      cursorRetries: cursorRetriesOf(a),
      throttle: batchThrottleOf(a),
      stdout: process.stdout,
      env: process.env,
      name: NAME,
    };
    return said(await extractBatch(req, deps), log, report);
  } catch (err) {
    if (err instanceof ExtractError) report({ type: 'error', ...err.toJSON() });
    throw err;
  }
}

/** The outcome: the result line for the orchestrator (if any), and the lines for the user. */
function said(r: BatchResult, log: Display, report: Reporter): number {
  if (r.skipped) {
    log.info(`${NAME}: batch ${r.batch} is already done (${r.docs} documents, sha256 checked); skipped`);
    return EXIT.OK;
  }
  const { docs, bytes, sha256, seconds, file, invalidUtf8, cursorResumes } = r;
  report({
    type: 'result',
    docs,
    bytes,
    sha256,
    seconds,
    file,
    invalidUtf8,
    ...(cursorResumes ? { cursorResumes } : {}),
  });
  if (invalidUtf8 > 0)
    log.info(
      `${NAME}: ${invalidUtf8} string(s) or field name(s) were not valid UTF-8: written with \\ufffd, as mongoexport writes them (--strict-utf8 makes that an error)`,
    );
  log.info(
    `${NAME}: wrote ${r.docs} documents, ${r.bytes} bytes to ${r.file} in ${r.seconds.toFixed(2)} s (sha256 ${r.sha256})`,
  );
  return EXIT.OK;
}
