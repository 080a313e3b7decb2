import { dirname, join, resolve } from 'node:path';
import { EXIT, usage } from '../errors.js';
import { PLAN_FILE } from '../output/layout.js';
import { destinationAt } from '../output/local-destination.js';
import { readPlan } from '../output/plan-store.js';
import { ranges, verifyPlan } from '../output/verify.js';
import { cli } from './main.js';
import { declare, type OptionSpecs } from './options/declare.js';
import { LOGGING, loggerFor } from './options/logging.js';
import { nonEmpty } from './options/values.js';

export const NAME = 'extract-verify';

const OPTIONS = {
  out: { kind: 'string', alias: 'o', describe: 'Output directory holding plan.json' },
  plan: { kind: 'string', describe: 'The plan file', default: 'DIR/plan.json' },
  json: { kind: 'boolean', describe: 'Print the report as JSON on stdout' },
  quick: { kind: 'boolean', describe: 'Check sizes only, not sha256' },
  ...LOGGING,
} satisfies OptionSpecs;

const USAGE = `$0 --out DIR | --plan DIR/plan.json [--json]

The join step: check every batch of a plan against its record (size and sha256) and report complete, missing and failed batches. Exit 0 only when the extraction is complete; 1 otherwise.`;

export async function run(): Promise<number> {
  const a = (await declare(cli(NAME, USAGE), OPTIONS).parseAsync()) as Record<string, unknown>;
  const log = loggerFor(a);
  if ((a.out === undefined) === (a.plan === undefined)) throw usage('give one of --out DIR or --plan FILE');
  const planPath =
    a.plan !== undefined ? resolve(nonEmpty('plan', a.plan)) : join(resolve(nonEmpty('out', a.out)), PLAN_FILE);
  const plan = await readPlan(planPath);
  const report = await verifyPlan(destinationAt(dirname(planPath)), plan, { hash: !a.quick });
  if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.complete) {
    const count = report.difference ? ` (count at plan time: ${plan.expectedDocs})` : '';
    log.info(
      `${NAME}: complete: ${plan.batches.length} batches, ${report.docs} documents, ${report.bytes} bytes${count}`,
    );
    return EXIT.OK;
  }
  const bad = report.failed.map((b) => `${b.batch} (${b.reason})`).join(', ') || 'none';
  log.error(
    `${NAME}: incomplete: ${report.done} of ${plan.batches.length} batches done; missing: ${ranges(report.missing) || 'none'}; bad: ${bad}`,
  );
  return EXIT.FAILED;
}
