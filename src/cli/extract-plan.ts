import { resolve, join } from 'node:path';
import { cli, main } from './main.js';
import { nonEmpty, secondsOption } from './options.js';
import { planRequest, sourceOptions } from './source-options.js';
import { EXIT, usage } from '../errors.js';
import { configureLog, info } from '../log.js';
import { registerSecrets, resolveUri } from '../uri.js';
import { connect } from '../db/connect.js';
import { computePlan } from '../db/compute-plan.js';
import { readPlanIn, writePlan } from '../output/plan-store.js';
import { PLAN_FILE } from '../output/layout.js';
import { acquireLock } from '../orchestrator/lock.js';
import { assertNoStrayBatches, prepareDir } from '../orchestrator/prepare.js';

const NAME = 'extract-plan';

async function run(): Promise<number> {
  const a = await sourceOptions(
    cli(
      NAME,
      `$0 --db DB --collection C --out DIR [options]

Compute the plan (batches as _id ranges) and write DIR/plan.json without extracting. Then run every batch with
extract-all --out DIR --resume, or batch by batch with extract-batch --plan DIR/plan.json --batch K.`,
    ),
  )
    .option('quiet', { type: 'boolean', describe: 'Print errors only' })
    .parseAsync();
  configureLog({ level: a.quiet ? 'quiet' : 'normal' });
  if (a.out === undefined) throw usage('--out DIR is required');
  const dir = resolve(nonEmpty('out', a.out));
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
    info(`${NAME}: ${plan.batches.length} batches of ${plan.expectedDocs} documents (${plan.method.name}, ${plan.method.seconds.toFixed(2)} s) → ${join(dir, PLAN_FILE)}`);
    return EXIT.OK;
  } finally {
    await lock.release();
  }
}

await main(NAME, run);
