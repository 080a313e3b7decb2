import { EXIT, usage } from '../errors.js';
import { declare, type OptionSpecs } from '../options/declare.js';
import { displayOf, LOGGING } from '../options/logging.js';
import { cli } from '../options/parse.js';
import { nonEmpty } from '../options/values.js';
import { bytesText, count } from '../orchestrator/progress.js';
import { destinationAt, planAt, planFileIn } from '../output/local-destination.js';
import { ranges, verifyPlan } from '../output/verify.js';

export const NAME = 'extract-verify';

const OPTIONS = {
  out: { kind: 'string', alias: 'o', describe: 'Output directory (or s3://BUCKET/PREFIX/) holding plan.json' },
  plan: { kind: 'string', describe: 'The plan file', default: 'DIR/plan.json' },
  json: { kind: 'boolean', describe: 'Print the report as JSON on stdout' },
  quick: { kind: 'boolean', describe: 'Check sizes only, not sha256' },
  ...LOGGING,
} satisfies OptionSpecs;

const EXAMPLES: [string, string][] = [
  ['$0 --out ./orders', 'exit 0 only if every batch file matches its record'],
  ['$0 --out ./orders --json | jq .missing', 'the report as JSON'],
];

const USAGE = `$0 --out DIR | --plan DIR/plan.json [--json]

The join step: check every batch of a plan against its record (size and sha256) and report complete, missing and failed batches. Exit 0 only when the extraction is complete; 1 otherwise.`;

export async function run(): Promise<number> {
  const a = (await declare(cli(NAME, USAGE, EXAMPLES), OPTIONS).parseAsync()) as Record<string, unknown>;
  const log = displayOf(a, NAME);
  if ((a.out === undefined) === (a.plan === undefined)) throw usage('give one of --out DIR or --plan FILE');
  const planPath = a.plan !== undefined ? nonEmpty('plan', a.plan) : planFileIn(destinationAt(nonEmpty('out', a.out)));
  const { plan, destination } = await planAt(planPath);
  const n = plan.batches.length;
  const activity = log.begin('verify', `checking ${n} batch files against their records`);
  const onChecked = (checked: number, bytes: number) =>
    activity.update(`checking batch files · ${count(checked)} of ${count(n)} · ${bytesText(bytes)} read`, {
      checked,
      total: n,
      bytes,
    });
  const report = await verifyPlan(destination, plan, { hash: !a.quick, onChecked }).finally(() => activity.end());
  log.close();
  if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const m of report.countMismatches ?? []) {
    log.info(
      `${NAME}: batch ${m.batch}: ${m.docs} documents written, ${m.serverCount} counted by the server in its range after it was written (--check-counts; writes during the run explain a difference)`,
    );
  }
  if (report.complete) {
    const atPlan = report.difference ? ` (count at plan time: ${plan.expectedDocs})` : '';
    log.info(
      `${NAME}: complete: ${plan.batches.length} batches, ${report.docs} documents, ${report.bytes} bytes${atPlan}`,
    );
    return EXIT.OK;
  }
  const bad = report.failed.map((b) => `${b.batch} (${b.reason})`).join(', ') || 'none';
  log.error(
    `${NAME}: incomplete: ${report.done} of ${plan.batches.length} batches done; missing: ${ranges(report.missing) || 'none'}; bad: ${bad}`,
  );
  return EXIT.FAILED;
}
