import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { ExtractError, type SerializedError } from '../errors.js';
import { BUNDLE } from '../paths.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import { scrub } from '../uri.js';
import { computePlan } from './compute-plan.js';
import { connect } from './connect.js';

/**
 * The young generation of the planning thread, in MiB. A walk keeps every batch boundary it reads; V8 answers
 * that high survival rate by growing the young generation to its maximum (32 MiB on Node 20), and the
 * orchestrator's process would carry that for the whole run. A worker with a small one does the same work and
 * gives its memory back when it exits (10,000-batch plan: orchestrator peak ~135 → ~105 MiB).
 */
const YOUNG_GENERATION_MB = 4;

interface Task {
  task: 'plan';
  uri: string;
  /** The request with its filter as canonical Extended JSON (BSON classes do not cross threads). */
  req: Omit<PlanRequest, 'query'> & { query: string | null };
  connectTimeout: number;
}

type Reply = { plan: PlanFile } | { error: SerializedError } | { keys: number; batches: number };

export interface WorkerPlanOptions {
  uri: string;
  req: PlanRequest;
  connectTimeout: number;
  signal: AbortSignal;
  /** Keys walked so far, and the batches cut from them. */
  onKeys?: (keys: number, batches: number) => void;
}

/** Walk (or sample) the `_id` index in a worker thread of this process; the plan comes back as plain data. */
export function planInWorker(o: WorkerPlanOptions): Promise<PlanFile> {
  const data: Task = {
    task: 'plan',
    uri: o.uri,
    req: { ...o.req, query: o.req.query ? BSON.EJSON.stringify(o.req.query, { relaxed: false }) : null },
    connectTimeout: o.connectTimeout,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(BUNDLE, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let replied = false;
    const stop = () => void worker.terminate();
    o.signal.addEventListener('abort', stop, { once: true });
    worker.on('message', (m: Reply) => {
      if ('keys' in m) return o.onKeys?.(m.keys, m.batches);
      replied = true;
      if ('plan' in m) resolve(m.plan);
      else reject(ExtractError.fromJSON(m.error));
    });
    worker.once('error', (err) => {
      replied = true;
      reject(new ExtractError('FAILED', `planning failed: ${scrub(err.message)}`, { cause: err }));
    });
    worker.once('exit', (code) => {
      o.signal.removeEventListener('abort', stop);
      if (!replied) {
        reject(
          new ExtractError(
            'FAILED',
            o.signal.aborted ? 'planning interrupted' : `planning ended without a plan (exit ${code})`,
          ),
        );
      }
    });
  });
}

/** Whether this thread is a planning worker (the bundle checks when it is loaded). */
export const isPlanWorker = (): boolean => parentPort !== null && (workerData as Task | undefined)?.task === 'plan';

/** The worker's side: connect, plan, reply once; never throws. */
export async function runPlanTask(): Promise<void> {
  const t = workerData as Task;
  const port = parentPort!;
  let reply: Reply;
  try {
    const query = t.req.query === null ? null : (BSON.EJSON.parse(t.req.query, { relaxed: false }) as Document);
    const req: PlanRequest = { ...t.req, query };
    const client = await connect(t.uri, { connectTimeout: t.connectTimeout });
    try {
      reply = {
        plan: await computePlan(client, req, { onKeys: (keys, batches) => port.postMessage({ keys, batches }) }),
      };
    } finally {
      await client.close().catch(() => {});
    }
  } catch (err) {
    const unexpected = `unexpected error while planning: ${scrub((err as Error)?.stack ?? String(err))}`;
    reply = {
      error: err instanceof ExtractError ? err.toJSON() : { code: 'FAILED', message: unexpected, global: false },
    };
  }
  port.postMessage(reply);
}
