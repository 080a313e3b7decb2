import { readFileSync } from 'node:fs';

/** Whether a process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/**
 * The command a process runs, from its argv (argv[0] = node): `bin/extract-X.js …` started by hand or by a test,
 * or `bin/launch.cjs extract-X …` as extract-all starts its children.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  const script = argv[1] ?? '';
  return /(extract-[a-z]+)\.js$/.exec(script)?.[1] ?? (/launch\.cjs$/.test(script) ? argv[2] : undefined);
}

/** The same, as a JavaScript expression over process.argv, for CommonJS preloads (run before the command starts). */
export const COMMAND_OF_PROCESS = `(${commandOf.toString()})(process.argv)`;
