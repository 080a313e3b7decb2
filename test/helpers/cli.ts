import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root: the nearest directory above this module with the project's package.json (dist/test/helpers/, or test/helpers/ when run from source). */
export const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the test helpers');
    dir = up;
  }
  return resolve(dir);
})();

/** A built command, e.g. binPath('extract-batch') → <repo>/bin/extract-batch.js. */
export const binPath = (name: string): string => join(repoRoot, 'bin', `${name}.js`);

/** bin/launch.cjs: starts a command from its bundle (built by `npm run build`). */
export const LAUNCHER = join(repoRoot, 'bin', 'launch.cjs');

/** The bundle extract-all, extract-plan and extract-verify run from (bin/launch.cjs bundleFor()). */
export const BUNDLE = join(repoRoot, 'dist', 'bundle', 'mpe.cjs');

/** The bundle extract-batch runs from: every batch process. */
export const BATCH_BUNDLE = join(repoRoot, 'dist', 'bundle', 'batch.cjs');

export interface RunOptions {
  /** Merged over the parent's environment; `undefined` removes a variable. MONGO_URI defaults to the test server's. */
  env?: Record<string, string | undefined>;
  /** Milliseconds before the child is killed (default 30 s). */
  timeout?: number;
  cwd?: string;
}

export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The child's environment: ours, minus node:test's own marker, plus MONGO_URI and the overrides. */
export function childEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const merged: Record<string, string | undefined> = { ...process.env, NODE_TEST_CONTEXT: undefined, ...overrides };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
  return env;
}

/** Run bin/<name>.js to completion. Never rejects: the exit code, signal and both streams are the result. */
export async function runBin(name: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await execa(process.execPath, [binPath(name), ...args], {
    reject: false,
    extendEnv: false,
    env: childEnv(options.env),
    timeout: options.timeout ?? 30_000,
    cwd: options.cwd ?? repoRoot,
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut,
  };
}

export interface Spawned {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly pid: number;
  /** stderr so far. */
  stderr(): string;
  /** Settles when the process has exited and its stderr is read. */
  readonly exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/**
 * Start bin/<name>.js and hand back the process, for tests that signal it or read its stdout themselves.
 * With `t`, the child is SIGKILLed when the test ends if it is still running.
 */
export function spawnBin(
  name: string,
  args: readonly string[],
  options: RunOptions & { t?: { after(fn: () => unknown): void } } = {},
): Spawned {
  const child = spawn(process.execPath, [binPath(name), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  const stderrDone = new Promise<void>((ok) => child.stderr.once('close', ok));
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }>((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (exitCode, signal) => {
      stderrDone.then(() => ok({ exitCode, signal, stderr }), fail);
    });
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 30_000);
  limit.unref();
  exited.finally(() => clearTimeout(limit)).catch(() => {});
  options.t?.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited.catch(() => {});
    }
  });
  return { child, pid: child.pid, stderr: () => stderr, exited };
}

/** Lines an error path may print: exactly one, and no stack trace. */
export function stderrLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

/** True when the text holds a stack frame ("    at fn (file:line)"). */
export const hasStackTrace = (text: string): boolean => /^\s+at .+/m.test(text);
