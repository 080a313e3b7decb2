// Running extract-all as a user would, with its --summary: to completion, or spawned for a test to steer.
import { readFile } from 'node:fs/promises';
import type { Summary } from '../../src/orchestrator/summary.js';
import { type RunOptions, type RunResult, runBin, type Spawned, spawnBin } from './cli.js';
import type { Cleanup } from './tmp.js';

export type { Summary };

/** Flags that keep failure paths fast; the connect timeout is generous by default (a loaded machine must not turn into retries). */
export const fastFlags = (o: { connectTimeout?: number; quiet?: boolean } = {}): string[] => [
  '--retry-delay',
  '0.05',
  '--connect-timeout',
  String(o.connectTimeout ?? 10),
  '--grace',
  '1',
  ...(o.quiet === false ? [] : ['--quiet']),
];

export const FAST = fastFlags();

export async function readSummary(file: string): Promise<Summary | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Summary;
  } catch {
    return undefined;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the tests assert the shape of what they read
export const readJson = async <T = any>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** Run extract-all to completion with `--summary FILE`; the summary is undefined when none was written. */
export async function extractAll(
  args: readonly string[],
  summaryFile: string,
  options: RunOptions = {},
): Promise<RunResult & { summary: Summary | undefined }> {
  const r = await runBin('extract-all', [...args, '--summary', summaryFile], { timeout: 60_000, ...options });
  return { ...r, summary: await readSummary(summaryFile) };
}

export interface SpawnedRun extends Spawned {
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** Its end: exit code, signal, stderr and the summary. */
  readonly done: Promise<{
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    summary: Summary | undefined;
  }>;
}

/** Start extract-all (with `--summary FILE` when given; killed when the test ends), for tests that act while it runs. */
export function spawnExtractAll(
  t: Cleanup,
  args: readonly string[],
  options: { summary?: string; env?: Record<string, string | undefined>; timeout?: number } = {},
): SpawnedRun {
  const { summary, ...rest } = options;
  const run = spawnBin('extract-all', [...args, ...(summary ? ['--summary', summary] : [])], {
    t,
    timeout: 60_000,
    ...rest,
  });
  let exited = false;
  const mark = () => {
    exited = true;
  };
  void run.exited.then(mark, mark);
  const done = run.exited.then(async (r) => ({ ...r, summary: summary ? await readSummary(summary) : undefined }));
  return Object.assign(run, { hasExited: () => exited, done });
}

/** A readable account of a run, for assertion messages. */
export const explain = (r: {
  exitCode?: number | null;
  signal?: string | null;
  stderr: string;
  summary?: Summary | undefined;
}): string =>
  `exit ${r.exitCode} signal ${r.signal}\nstderr:\n${r.stderr.slice(-3000)}\nsummary: ${JSON.stringify(r.summary, null, 1)?.slice(0, 3000)}`;

/** What to export and where: `--db DB --collection C --out OUT`. */
export const sourceArgs = (db: string, collection: string, out: string): string[] => [
  '--db',
  db,
  '--collection',
  collection,
  '--out',
  out,
];
