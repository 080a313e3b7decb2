import { scrub } from './uri.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';
export type LogFormat = 'text' | 'json';

/** What a line is about, for `--log-format json` (text lines carry it in their words). */
export type Fields = Record<string, string | number | boolean | null | undefined>;

/** Where a command's messages go: one line each on stderr, every line scrubbed of registered secrets. */
export interface Logger {
  readonly level: LogLevel;
  /** Progress and results: silenced by --quiet. */
  info(line: string, fields?: Fields): void;
  /** Details only with --verbose. */
  debug(line: string, fields?: Fields): void;
  /** Errors: always printed, one line each. */
  error(line: string, fields?: Fields): void;
}

/** mongoexport's log time: local, with milliseconds and the offset (`2026-12-02T06:27:28.114+0000`). */
export function logTime(d = new Date()): string {
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${zone}`;
}

export interface LoggerOptions {
  level?: LogLevel;
  stream?: NodeJS.WritableStream;
  /** mongoexport's local timestamp and a tab before each text line. */
  timestamps?: boolean;
  /** json: one object per line (`time`, `level`, `command`, the fields, `message`), for log collectors. */
  format?: LogFormat;
  /** The command, in JSON lines. */
  command?: string;
}

/** One JSON line: the time, the level, the command, what the line is about, and the text. */
export function jsonLine(level: string, line: string, fields: Fields | undefined, command?: string): string {
  const message = command && line.startsWith(`${command}: `) ? line.slice(command.length + 2) : line;
  return JSON.stringify({ time: new Date().toISOString(), level, ...(command ? { command } : {}), ...fields, message });
}

const scrubbed = (fields: Fields | undefined): Fields | undefined =>
  fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v]));

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'normal';
  const stream = options.stream ?? process.stderr;
  const write = (kind: string, line: string, fields?: Fields): void => {
    try {
      // secrets are scrubbed before JSON escapes could hide them
      const text =
        options.format === 'json'
          ? jsonLine(kind, scrub(line), scrubbed(fields), options.command)
          : `${options.timestamps ? `${logTime()}\t` : ''}${scrub(line)}`;
      stream.write(`${text}\n`);
    } catch {
      // stderr closed: nothing left to tell
    }
  };
  return {
    level,
    info: (line, fields) => {
      if (level !== 'quiet') write('info', line, fields);
    },
    debug: (line, fields) => {
      if (level === 'verbose') write('debug', line, fields);
    },
    error: (line, fields) => write('error', line, fields),
  };
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { level: 'quiet', info: () => {}, debug: () => {}, error: () => {} };

/** "1 batch", "3 batches". */
export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** What a command says when strings or field names were written with `\ufffd` because they were not valid UTF-8. */
export const invalidUtf8Note = (command: string, n: number): string =>
  `${command}: ${n} string(s) or field name(s) were not valid UTF-8: written with \\ufffd, as mongoexport writes them (--strict-utf8 makes that an error)`;
