import { resolve, join } from 'node:path';
import { cli } from './main.js';
import { nonEmpty, secondsOption } from './options.js';
import { planRequest, sourceOptions } from './source-options.js';
import { EXIT, usage } from '../errors.js';
import { configureLog, info, plural } from '../log.js';
import { registerSecrets, resolveUri } from '../uri.js';
import { connect } from '../db/connect.js';
import { computePlan } from '../db/compute-plan.js';
import { readPlanIn, writePlan } from '../output/plan-store.js';
import { PLAN_FILE } from '../output/layout.js';
import { acquireLock } from '../orchestrator/lock.js';
import { writeFileAtomic } from '../output/atomic-file.js';
import { MAKEFILE_FILE, makeUnsafe, renderMakefile } from '../plan/makefile.js';
import { assertNoStrayBatches, prepareDir } from '../orchestrator/prepare.js';

export const NAME = 'extract-plan';

export async function run(): Promise<number> {
  const a = await sourceOptions(
    cli(
      NAME,
      `$0 --db DB --collection C --out DIR [options]

Compute the plan (batches as _id ranges) and write DIR/plan.json without extracting. Then run every batch with
extract-all --out DIR --resume, or batch by batch with extract-batch --plan DIR/plan.json --batch K (or the batch
number from an array job's JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX).

With --emit make, also write a Makefile fragment (default DIR/${MAKEFILE_FILE}) with one target per batch, so that
make -j N -f DIR/${MAKEFILE_FILE} runs the batches not yet done and make -f DIR/${MAKEFILE_FILE} verify checks them.`,
    ),
  )
    .option('emit', { type: 'string', describe: 'Also write a driver for the batches: make (a Makefile fragment)' })
    .option('makefile', { type: 'string', describe: `With --emit make: where to write it  [default: DIR/${MAKEFILE_FILE}]` })
    .option('quiet', { type: 'boolean', describe: 'Print errors only' })
    .parseAsync();
  configureLog({ level: a.quiet ? 'quiet' : 'normal' });
  if (a.out === undefined) throw usage('--out DIR is required');
  const dir = resolve(nonEmpty('out', a.out));
  if (a.emit !== undefined && a.emit !== 'make') throw usage(`--emit: expected make, got ${JSON.stringify(a.emit)}`);
  if (a.makefile !== undefined && a.emit === undefined) throw usage('--makefile goes with --emit make');
  const makefile = a.emit === 'make' ? resolve(a.makefile !== undefined ? nonEmpty('makefile', a.makefile) : join(dir, MAKEFILE_FILE)) : undefined;
  // Refuse before planning: the directory's name is written into every rule.
  const unsafe = makefile ? makeUnsafe(dir) : undefined;
  if (unsafe) throw usage(`--emit make: --out ${unsafe}; choose another directory`);
  const req = planRequest(a);
  const connectTimeout = secondsOption('connect-timeout', a['connect-timeout']) ?? 15;
  const uri = resolveUri(a.uri);
  registerSecrets(uri);
  await prepareDir(dir);
  const lock = await acquireLock(dir);
  try {
    const existing = await readPlanIn(dir);
    if (existing) throw usage(`${dir} already holds a plan (${existing.source.db}.${existing.source.collection}, plan ${existing.planId}); use another --out`);
    await assertNoStrayBatches(dir);
    const client = await connect(uri, { connectTimeout });
    let plan;
    try {
      plan = await computePlan(client, req);
    } finally {
      await client.close().catch(() => {});
    }
    await writePlan(dir, plan);
    info(`${NAME}: ${plural(plan.batches.length, 'batch', 'batches')} of ${plan.expectedDocs} documents (${plan.method.name}, ${plan.method.seconds.toFixed(2)} s) → ${join(dir, PLAN_FILE)}`);
    if (makefile) {
      await writeFileAtomic(makefile, renderMakefile(plan, { dir }));
      info(`${NAME}: make -j N -f ${makefile} runs the batches; make -f ${makefile} verify checks them (MONGO_URI from the environment)`);
    }
    return EXIT.OK;
  } finally {
    await lock.release();
  }
}

