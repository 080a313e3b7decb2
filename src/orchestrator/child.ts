import type { Writable } from 'node:stream';
import { execa } from 'execa';
import type { ReportMessage } from '../batch/report.js';
import type { WriterName } from '../output/sink.js';
import { LAUNCHER } from '../paths.js';
import { RateShares, type Rates } from '../throttle.js';
import { scrub } from '../uri.js';
import { Tail } from './tail.js';

/**
 * How a batch process is started: the same Node as the orchestrator, through bin/launch.cjs (the bundled
 * commands with a compile cache: see the README's Performance section).
 */
export const childCommand = (args: readonly string[]): [string, string[]] => [
  process.execPath,
  [LAUNCHER, 'extract-batch', ...args],
];

/** Everything every batch process of a run gets, built once: its command line and environment. */
export interface ChildSpec {
  /** Starts batch K: the executable and its arguments (and, under a throttle, the batch's first share of it). */
  command(index: number, share?: Rates): [string, string[]];
  /** The run's throttle, shared by the children running at once (told on their stdin as the count changes). */
  shares?: RateShares<Writable>;
  /** The connection string travels here, never in argv (`/proc/PID/cmdline` is readable by every user). */
  env: Record<string, string>;
  /** Milliseconds before a child is stopped (SIGTERM, then SIGKILL after the grace); undefined: no limit. */
  timeoutMs: number | undefined;
  graceMs: number;
}

export interface ChildSpecOptions {
  planPath: string;
  uri: string;
  connectTimeout: number;
  writer: WriterName;
  batchTimeout: number | undefined;
  graceSeconds: number;
  checkCounts?: 'on' | 'strict';
  cursorRetries: number;
  throttle?: Rates;
}

/** The arguments that hand a batch its share of the run's throttle, and say that updates come on its stdin. */
const shareArgs = (share: Rates | undefined): string[] =>
  share
    ? [
        '--rates-stdin',
        ...(share.docs ? ['--max-docs-per-second', String(share.docs)] : []),
        ...(share.bytes ? ['--max-bytes-per-second', String(share.bytes)] : []),
      ]
    : [];

/** A share as one line on a child's stdin: `{"docs":N,"bytes":N}`. */
const tellShare = (stdin: Writable, share: Rates): void => {
  if (!stdin.destroyed && stdin.writable) stdin.write(`${JSON.stringify(share)}\n`);
};

export function childSpec(o: ChildSpecOptions): ChildSpec {
  const fixed = ['--report-fd', '3', '--connect-timeout', String(o.connectTimeout), '--quiet', '--writer', o.writer];
  if (o.checkCounts) fixed.push('--check-counts', o.checkCounts);
  fixed.push('--cursor-retries', String(o.cursorRetries));
  return {
    command: (index, share) =>
      childCommand(['--plan', o.planPath, '--batch', String(index), ...fixed, ...shareArgs(share)]),
    ...(o.throttle ? { shares: new RateShares<Writable>(o.throttle, tellShare) } : {}),
    env: { MONGO_URI: o.uri },
    timeoutMs: o.batchTimeout ? Math.round(o.batchTimeout * 1000) : undefined,
    graceMs: Math.max(1, Math.round(o.graceSeconds * 1000)),
  };
}

/** What one child process did. */
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

/** Read the child's report channel: one JSON object per line. */
function readReports(stream: NodeJS.ReadableStream | undefined, onMessage: (m: ReportMessage) => void): void {
  let pending = '';
  stream?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        onMessage(JSON.parse(line) as ReportMessage);
      } catch {
        // not ours: ignore
      }
      nl = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE) pending = '';
  });
}

/** Run batch `index` in its own process; never throws for a failed child — the attempt describes what happened. */
export async function runChild(
  spec: ChildSpec,
  index: number,
  cancelSignal: AbortSignal,
  onProgress: (docs: number) => void,
): Promise<Attempt> {
  const started = performance.now();
  const [file, argv] = spec.command(index, spec.shares?.next());
  const child = execa(file, argv, {
    env: spec.env,
    stdio: [spec.shares ? 'pipe' : 'ignore', 'ignore', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    cleanup: true,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: spec.graceMs,
    cancelSignal,
    ...(spec.timeoutMs ? { timeout: spec.timeoutMs } : {}),
  });
  const tail = new Tail(8192);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  let result: Attempt['result'];
  let failure: Attempt['failure'];
  readReports(child.stdio[3] as NodeJS.ReadableStream | undefined, (msg) => {
    if (msg.type === 'progress' && Number.isFinite(msg.docs)) onProgress(msg.docs);
    if (msg.type === 'result') result = msg;
    if (msg.type === 'error') failure = msg;
  });
  const stdin = child.stdin;
  if (spec.shares && stdin) {
    stdin.on('error', () => {}); // a child that exited: its share is moot
    spec.shares.join(stdin);
  }
  const r = await child.finally(() => stdin && spec.shares?.leave(stdin));
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
export const rerunCommand = (planPath: string, index: number): string =>
  `extract-batch --plan ${shellQuote(planPath)} --batch ${index}`;

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
