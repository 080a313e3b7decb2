import { resolve } from 'node:path';
import { exitForSignal, usage } from '../errors.js';
import { type Logger, plural } from '../log.js';
import { extractAll } from '../orchestrator/extract-all.js';
import { lineProgress, ttyProgress } from '../orchestrator/progress.js';
import type { Summary } from '../orchestrator/summary.js';
import { writeFileAtomic } from '../output/atomic-file.js';
import { PLAN_FILE } from '../output/layout.js';
import { destinationAt } from '../output/local-destination.js';
import { abortOnSignals, cli } from './main.js';
import { CONNECTION, connection } from './options/connection.js';
import { declare, type OptionSpecs } from './options/declare.js';
import { LOGGING, loggerFor } from './options/logging.js';
import { RUNNING, running } from './options/running.js';
import { FORMAT, PLANNING, planRequest, SELECTION_OPTIONS, SOURCE } from './options/selection.js';
import { nonEmpty, required } from './options/values.js';

export const NAME = 'extract-all';

const OUT = {
  out: { kind: 'string', alias: 'o', describe: 'Output directory (created if missing)' },
  merge: {
    kind: 'string',
    describe:
      'Once complete, also write every batch as one file in plan order (one JSON array, NDJSON, CSV with one header), atomically; - for stdout',
  },
} satisfies OptionSpecs;

const USAGE = `$0 --db DB --collection C --out DIR [options]      (server: $MONGO_URI or --uri)

Plan the collection as _id ranges, extract each in its own extract-batch process, at most --concurrency at a time, retry failed batches, and prove the result complete (records, manifest, count check). --resume finishes a run.`;

/** The plan to make, or with --resume the source the user named (undefined: all from the plan). */
function planFor(a: Record<string, unknown>, resume: boolean) {
  const given = new Set(SELECTION_OPTIONS.filter((k) => a[k] !== undefined));
  if (!resume || given.has('db') || given.has('collection')) return { request: planRequest(a), given };
  if (given.size > 0) {
    throw usage(`--resume takes the source and output options from ${PLAN_FILE}; drop --${[...given].join(', --')}`);
  }
  return { request: undefined, given };
}

export async function run(): Promise<number> {
  const options = { ...CONNECTION, ...SOURCE, ...OUT, ...FORMAT, ...PLANNING, ...RUNNING, ...LOGGING };
  const a = (await declare(cli(NAME, USAGE), options).parseAsync()) as Record<string, unknown>;
  const log = loggerFor(a);
  // Every option is checked before the directory is created or locked (a held lock must not hide a usage error).
  const destination = destinationAt(resolve(required('out', a.out, 'DIR')));
  const run = running(a);
  const { uri, connectTimeout } = connection(a);
  const { request, given } = planFor(a, run.resume);
  const merge = a.merge === undefined ? undefined : nonEmpty('merge', a.merge);
  if (merge === '-' && run.summary === '-')
    throw usage('--merge - and --summary - both want standard output: give one a file');
  const controller = new AbortController();
  abortOnSignals(controller, 'wait', (signal) =>
    log.error(`${NAME}: ${signal}: stopping the running batches (again to exit at once)`),
  );
  const progress = () => (process.stderr.isTTY && !a.quiet ? ttyProgress(log) : lineProgress(log));
  const summary = await extractAll(
    { destination, request, given, uri, connectTimeout, ...run, resume: run.resume, ...(merge ? { merge } : {}) },
    { log, progress, signal: controller.signal, name: NAME },
  );
  if (!summary) return exitForSignal(String(controller.signal.reason));
  report(log, summary);
  if (run.summary === '-') process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else if (run.summary) await writeFileAtomic(resolve(run.summary), `${JSON.stringify(summary, null, 2)}\n`);
  return summary.exitCode;
}

function report(log: Logger, s: Summary): void {
  const count =
    s.difference === 0
      ? 'matches the count at plan time'
      : `count at plan time was ${s.expectedDocs} (difference ${s.difference > 0 ? '+' : ''}${s.difference}: documents inserted or deleted during the run?)`;
  if (s.invalidUtf8 > 0) {
    log.info(
      `${NAME}: ${s.invalidUtf8} string(s) or field name(s) were not valid UTF-8: written with \\ufffd, as mongoexport writes them (--strict-utf8 makes that an error)`,
    );
  }
  if (s.status === 'complete') {
    log.info(
      `${NAME}: complete: ${s.docs} documents, ${s.bytes} bytes in ${plural(s.batches.total, 'batch', 'batches')}, ${s.seconds.toFixed(1)} s; ${count}`,
    );
    return;
  }
  if (s.status === 'interrupted') {
    log.error(`${NAME}: interrupted: ${s.batches.done} of ${s.batches.total} batches done; finish with --resume`);
    return;
  }
  const stopped = s.stopped ? ` (${s.stopped})` : '';
  log.error(
    `${NAME}: incomplete: ${s.batches.done} of ${s.batches.total} batches done, ${s.batches.failed} failed, ${s.batches.notRun} not run${stopped}`,
  );
  for (const f of s.failures) log.error(`  batch ${f.batch}: ${f.lastError} — rerun: ${f.rerun}`);
  log.error(`${NAME}: after fixing the cause, finish with: extract-all --out ${s.out} --resume`);
}
