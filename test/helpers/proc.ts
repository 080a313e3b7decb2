import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

/** Whether /proc still has an entry for pid (alive or zombie). */
export const exists = (pid: number): boolean => existsSync(`/proc/${pid}`);

/** Live extract-batch processes (zombies have an empty cmdline) whose command line mentions `marker`, if given. */
export function batchProcesses(marker?: string): { pid: number; batch: number; argv: string[] }[] {
  const found: { pid: number; batch: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    if (commandOf(argv) !== 'extract-batch' || (marker !== undefined && !argv.some((a) => a.includes(marker))))
      continue;
    const at = argv.indexOf('--batch');
    found.push({ pid: Number(name), batch: at < 0 ? -1 : Number(argv[at + 1]), argv });
  }
  return found;
}

/** A field of /proc/PID/status in KiB (VmHWM, VmRSS), or undefined once the process is gone. */
export function procStatusKiB(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
