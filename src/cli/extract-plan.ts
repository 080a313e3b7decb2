import { join, resolve } from 'node:path';
import { EXIT, exitForSignal, usage } from '../errors.js';
import { plural } from '../log.js';
import { CONNECTION, connection } from '../options/connection.js';
import { declare, type OptionSpecs } from '../options/declare.js';
import { displayOf, LOGGING } from '../options/logging.js';
import { cli } from '../options/parse.js';
import { FORMAT, OUT_DIR, PLANNING, planRequest, SOURCE } from '../options/selection.js';
import { nonEmpty, required } from '../options/values.js';
import { planExport } from '../orchestrator/planning.js';
import { PLAN_FILE } from '../output/layout.js';
import { destinationAt } from '../output/local-destination.js';
import { MAKEFILE_FILE, makeUnsafe } from '../output/makefile.js';
import { isS3 } from '../output/s3-destination.js';
import { abortOnSignals } from './main.js';

export const NAME = 'extract-plan';

const OWN = {
  ...OUT_DIR,
  overwrite: {
    kind: 'boolean',
    describe: 'Plan again into a directory that holds an export (its records go before the new plan replaces the old)',
  },
  emit: {
    kind: 'string',
    describe: 'Also write a driver for the batches: make (a Makefile fragment)',
    choices: ['make'],
  },
  makefile: { kind: 'string', describe: 'With --emit make: where to write it', default: `DIR/${MAKEFILE_FILE}` },
} satisfies OptionSpecs;

const EXAMPLES: [string, string][] = [
  ['$0 -d shop -c orders -o ./orders --batches 64', 'about 64 batches; then extract-all --out ./orders --resume'],
  ['$0 -d shop -c orders -o ./orders --emit make', 'and a Makefile: make -j 8 -f ./orders/Makefile'],
];

const USAGE = `$0 --db DB --collection C --out DIR [options]      (server: $MONGO_URI or --uri)

Compute the plan (batches as _id ranges) and write DIR/plan.json without extracting. Then run every batch with extract-all --out DIR --resume, or batch by batch with extract-batch --plan DIR/plan.json --batch K (or the batch number from an array job's JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX).

With --emit make, also write a Makefile fragment (default DIR/${MAKEFILE_FILE}) with one target per batch, so that make -j N -f DIR/${MAKEFILE_FILE} runs the batches not yet done and make -f DIR/${MAKEFILE_FILE} verify checks them.`;

/** Where the Makefile goes, if one is asked for; refused before planning when the directory cannot be written into one. */
function makefileFor(a: Record<string, unknown>, dir: string): string | undefined {
  if (a.emit !== undefined && a.emit !== 'make') throw usage(`--emit: expected make, got ${JSON.stringify(a.emit)}`);
  if (a.makefile !== undefined && a.emit === undefined) throw usage('--makefile goes with --emit make');
  if (a.emit !== 'make') return undefined;
  const unsafe = makeUnsafe(isS3(dir) ? dir.replace(/^s3:/, '') : dir); // the name is written into every rule
  if (unsafe) throw usage(`--emit make: --out ${unsafe}; choose another directory`);
  return resolve(a.makefile !== undefined ? nonEmpty('makefile', a.makefile) : join(dir, MAKEFILE_FILE));
}

export async function run(): Promise<number> {
  const options = { ...CONNECTION, ...SOURCE, ...OWN, ...FORMAT, ...PLANNING, ...LOGGING };
  const a = (await declare(cli(NAME, USAGE, EXAMPLES), options).parseAsync()) as Record<string, unknown>;
  const log = displayOf(a, NAME);
  const out = required('out', a.out, 'DIR');
  const dir = isS3(out) ? out : resolve(out);
  if (isS3(out) && a.emit !== undefined && a.makefile === undefined)
    throw usage('--emit make with s3:// needs --makefile FILE: where to write it on this machine');
  const makefile = makefileFor(a, dir);
  const request = planRequest(a);
  const { uri, connectTimeout } = connection(a);
  const controller = new AbortController();
  abortOnSignals(controller, 'wait'); // the walk stops and the lock is released; a second signal exits at once
  const plan = await planExport({
    destination: destinationAt(dir),
    request,
    uri,
    connectTimeout,
    signal: controller.signal,
    display: log,
    name: NAME,
    overwrite: Boolean(a.overwrite),
    ...(makefile ? { makefile } : {}),
  });
  log.close();
  if (!plan) return exitForSignal(String(controller.signal.reason));
  log.info(
    `${NAME}: wrote ${join(dir, PLAN_FILE)}: ${plural(plan.batches.length, 'batch', 'batches')}; run them with extract-all --out ${dir} --resume`,
  );
  if (makefile)
    log.info(
      `${NAME}: make -j N -f ${makefile} runs the batches; make -f ${makefile} verify checks them (MONGO_URI from the environment)`,
    );
  return EXIT.OK;
}
