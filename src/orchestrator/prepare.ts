import { access, constants, mkdir, readdir, stat } from 'node:fs/promises';
import { ExtractError, outputError, usage } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import type { PlanRequest } from '../db/compute-plan.js';
import { compatKey } from '../plan/plan-file.js';
import { BSON } from 'mongodb';

/** Create the output directory if needed and make sure we can write into it. */
export async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw new ExtractError('OUTPUT', `--out ${dir} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (err) {
    throw outputError(err, dir);
  }
}

const requested = (req: PlanRequest) => ({
  source: { db: req.db, collection: req.collection },
  query: req.query ? (BSON.EJSON.serialize(req.query, { relaxed: false }) as PlanFile['query']) : null,
  fields: req.fields,
  output: req.output,
});

/** Whether the directory's plan is the one asked for (same source, filter, fields and output format). */
export const samePlan = (plan: PlanFile, req: PlanRequest): boolean => compatKey(plan) === compatKey(requested(req));

/** A directory without a plan must not already hold batch files (they would be mixed with new ones). */
export async function assertNoStrayBatches(dir: string): Promise<void> {
  const stray = (await readdir(dir)).filter((n) => /^(batch|record)-\d+/.test(n));
  if (stray.length > 0) {
    throw usage(`${dir} holds ${stray.length} batch file(s) but no plan.json; use an empty directory`);
  }
}

/** Explain why an existing plan cannot be reused for this request. */
export function planMismatch(dir: string, plan: PlanFile, req: PlanRequest): ExtractError {
  const want = requested(req);
  const diffs = (['source', 'query', 'fields', 'output'] as const).filter((k) => JSON.stringify(plan[k]) !== JSON.stringify(want[k]));
  return usage(
    `${dir} holds the plan of another extraction (${plan.source.db}.${plan.source.collection}; differs in ${diffs.join(', ')}); use another --out, or --resume without those options to finish that one`,
  );
}
