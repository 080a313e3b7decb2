import type { MongoClientOptions } from 'mongodb';
import {
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoServerSelectionError,
} from '../driver.js';
import { ExtractError } from '../errors.js';
import { type Display, QUIET_MS } from '../progress.js';
import { redactUri, registerSecrets, scrub, serversOf } from '../uri.js';

export interface ConnectOptions {
  /** Seconds to wait for a server before giving up (server selection and socket connect). */
  connectTimeout: number;
  /** Connections this process may open; one cursor needs one. */
  maxPoolSize?: number;
}

/** Connect with a bounded wait; every failure becomes an ExtractError with a redacted, one-line message. */
export async function connect(uri: string, options: ConnectOptions): Promise<MongoClient> {
  registerSecrets(uri); // whatever thread connects, no line it prints can carry the password
  const ms = Math.max(1, Math.round(options.connectTimeout * 1000));
  const clientOptions: MongoClientOptions = {
    serverSelectionTimeoutMS: ms,
    connectTimeoutMS: ms,
    maxPoolSize: options.maxPoolSize ?? 2,
    appName: 'mongo-parallel-extract',
  };
  let client: MongoClient;
  try {
    client = new MongoClient(uri, clientOptions);
  } catch (err) {
    // the constructor only parses: whatever it throws (MongoParseError, or MongoRuntimeError for a bad host:port) is a bad URI
    const e = classify(err, uri);
    throw e.code === 'FAILED'
      ? new ExtractError(
          'USAGE',
          `invalid connection string: ${scrub(String((err as Error)?.message ?? err)).split('\n')[0]}`,
          { cause: err },
        )
      : e;
  }
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.close().catch(() => {});
    throw classify(err, uri);
  }
}

const AUTH_CODES = new Set([18, 13, 8000]); // AuthenticationFailed, Unauthorized, Atlas AtlasError
// Node's DNS lookups: a mongodb+srv:// name that does not resolve (or no resolver answers) is a server out of reach
const DNS_SYSCALLS = new Set(['querySrv', 'queryTxt', 'getaddrinfo']);
const CURSOR_GONE = new Set([43, 237, 175]); // CursorNotFound, CursorKilled, QueryPlanKilled
/**
 * Server errors that end a cursor but not the query: a new cursor opened after the last document written reads on.
 * The cursor is gone (43 CursorNotFound, 237 CursorKilled, 175 QueryPlanKilled); the node stepped down or shuts down
 * (10107 NotWritablePrimary, 13435 NotPrimaryNoSecondaryOk, 13436 NotPrimaryOrSecondary, 189 PrimarySteppedDown,
 * 11600 InterruptedAtShutdown, 11602 InterruptedDueToReplStateChange, 91 ShutdownInProgress); a time limit
 * (50 MaxTimeMSExpired, 262 ExceededTimeLimit); the network (6 HostUnreachable, 7 HostNotFound, 89 NetworkTimeout,
 * 9001 SocketException).
 */
const CURSOR_SURVIVABLE = new Set([
  ...CURSOR_GONE,
  10107,
  13435,
  13436,
  189,
  11600,
  11602,
  91,
  50,
  262,
  6,
  7,
  89,
  9001,
]);

/**
 * The server's error code as a number. A reply read with promoteValues: false (EXACT_READ: every batch cursor) holds
 * it as a BSON Int32, which `typeof code === 'number'` and a Set of numbers do not recognise.
 */
export function errorCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  const n = typeof c === 'object' && c !== null ? Number(c.valueOf()) : c;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** The server ended the cursor itself (its node is fine): a new one can be opened at once. */
export const cursorGone = (err: unknown): boolean => CURSOR_GONE.has(errorCode(err) ?? Number.NaN);

/** Whether a new cursor survives this error (see CURSOR_SURVIVABLE; and every network or server-selection error). */
export function cursorSurvivable(err: unknown): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  return CURSOR_SURVIVABLE.has(errorCode(err) ?? Number.NaN);
}

/** Classify a driver error into our codes. Connection trouble is CONNECT (retryable); auth is permanent. */
export function classify(err: unknown, uri?: string): ExtractError {
  if (err instanceof ExtractError) return err;
  const where = uri ? ` (${redactUri(uri)})` : '';
  const message = scrub(String((err as Error)?.message ?? err)).split('\n')[0];
  if (err instanceof MongoParseError) {
    return new ExtractError('USAGE', `invalid connection string: ${message}`, { cause: err });
  }
  const code = errorCode(err);
  if (
    (code !== undefined && AUTH_CODES.has(code)) ||
    /authentication failed|not authorized|unauthorized/i.test(message)
  ) {
    return new ExtractError('AUTH', `authentication failed${where}: ${message}`, { cause: err });
  }
  const dns = DNS_SYSCALLS.has(String((err as NodeJS.ErrnoException)?.syscall));
  if (
    dns ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNetworkTimeoutError
  ) {
    return new ExtractError('CONNECT', `cannot reach the server${where}: ${message}`, { cause: err });
  }
  if (code === 239 || code === 246) {
    return new ExtractError(
      'USAGE',
      `the plan's snapshot can no longer be read (${message}); a --snapshot export must finish within the server's minSnapshotHistoryWindowInSeconds: plan again`,
      { cause: err, global: true },
    );
  }
  if (code !== undefined && CURSOR_GONE.has(code)) {
    return new ExtractError('FAILED', `the server ended the cursor (${message})`, {
      cause: err,
    });
  }
  return new ExtractError('FAILED', `server error: ${message}`, { cause: err });
}

/** An error unless db.collection exists; an existing empty collection is fine. Returns the collection's type. */
export async function assertCollection(
  client: MongoClient,
  db: string,
  collection: string,
): Promise<'collection' | 'view' | string> {
  try {
    const found = await client.db(db).listCollections({ name: collection }, { nameOnly: false }).toArray();
    if (found.length > 0) return String(found[0]?.type ?? 'collection');
    const dbs = await client
      .db('admin')
      .admin()
      .listDatabases({ nameOnly: true })
      .catch(() => undefined);
    if (dbs && !dbs.databases.some((d) => d.name === db)) {
      throw new ExtractError('NOT_FOUND', `database ${JSON.stringify(db)} does not exist`);
    }
    throw new ExtractError('NOT_FOUND', `collection ${JSON.stringify(`${db}.${collection}`)} does not exist`);
  } catch (err) {
    throw classify(err);
  }
}

/**
 * Connect, saying what it waits for once the wait passes a second (and for how long it will wait): a wrong port
 * is a visible wait, then one line.
 */
export async function connectShown(display: Display, uri: string, connectTimeout: number): Promise<MongoClient> {
  // a wait of a second or two is not worth a line; beyond that, silence looks like a hang
  if (connectTimeout * 1000 <= 2 * QUIET_MS) return connect(uri, { connectTimeout });
  const server = serversOf(uri);
  const activity = display.begin('connect', `connecting to ${server} (waiting up to ${connectTimeout} s)`, {
    timeout: connectTimeout,
  });
  const started = performance.now();
  const tick = setInterval(() => {
    const waited = Math.floor((performance.now() - started) / 1000);
    activity.update(`connecting to ${server} · waited ${waited} s of ${connectTimeout} (--connect-timeout)`, {
      waited,
    });
  }, 1000);
  try {
    return await connect(uri, { connectTimeout });
  } finally {
    clearInterval(tick);
    activity.end();
  }
}
