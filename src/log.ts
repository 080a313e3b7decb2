import { scrub } from './uri.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';

/** Where a command's messages go: one line each on stderr, every line scrubbed of registered secrets. */
export interface Logger {
  readonly level: LogLevel;
  /** Progress and results: silenced by --quiet. */
  info(line: string): void;
  /** Details only with --verbose. */
  debug(line: string): void;
  /** Errors: always printed, one line each. */
  error(line: string): void;
}

/** mongoexport's log time: local, with milliseconds and the offset (`2026-12-02T06:27:28.114+0000`). */
export function logTime(d = new Date()): string {
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${zone}`;
}

export function createLogger(
  options: { level?: LogLevel; stream?: NodeJS.WritableStream; timestamps?: boolean } = {},
): Logger {
  const level = options.level ?? 'normal';
  const stream = options.stream ?? process.stderr;
  const write = (line: string): void => {
    try {
      stream.write(`${options.timestamps ? `${logTime()}\t` : ''}${scrub(line)}\n`);
    } catch {
      // stderr closed: nothing left to tell
    }
  };
  return {
    level,
    info: (line) => {
      if (level !== 'quiet') write(line);
    },
    debug: (line) => {
      if (level === 'verbose') write(line);
    },
    error: write,
  };
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { level: 'quiet', info: () => {}, debug: () => {}, error: () => {} };

/** "1 batch", "3 batches". */
export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
