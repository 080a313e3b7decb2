import { resolve } from 'node:path';
import { exitForSignal, usage } from '../errors.js';
import { keepYoungGenerationSmall } from '../memory.js';
import { CONNECTION, connection } from '../options/connection.js';
import { declare, type OptionSpecs, override } from '../options/declare.js';
import { displayOf, LOGGING } from '../options/logging.js';
import { cli } from '../options/parse.js';
import { RUNNING, running } from '../options/running.js';
import { FORMAT, OUT_DIR, PLANNING, planRequest, SELECTION_OPTIONS, SOURCE } from '../options/selection.js';
import { nonEmpty, required } from '../options/values.js';
import { extractAll } from '../orchestrator/extract-all.js';
import { summaryLines } from '../orchestrator/summary-lines.js';
import { writeFileAtomic } from '../output/atomic-file.js';
import { PLAN_FILE } from '../output/layout.js';
import { destinationAt } from '../output/local-destination.js';
import { abortOnSignals } from './main.js';

export const NAME = 'extract-all';

const OUT = {
  ...OUT_DIR,
  overwrite: {
    kind: 'boolean',
    describe:
      'Export again into a directory that holds an export: once the new plan is made, the old records go and the new plan replaces the old; old batch files stay until new ones replace them',
  },
  merge: {
    kind: 'string',
    describe:
      'Once complete, also write every batch as one file in plan order (one JSON array, NDJSON, CSV with one header), atomically; - for stdout',
  },
} satisfies OptionSpecs;

const EXAMPLES: [string, string][] = [
  [
    '$0 --db shop --collection orders --out ./orders',
    'every document of shop.orders into ./orders, one file per batch',
  ],
  ['$0 -d shop -c orders -o ./o --query \'{"status":"A"}\' --format ndjson --gzip', 'a filter; NDJSON, gzipped'],
  ['$0 --out ./orders --resume', 'finish a run that failed or was stopped'],
  ['$0 -d shop -c orders -o ./o --merge orders.json', 'also one file of the whole collection'],
];

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
  keepYoungGenerationSmall(); // the orchestrator's memory over a long run
  const source = override(SOURCE, { db: { required: 'unless --resume' }, collection: { required: 'unless --resume' } });
  const options = { ...CONNECTION, ...source, ...OUT, ...FORMAT, ...PLANNING, ...RUNNING, ...LOGGING };
  const a = (await declare(cli(NAME, USAGE, EXAMPLES), options).parseAsync()) as Record<string, unknown>;
  const log = displayOf(a, NAME);
  // Every option is checked before the directory is created or locked (a held lock must not hide a usage error).
  const destination = destinationAt(required('out', a.out, 'DIR'));
  const run = running(a);
  const { uri, connectTimeout } = connection(a);
  if (a.overwrite && run.resume) throw usage('--overwrite and --resume conflict: start again, or finish the run');
  const { request, given } = planFor(a, run.resume);
  const merge = a.merge === undefined ? undefined : nonEmpty('merge', a.merge);
  if (merge === '-' && run.summary === '-')
    throw usage('--merge - and --summary - both want standard output: give one a file');
  const controller = new AbortController();
  abortOnSignals(controller, 'wait', (signal) => {
    log.interrupted();
    log.error(`${NAME}: ${signal}: stopping the running batches (again to exit at once)`);
  });
  const summary = await extractAll(
    {
      destination,
      request,
      given,
      uri,
      connectTimeout,
      ...run,
      resume: run.resume,
      overwrite: Boolean(a.overwrite),
      ...(merge ? { merge } : {}),
    },
    { log, signal: controller.signal, name: NAME },
  ).finally(() => log.close());
  if (!summary) return exitForSignal(String(controller.signal.reason));
  for (const l of summaryLines(summary, NAME)) log[l.level](l.text, l.fields);
  if (run.summary === '-') process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else if (run.summary) await writeFileAtomic(resolve(run.summary), `${JSON.stringify(summary, null, 2)}\n`);
  return summary.exitCode;
}
