import stringWidth from 'string-width';
import { createLogger, type Fields, type Logger, type LogLevel } from './log.js';
import { scrub } from './uri.js';

/** The phases of a command that can take more than a second. */
export type Phase = 'connect' | 'plan' | 'verify' | 'run' | 'merge';

/** One phase while it lasts. */
export interface Activity {
  /** Where it stands: live on a terminal, a line every so often elsewhere, an object with --log-format json. */
  update(status: string, fields?: Fields): void;
  /** It is over; `line` (if any) says how it went and stays. */
  end(line?: string, fields?: Fields): void;
}

/**
 * How a command shows what it does: its lines (a Logger) and its phases. Three renderings: a live status line on
 * a terminal, plain lines for make, CI and files, and JSON lines for log collectors.
 */
export interface Display extends Logger {
  begin(phase: Phase, status: string, fields?: Fields): Activity;
  /** A signal arrived: what follows starts on a line of its own. */
  interrupted(): void;
  close(): void;
}

/** A phase that ends within this long says only its result (no "waiting…" line). */
export const QUIET_MS = 1000;

/**
 * Plain lines: a phase's status once it has lasted a second, then every `every` seconds, and its result. Phases
 * that end at once print their result only.
 */
export function lineDisplay(log: Logger, every = 30): Display {
  return {
    ...bind(log),
    begin(phase, status, fields) {
      const started = performance.now();
      let shown = false;
      let last = { status, fields };
      let lastShown = started;
      // the first line waits a second: a fast phase says nothing until it is done
      const timer = setTimeout(() => {
        shown = true;
        lastShown = performance.now();
        log.info(last.status, { phase, ...last.fields });
      }, QUIET_MS);
      timer.unref();
      return {
        update(s, f) {
          last = { status: s, fields: f };
          const now = performance.now();
          if (shown && now - lastShown >= every * 1000) {
            lastShown = now;
            log.info(s, { phase, ...f });
          }
        },
        end(line, f) {
          clearTimeout(timer);
          if (line) log.info(line, { phase, event: 'end', seconds: elapsed(started), ...f });
        },
      };
    },
    interrupted() {},
    close() {},
  };
}

/** JSON lines: every phase's start, its status every `every` seconds, its end; every other line too. */
export function jsonDisplay(
  command: string,
  level: LogLevel,
  every = 10,
  stream: NodeJS.WritableStream = process.stderr,
): Display {
  const log = createLogger({ level, format: 'json', command, stream });
  return {
    ...bind(log),
    begin(phase, status, fields) {
      const started = performance.now();
      let lastShown = started;
      log.info(status, { phase, event: 'begin', ...fields });
      return {
        update(s, f) {
          const now = performance.now();
          if (now - lastShown >= every * 1000) {
            lastShown = now;
            log.info(s, { phase, event: 'progress', seconds: elapsed(started), ...f });
          }
        },
        end(line, f) {
          log.info(line ?? `${phase} done`, { phase, event: 'end', seconds: elapsed(started), ...f });
        },
      };
    },
    interrupted() {},
    close() {},
  };
}

/**
 * A terminal: one status line at the bottom, redrawn at most 4 times a second and on resize, never wider than the
 * terminal (parts are dropped from the end, whole, rather than cut); every other line prints above it.
 */
export function ttyDisplay(log: Logger, stream: NodeJS.WriteStream = process.stderr): Display {
  let status: string | undefined;
  let drawn = false;
  let lastDraw = 0;
  let pending: NodeJS.Timeout | undefined;
  const width = () => Math.max(20, (stream.columns || 80) - 1);
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    if (status === undefined || log.level === 'quiet') return;
    stream.write(`\r\x1b[2K${fit(scrub(status), width())}`);
    drawn = true;
    lastDraw = performance.now();
  };
  const onResize = () => {
    clear();
    draw();
  };
  stream.on('resize', onResize);
  const above =
    (write: (line: string, fields?: Fields) => void) =>
    (line: string, fields?: Fields): void => {
      clear();
      write(line, fields);
      draw();
    };
  return {
    level: log.level,
    info: above(log.info),
    debug: above(log.debug),
    error: above(log.error),
    begin(_phase, s) {
      status = s;
      draw();
      return {
        update(next) {
          status = next;
          const wait = 250 - (performance.now() - lastDraw);
          if (wait <= 0) draw();
          else if (!pending) {
            // too soon to redraw: draw the latest status once the quarter second is over
            pending = setTimeout(() => {
              pending = undefined;
              draw();
            }, wait);
            pending.unref();
          }
        },
        end(line) {
          if (pending) clearTimeout(pending);
          pending = undefined;
          status = undefined;
          clear();
          if (line) log.info(line);
        },
      };
    },
    interrupted() {
      // the terminal echoed ^C after the status line: clear it, and say it on a line of its own
      stream.write('\r\x1b[2K^C\n');
      drawn = false; // the next line or update draws the status again below
    },
    close() {
      if (pending) clearTimeout(pending);
      status = undefined;
      clear();
      stream.off('resize', onResize);
    },
  };
}

/** `status` as wide as `columns` at most: ` · `-separated parts are dropped from the end, whole; then cut. */
export function fit(status: string, columns: number): string {
  if (stringWidth(status) <= columns) return status;
  const parts = status.split(' · ');
  while (parts.length > 1) {
    parts.pop();
    const s = parts.join(' · ');
    if (stringWidth(s) <= columns) return s;
  }
  let s = parts[0] ?? '';
  while (s.length > 0 && stringWidth(`${s}…`) > columns) s = s.slice(0, -1);
  return `${s}…`;
}

/** A Logger's methods, bound: a Display made from it passes them on. */
const bind = (log: Logger): Logger => ({
  level: log.level,
  info: (l, f) => log.info(l, f),
  debug: (l, f) => log.debug(l, f),
  error: (l, f) => log.error(l, f),
});

const elapsed = (since: number): number => Math.round(performance.now() - since) / 1000;

/** A display for code run without one (library use, tests): plain lines to a logger. */
export const displayFor = (log: Logger): Display =>
  'begin' in log ? (log as Display) : lineDisplay(log, Number.POSITIVE_INFINITY);
