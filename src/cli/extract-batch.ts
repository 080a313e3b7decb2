import { createInterface } from 'node:readline';
import { extractBatch } from '../batch/extract-batch.js';
import type { BatchRequest } from '../batch/job.js';
import { reporterFor } from '../batch/report.js';
import { EXIT, ExtractError, usage } from '../errors.js';
import { type Rates, Throttle } from '../throttle.js';
import { abortOnSignals, cli } from './main.js';
import { CONNECTION, connection, connectTimeoutOf } from './options/connection.js';
import { declare, type OptionSpecs, override } from './options/declare.js';
import { displayOf, LOGGING } from './options/logging.js';
import {
  CHECK_COUNTS,
  CURSOR_RETRIES,
  checkCountsOf,
  cursorRetriesOf,
  THROTTLE,
  throttleOf,
  WRITER,
  writerOf,
} from './options/running.js';
import { FORMAT, SOURCE, selection } from './options/selection.js';
import { intOption, nonEmpty, parseEjson } from './options/values.js';

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

/** Options a plan fixes: given with --plan they are refused (`--out -` aside: the batch on standard output). */
const MANUAL_ONLY = [...Object.keys(SOURCE), ...Object.keys(FORMAT), 'min', 'max'];

const EXAMPLES: [string, string][] = [
  ['$0 --plan ./orders/plan.json --batch 17', 'rerun batch 17 of a plan, exactly as extract-all runs it'],
  ['$0 --plan ./orders/plan.json --batch 17 --out - | jq .', 'the same batch on standard output'],
  ['$0 -d shop -c orders --min 1000 --max 2000 --out -', 'the documents with 1000 <= _id < 2000'],
];

const USAGE = `$0 --uri URI --db DB --collection C [--min EJSON] [--max EJSON] --out FILE|-
$0 --plan DIR/plan.json --batch K

Extract one batch: the documents whose _id is in [--min, --max) (either side open), narrowed by --query, into one file that appears atomically. With --plan, batch K of a plan exactly as extract-all runs it.`;

function request(a: Record<string, unknown>): BatchRequest {
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
function throttleFor(a: Record<string, unknown>): Throttle | undefined {
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

export async function run(): Promise<number> {
  const options = {
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
  const a = (await declare(cli(NAME, USAGE, EXAMPLES), options).parseAsync()) as Record<string, unknown>;
  const log = displayOf(a, NAME);
  const report = reporterFor(intOption('report-fd', a['report-fd'], 3));
  // Tell the orchestrator (if any) what kind of failure this is before it is printed.
  try {
    const connectTimeout = connectTimeoutOf(a);
    const writer = writerOf(a);
    const req = request(a);
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
      throttle: throttleFor(a),
      stdout: process.stdout,
      env: process.env,
      name: NAME,
    };
    const r = await extractBatch(req, deps);
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
  } catch (err) {
    if (err instanceof ExtractError) report({ type: 'error', ...err.toJSON() });
    throw err;
  }
}
