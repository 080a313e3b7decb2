import { createLogger, type Logger } from '../../log.js';
import type { OptionSpecs } from './declare.js';

export const LOGGING = {
  quiet: { kind: 'boolean', describe: 'Print errors only' },
} satisfies OptionSpecs;

export const loggerFor = (a: Record<string, unknown>): Logger => createLogger({ level: a.quiet ? 'quiet' : 'normal' });
