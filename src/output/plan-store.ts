import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExtractError } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import { parsePlanFile } from '../plan/plan-file.js';
import { writeFileAtomic } from './atomic-file.js';
import { PLAN_FILE } from './layout.js';

export async function readPlan(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ExtractError('USAGE', `cannot read plan ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  try {
    return parsePlanFile(text);
  } catch (err) {
    throw new ExtractError('USAGE', `${path}: ${(err as Error).message}`);
  }
}

/** Plan in `dir`, or undefined when there is none. */
export async function readPlanIn(dir: string): Promise<PlanFile | undefined> {
  const path = join(dir, PLAN_FILE);
  try {
    await readFile(path);
  } catch {
    return undefined;
  }
  return readPlan(path);
}

export const writePlan = (dir: string, plan: PlanFile): Promise<void> =>
  writeFileAtomic(join(dir, PLAN_FILE), JSON.stringify(plan, null, 2) + '\n');
