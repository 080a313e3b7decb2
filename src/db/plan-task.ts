import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { ExtractError, type SerializedError } from '../errors.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import { scrub } from '../uri.js';
import { computePlan } from './compute-plan.js';
import { connect } from './connect.js';

/** What `node bin/launch.cjs plan-task` is: extract-all's and extract-plan's planning process (not a command). */
export const PLAN_TASK = 'plan-task';

/** What the planning process is asked, on its IPC channel (the connection string never goes in argv). */
export interface PlanTask {
  uri: string;
  /** The request with its filter as canonical Extended JSON (BSON classes do not cross processes). */
  req: Omit<PlanRequest, 'query'> & { query: string | null };
  connectTimeout: number;
}

/** What it says: connected, progress, then the plan or the error. */
export type PlanTaskMessage =
  | { connected: true }
  | { keys: number; batches: number }
  | { plan: PlanFile }
  | { error: SerializedError };

export const planTask = (uri: string, req: PlanRequest, connectTimeout: number): PlanTask => ({
  uri,
  req: { ...req, query: req.query ? BSON.EJSON.stringify(req.query, { relaxed: false }) : null },
  connectTimeout,
});

/**
 * The planning process: take the task from the IPC channel, connect, plan (metadata first, then the walk or the
 * sample if the collection needs batches), reply once and exit; never throws. A planning process whose parent is
 * gone stops at once.
 */
export async function runPlanTask(): Promise<void> {
  process.once('disconnect', () => process.exit(1));
  const t = await new Promise<PlanTask>((resolve) => process.once('message', resolve));
  const send = (m: PlanTaskMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  let reply: PlanTaskMessage;
  try {
    const query = t.req.query === null ? null : (BSON.EJSON.parse(t.req.query, { relaxed: false }) as Document);
    const req: PlanRequest = { ...t.req, query };
    const client = await connect(t.uri, { connectTimeout: t.connectTimeout });
    void send({ connected: true });
    try {
      reply = { plan: await computePlan(client, req, { onKeys: (keys, batches) => void send({ keys, batches }) }) };
    } finally {
      await client.close().catch(() => {});
    }
  } catch (err) {
    const unexpected = `unexpected error while planning: ${scrub((err as Error)?.stack ?? String(err))}`;
    reply = {
      error: err instanceof ExtractError ? err.toJSON() : { code: 'FAILED', message: unexpected, global: false },
    };
  }
  await send(reply);
  process.removeAllListeners('disconnect');
  process.disconnect();
}
