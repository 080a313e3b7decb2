import { resolveUri } from '../uri.js';
import type { OptionSpecs } from './declare.js';
import { secondsOption } from './values.js';

export const CONNECT_TIMEOUT = 15;

export const CONNECTION = {
  uri: {
    kind: 'string',
    describe: 'Connection string (default: $MONGO_URI — prefer it: argv is visible to every user of the machine)',
    group: 'Connection:',
  },
  'connect-timeout': {
    kind: 'number',
    describe: 'Seconds to wait for the server before giving up (exit 3)',
    default: CONNECT_TIMEOUT,
    group: 'Connection:',
  },
} satisfies OptionSpecs;

export interface Connection {
  /** The connection string; its password is registered as a secret (never printed). */
  uri: string;
  connectTimeout: number;
}

/** The timeout alone: checked before anything else needs the URI. */
export const connectTimeoutOf = (a: Record<string, unknown>): number =>
  secondsOption('connect-timeout', a['connect-timeout']) ?? CONNECT_TIMEOUT;

export function connection(a: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Connection {
  const connectTimeout = connectTimeoutOf(a);
  return { uri: resolveUri(a.uri as string | undefined, env), connectTimeout };
}
