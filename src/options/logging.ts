import { createLogger, type LogLevel } from '../log.js';
import { type Display, jsonDisplay, lineDisplay, ttyDisplay } from '../progress.js';
import type { OptionSpecs } from './declare.js';
import { choice } from './values.js';

const FORMATS = ['text', 'json'] as const;

export const LOGGING = {
  quiet: { kind: 'boolean', describe: 'Print errors only' },
  verbose: { kind: 'boolean', describe: 'Also print details: what the plan noted about the server, each attempt' },
  'log-format': {
    kind: 'string',
    describe:
      'text: lines (with a live status line on a terminal); json: one JSON object per line (phase, batch, documents, bytes, rate), for log collectors',
    choices: FORMATS,
    default: FORMATS[0],
  },
} satisfies OptionSpecs;

export const levelOf = (a: Record<string, unknown>): LogLevel => (a.quiet ? 'quiet' : a.verbose ? 'verbose' : 'normal');

/** How the command shows itself: JSON lines, a live status line on a terminal, or plain lines. */
export function displayOf(a: Record<string, unknown>, command: string, stream = process.stderr): Display {
  const level = levelOf(a);
  if (choice('log-format', a['log-format'], FORMATS) === 'json') return jsonDisplay(command, level, 10, stream);
  const log = createLogger({ level, stream });
  return stream.isTTY && level !== 'quiet' ? ttyDisplay(log, stream) : lineDisplay(log);
}
