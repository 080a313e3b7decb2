import { execa } from 'execa';
import type { ReportMessage } from '../batch/report.js';
import { LAUNCHER } from '../paths.js';
import { scrub } from '../uri.js';
import { Tail } from './tail.js';

/**
 * How a batch process is started: the same Node as the orchestrator, through bin/launch.cjs (the bundled
 * commands with a compile cache: see the README's Performance section).
 */
export const childCommand = (args: readonly string[]): [string, string[]] => [process.execPath, [LAUNCHER, 'extract-batch', ...args]];

export interface ChildOptions {
  planPath: string;
  index: number;
  /** The connection string: passed through the environment only, never argv. */
  uri: string;
  connectTimeout: number;
  /** Seconds before the child is stopped (SIGTERM, then SIGKILL after `graceSeconds`); undefined: no limit. */
  batchTimeout: number | undefined;
  graceSeconds: number;
  cancelSignal: AbortSignal;
  /** More extract-batch options (never secrets). */
  extraArgs: string[];
  onProgress: (docs: number) => void;
}

export interface Attempt {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  canceled: boolean;
  seconds: number;
  stderrTail: string;
  lastLine: string;
  result: Extract<ReportMessage, { type: 'result' }> | undefined;
  /** The child's own account of its failure, when it could give one. */
  failure: Extract<ReportMessage, { type: 'error' }> | undefined;
}

const MAX_LINE = 64 * 1024;

/** Run one batch in its own process; never throws for a failed child — the attempt describes what happened. */
export async function runChild(o: ChildOptions): Promise<Attempt> {
  const args = ['--plan', o.planPath, '--batch', String(o.index), '--report-fd', '3', '--connect-timeout', String(o.connectTimeout), '--quiet', ...o.extraArgs];
  const env: Record<string, string> = { MONGO_URI: o.uri };
  const started = performance.now();
  const [file, argv] = childCommand(args);
  const child = execa(file, argv, {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    cleanup: true,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: Math.max(1, Math.round(o.graceSeconds * 1000)),
    cancelSignal: o.cancelSignal,
    ...(o.batchTimeout ? { timeout: Math.round(o.batchTimeout * 1000) } : {}),
  });
  const tail = new Tail(8192);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  let result: Attempt['result'];
  let failure: Attempt['failure'];
  let pending = '';
  const reports = child.stdio[3] as NodeJS.ReadableStream | undefined;
  reports?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        const msg = JSON.parse(line) as ReportMessage;
        if (msg.type === 'progress' && Number.isFinite(msg.docs)) o.onProgress(msg.docs);
        if (msg.type === 'result') result = msg;
        if (msg.type === 'error') failure = msg;
      } catch {
        // not ours: ignore
      }
    }
    if (pending.length > MAX_LINE) pending = '';
  });
  const r = await child;
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    canceled: r.isCanceled,
    seconds: (performance.now() - started) / 1000,
    stderrTail: scrub(tail.text()),
    lastLine: scrub(tail.lastLine()),
    result,
    failure,
  };
}

/** The command a user runs to redo batch `index` by hand (the URI stays in MONGO_URI). */
export const rerunCommand = (planPath: string, index: number): string => `extract-batch --plan ${shellQuote(planPath)} --batch ${index}`;

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
