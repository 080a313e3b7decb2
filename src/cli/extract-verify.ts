import { resolve, join } from 'node:path';
import { cli } from './main.js';
import { nonEmpty } from './options.js';
import { EXIT, usage } from '../errors.js';
import { configureLog, error, info } from '../log.js';
import { readPlan } from '../output/plan-store.js';
import { PLAN_FILE } from '../output/layout.js';
import { checkBatch } from '../output/record.js';

export const NAME = 'extract-verify';

export async function run(): Promise<number> {
  const a = await cli(
    NAME,
    `$0 --out DIR | --plan DIR/plan.json [--json]

The join step: check every batch of a plan against its record (size and sha256) and report complete, missing and
failed batches. Exit 0 only when the extraction is complete; 1 otherwise.`,
  )
    .option('out', { alias: 'o', type: 'string', describe: 'Output directory holding plan.json' })
    .option('plan', { type: 'string', describe: 'The plan file (default: DIR/plan.json)' })
    .option('json', { type: 'boolean', describe: 'Print the report as JSON on stdout' })
    .option('quick', { type: 'boolean', describe: 'Check sizes only, not sha256' })
    .option('quiet', { type: 'boolean', describe: 'Print errors only' })
    .parseAsync();
  configureLog({ level: a.quiet ? 'quiet' : 'normal' });
  if ((a.out === undefined) === (a.plan === undefined)) throw usage('give one of --out DIR or --plan FILE');
  const planPath = a.plan !== undefined ? resolve(nonEmpty('plan', a.plan)) : join(resolve(nonEmpty('out', a.out)), PLAN_FILE);
  const dir = resolve(planPath, '..');
  const plan = await readPlan(planPath);
  const done: number[] = [];
  const missing: number[] = [];
  const bad: { batch: number; reason: string }[] = [];
  let docs = 0;
  let bytes = 0;
  for (const b of plan.batches) {
    const c = await checkBatch(dir, plan, b.index, { hash: !a.quick });
    if (c.ok) {
      done.push(b.index);
      docs += c.record.docs;
      bytes += c.record.bytes;
    } else if (c.reason === 'no record') missing.push(b.index);
    else bad.push({ batch: b.index, reason: c.reason });
  }
  const complete = done.length === plan.batches.length;
  const report = { complete, planId: plan.planId, batches: plan.batches.length, done: done.length, missing, failed: bad, docs, bytes, expectedDocs: plan.expectedDocs, difference: docs - plan.expectedDocs };
  if (a.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (complete) {
    info(`${NAME}: complete: ${plan.batches.length} batches, ${docs} documents, ${bytes} bytes${report.difference ? ` (count at plan time: ${plan.expectedDocs})` : ''}`);
    return EXIT.OK;
  }
  error(`${NAME}: incomplete: ${done.length} of ${plan.batches.length} batches done; missing: ${ranges(missing) || 'none'}; bad: ${bad.map((b) => `${b.batch} (${b.reason})`).join(', ') || 'none'}`);
  return EXIT.FAILED;
}

/** 1,2,3,7 → "1-3, 7" */
function ranges(ns: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    out.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return out.join(', ');
}

