import { execa } from 'execa';
import { PLAN_TASK, type PlanTaskMessage, planTask } from '../db/plan-task.js';
import { ExtractError } from '../errors.js';
import { LAUNCHER } from '../paths.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import { scrub } from '../uri.js';
import { Tail } from './tail.js';

export interface PlanProcessOptions {
  uri: string;
  req: PlanRequest;
  connectTimeout: number;
  signal: AbortSignal;
  /** Connected: planning begins (metadata first, then the walk if one is needed). */
  onConnected?: () => void;
  /** Keys walked so far, and the batches cut from them. */
  onKeys?: (keys: number, batches: number) => void;
}

/**
 * Plan in a process of its own (`node bin/launch.cjs plan-task`, src/db/plan-task.ts): it connects, reads the
 * metadata and walks (or samples) the `_id` index; the plan comes back on the IPC channel (the connection string
 * goes there too, never in argv). The orchestrator keeps none of the walk's memory: a walk keeps every batch
 * boundary it reads, V8 answers that by growing its young generation, and the memory a worker thread (used
 * before) had freed stayed in the orchestrator (~10–15 MiB for a 10,000-batch plan).
 */
export async function planInProcess(o: PlanProcessOptions): Promise<PlanFile> {
  const child = execa(process.execPath, [LAUNCHER, PLAN_TASK], {
    ipc: true,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe'],
    buffer: false,
    reject: false,
    cleanup: true,
    cancelSignal: o.signal,
    forceKillAfterDelay: 1000,
  });
  const tail = new Tail(4096);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  let reply: PlanTaskMessage | undefined;
  try {
    await child.sendMessage(planTask(o.uri, o.req, o.connectTimeout));
    for await (const m of child.getEachMessage()) {
      const message = m as PlanTaskMessage;
      if ('connected' in message) o.onConnected?.();
      else if ('keys' in message) o.onKeys?.(message.keys, message.batches);
      else {
        reply = message;
        break;
      }
    }
  } catch {
    // the process ended before it replied: its exit says why
  }
  const r = await child;
  if (reply && 'plan' in reply) return reply.plan;
  if (reply && 'error' in reply) throw ExtractError.fromJSON(reply.error);
  if (o.signal.aborted || r.isCanceled) throw new ExtractError('FAILED', 'planning interrupted');
  const why = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  const said = scrub(tail.lastLine());
  throw new ExtractError('FAILED', `planning ended without a plan (${why})${said ? `: ${said}` : ''}`);
}
