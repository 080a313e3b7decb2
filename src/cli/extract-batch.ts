import { type BatchResult, extractBatch } from '../batch/extract-batch.js';
import { type Reporter, reporterFor, resultMessage } from '../batch/report.js';
import { EXIT, ExtractError } from '../errors.js';
import { invalidUtf8Note } from '../log.js';
import { batchRequest, batchThrottleOf, PLANNED, RANGE } from '../options/batch.js';
import { CONNECTION, connection, connectTimeoutOf } from '../options/connection.js';
import { declare, override } from '../options/declare.js';
import { displayOf, LOGGING } from '../options/logging.js';
import { plainArgs } from '../options/plain.js';
import { checkCountsOf, cursorRetriesOf, WRITER, writerOf } from '../options/running.js';
import { FORMAT, SOURCE } from '../options/selection.js';
import { intOption } from '../options/values.js';
import type { Display } from '../progress.js';
import { abortOnSignals } from './main.js';

export const NAME = 'extract-batch';

const EXAMPLES: [string, string][] = [
  ['$0 --plan ./orders/plan.json --batch 17', 'rerun batch 17 of a plan, exactly as extract-all runs it'],
  ['$0 --plan ./orders/plan.json --batch 17 --out - | jq .', 'the same batch on standard output'],
  ['$0 -d shop -c orders --min 1000 --max 2000 --out -', 'the documents with 1000 <= _id < 2000'],
];

const USAGE = `$0 --uri URI --db DB --collection C [--min EJSON] [--max EJSON] --out FILE|-
$0 --plan DIR/plan.json --batch K

Extract one batch: the documents whose _id is in [--min, --max) (either side open), narrowed by --query, into one file that appears atomically. With --plan, batch K of a plan exactly as extract-all runs it.`;

export const OPTIONS = {
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
  const a =
    plainArgs(process.argv.slice(2), OPTIONS) ??
    ((await declare((await import('../options/parse.js')).cli(NAME, USAGE, EXAMPLES), OPTIONS).parseAsync()) as Record<
      string,
      unknown
    >);
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
  report(resultMessage(r));
  if (r.invalidUtf8 > 0) log.info(invalidUtf8Note(NAME, r.invalidUtf8));
  log.info(
    `${NAME}: wrote ${r.docs} documents, ${r.bytes} bytes to ${r.file} in ${r.seconds.toFixed(2)} s (sha256 ${r.sha256})`,
  );
  return EXIT.OK;
}
