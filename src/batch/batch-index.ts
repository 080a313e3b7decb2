import { usage } from '../errors.js';

/** Array-job engines name the task's index in these variables (first match wins). */
export const INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

/** The batch number from --batch, else from an array-job engine's variable; says where it came from. */
export function resolveBatchIndex(
  flag: unknown,
  count: number,
  env: NodeJS.ProcessEnv = process.env,
): { index: number; source: string } {
  let raw: unknown = flag;
  let source = '--batch';
  if (raw === undefined) {
    const name = INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
    if (!name) throw usage(`--plan needs --batch K, or one of ${INDEX_VARIABLES.join(', ')} in the environment`);
    raw = env[name];
    source = name;
  }
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 0 || n >= count) {
    throw usage(`${source}: expected a batch number from 0 to ${count - 1}, got ${JSON.stringify(raw)}`);
  }
  return { index: n, source };
}
