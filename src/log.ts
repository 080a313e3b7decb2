import { scrub } from './uri.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';

let level: LogLevel = 'normal';
let prefix = '';

export function configureLog(options: { level?: LogLevel; prefix?: string }): void {
  if (options.level) level = options.level;
  if (options.prefix !== undefined) prefix = options.prefix;
}

function write(line: string): void {
  try {
    process.stderr.write(`${prefix}${scrub(line)}\n`);
  } catch {
    // stderr closed: nothing left to tell
  }
}

/** Progress and results: silenced by --quiet. */
export const info = (line: string): void => {
  if (level !== 'quiet') write(line);
};
/** Details only with --verbose. */
export const debug = (line: string): void => {
  if (level === 'verbose') write(line);
};
/** Errors: always printed, one line each. */
export const error = (line: string): void => write(line);

/** "1 batch", "3 batches". */
export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
