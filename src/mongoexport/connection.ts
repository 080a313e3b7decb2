import { readFileSync } from 'node:fs';
import { ConnectionString } from 'mongodb-connection-string-url';
import { usage } from '../errors.js';
import { redactUri } from '../uri.js';
import { readPreference } from './read-preference.js';
import { type Args, int64, str } from './values.js';

/** Options mongoexport has that would have to mean something else here: refused, with the reason. */
const REFUSED: Record<string, string> = {
  sslCRLFile: 'certificate revocation lists are not supported (mongoexport refuses them on Linux too)',
  sslFIPSMode: 'FIPS mode is not supported (mongoexport refuses it too)',
  gssapiServiceName: 'Kerberos (GSSAPI) needs the optional kerberos module of the driver, which is not installed',
  gssapiHostName: 'Kerberos (GSSAPI) needs the optional kerberos module of the driver, which is not installed',
};

/** The few keys of mongoexport's --config YAML file: `password:` and `uri:`, one per line. */
function configFile(path: string): { password?: string; uri?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usage(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const out: { password?: string; uri?: string } = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const value = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
    if (m[1] === 'password' || m[1] === 'uri') out[m[1]] = value;
    else if (!['sslPEMKeyPassword', 'destinationPassword'].includes(m[1]!))
      throw usage(`--config: ${path}: unknown key ${m[1]}`);
  }
  return out;
}

export interface MongoexportConnection {
  uri: string;
  connectTimeout: number;
  /** The database: --db, else the URI's, else "test" (mongoexport's default). */
  db: string;
  /** Lines to print (deprecations, the password on the command line). */
  warnings: string[];
  /** --username without a password: ask for it, then call `withPassword`. */
  needsPassword: boolean;
  withPassword(password: string): string;
}

const EXTERNAL = new Set(['GSSAPI', 'PLAIN', 'MONGODB-X509', 'MONGODB-OIDC', 'MONGODB-AWS']);

/** Where the URI and an option disagree, as mongoexport says it. */
const conflict = (what: string, inUri: string, option: string, given: string) =>
  usage(
    `cannot specify different ${what} in the connection string and on the command line ("${inUri}" in the URI, "${given}" in ${option})`,
  );

/** A URI built from --host (`set/h1,h2`) and --port, as mongoexport builds one. */
function builtUri(host: string | undefined, port: string | undefined): ConnectionString {
  let set: string | undefined;
  let seeds = host ?? '';
  const slash = seeds.indexOf('/');
  if (slash >= 0) {
    set = seeds.slice(0, slash);
    seeds = seeds.slice(slash + 1);
  }
  const hosts = (seeds === '' ? ['localhost'] : seeds.split(','))
    .map((h) => (h === '' ? 'localhost' : h))
    .map((h) => (port && !h.includes(':') ? `${h}:${port}` : h));
  try {
    return new ConnectionString(`mongodb://${hosts.join(',')}/${set ? `?replicaSet=${encodeURIComponent(set)}` : ''}`);
  } catch (err) {
    throw usage(`--host/--port: ${(err as Error).message}`);
  }
}

/** The connection string of mongoexport's connection and authentication options (and a positional URI). */
export function mongoexportConnection(a: Args, positional: readonly string[]): MongoexportConnection {
  for (const [k, why] of Object.entries(REFUSED)) if (a[k] !== undefined) throw usage(`--${k}: ${why}`);
  const warnings: string[] = [];
  const config = str(a, 'config') ? configFile(str(a, 'config')!) : {};
  const cs = connectionString(a, positional, config.uri);
  const uriDb = decodeURIComponent(cs.pathname.replace(/^\//, ''));
  const db = str(a, 'db') || uriDb || 'test';
  const { user, mechanism, password } = authentication(a, cs, db, config.password, warnings);
  tlsOptions(a, cs.searchParams, warnings);
  readPreference(a, cs.searchParams, warnings);
  const connectTimeout = timeouts(a, cs.searchParams);
  const needsPassword =
    user !== undefined &&
    password === undefined &&
    !cs.password &&
    !(mechanism && ['MONGODB-X509', 'MONGODB-OIDC', 'MONGODB-AWS'].includes(mechanism));
  return {
    uri: cs.toString(),
    connectTimeout,
    db,
    warnings,
    needsPassword,
    withPassword: (pw) => {
      const c = new ConnectionString(cs.toString());
      c.password = encodeURIComponent(pw);
      return c.toString();
    },
  };
}

/** The one URI given (positional, --uri or the --config file's), checked against the options; else --host/--port's. */
function connectionString(a: Args, positional: readonly string[], configUri: string | undefined): ConnectionString {
  const uris = positional.filter((p) => /^mongodb(\+srv)?:\/\//.test(p));
  const strays = positional.filter((p) => !uris.includes(p));
  if (strays.length > 0) {
    throw usage(
      `unexpected argument ${JSON.stringify(strays[0])}: provide only one MongoDB connection string (mongodb:// or mongodb+srv://)`,
    );
  }
  if (uris.length > 1)
    throw usage('too many URIs found in positional arguments: only one URI can be set as a positional argument');
  if (uris.length === 1 && str(a, 'uri')) throw usage('cannot specify a URI in a positional argument and --uri');
  const given = uris[0] ?? str(a, 'uri') ?? configUri;
  if (!given) return builtUri(str(a, 'host'), str(a, 'port'));
  let cs: ConnectionString;
  try {
    cs = new ConnectionString(given);
  } catch (err) {
    throw usage(`--uri: ${(err as Error).message} (${redactUri(given)})`);
  }
  checkAgainstUri(a, cs);
  return cs;
}

/** --username, --password (or the --config file's), the mechanism and authSource, written into `cs`. */
function authentication(
  a: Args,
  cs: ConnectionString,
  db: string,
  configPassword: string | undefined,
  warnings: string[],
): { user: string | undefined; mechanism: string | undefined; password: string | undefined } {
  const p = cs.searchParams;
  const user = str(a, 'username') ?? (cs.username ? decodeURIComponent(cs.username) : undefined);
  const mechanism = str(a, 'authenticationMechanism') ?? p.get('authMechanism') ?? undefined;
  if (mechanism === 'GSSAPI') throw usage(`--authenticationMechanism GSSAPI: ${REFUSED.gssapiServiceName}`);
  if (str(a, 'username')) cs.username = encodeURIComponent(str(a, 'username')!);
  const password = str(a, 'password') ?? configPassword;
  if (str(a, 'password') !== undefined) {
    warnings.push(
      'WARNING: a password given with --password is visible to other users of this machine (ps); omit it to be asked for it, or use --config',
    );
  }
  if (password !== undefined) cs.password = encodeURIComponent(password);
  if (mechanism) p.set('authMechanism', mechanism);
  if (str(a, 'authenticationDatabase')) p.set('authSource', str(a, 'authenticationDatabase')!);
  else if (user && !p.has('authSource')) p.set('authSource', mechanism && EXTERNAL.has(mechanism) ? '$external' : db);
  if (str(a, 'awsSessionToken')) p.set('authMechanismProperties', `AWS_SESSION_TOKEN:${str(a, 'awsSessionToken')}`);
  return { user, mechanism, password };
}

/** The socket and server selection timeouts and the compressors into `p`; the seconds to wait for a server. */
function timeouts(a: Args, p: URLSearchParams): number {
  const seconds = (k: string, param: string) => {
    const n = int64(a, k);
    if (n !== undefined && n > 0) p.set(param, String(n * 1000));
  };
  seconds('socketTimeout', 'socketTimeoutMS');
  seconds('serverSelectionTimeout', 'serverSelectionTimeoutMS');
  if (str(a, 'compressors') && str(a, 'compressors') !== 'none') p.set('compressors', str(a, 'compressors')!);
  const dial = int64(a, 'dialTimeout') ?? 3;
  const serverSelection = int64(a, 'serverSelectionTimeout');
  // mongoexport waits for the driver's 30 s server selection unless told otherwise
  return serverSelection && serverSelection > 0 ? serverSelection : Math.max(30, dial);
}

/** --host, --port, --username, … must say what the URI says where both say something (as mongoexport checks). */
function checkAgainstUri(a: Args, cs: ConnectionString): void {
  const port = str(a, 'port');
  if (port) {
    for (const h of cs.hosts) {
      const m = /:(\d+)$/.exec(h);
      if (m && m[1] !== port) throw conflict('port', h, '--port', port);
    }
  }
  const host = str(a, 'host');
  if (host) {
    const seeds = builtUri(host, port).hosts.map(String).sort();
    const inUri = cs.hosts.map((h) => (port && !h.includes(':') ? `${h}:${port}` : h)).sort();
    if (seeds.join(',') !== inUri.join(',')) throw conflict('hosts', inUri.join(','), '--host', host);
    const set = host.includes('/') ? host.slice(0, host.indexOf('/')) : undefined;
    const uriSet = cs.searchParams.get('replicaSet');
    if (set && uriSet && set !== uriSet) throw conflict('replica set name', uriSet, '--host', host);
  }
  const uriDb = decodeURIComponent(cs.pathname.replace(/^\//, ''));
  const db = str(a, 'db');
  if (db && uriDb && db !== uriDb) throw conflict('database', uriDb, '--db', db);
  const user = str(a, 'username');
  if (user && cs.username && decodeURIComponent(cs.username) !== user)
    throw conflict('username', decodeURIComponent(cs.username), '--username', user);
  const pw = str(a, 'password');
  if (pw !== undefined && cs.password && decodeURIComponent(cs.password) !== pw) {
    throw usage('cannot specify different password in the connection string and on the command line');
  }
  const pairs: [string, string, string][] = [
    ['authenticationDatabase', 'authSource', 'authSource'],
    ['authenticationMechanism', 'authMechanism', 'authMechanism'],
  ];
  for (const [option, param, what] of pairs) {
    const given = str(a, option);
    const inUri = cs.searchParams.get(param);
    if (given && inUri && given !== inUri) throw conflict(what, inUri, `--${option}`, given);
  }
}

function tlsOptions(a: Args, p: URLSearchParams, warnings: string[]): void {
  if (a.ssl) p.set('tls', 'true');
  const files: [string, string][] = [
    ['sslCAFile', 'tlsCAFile'],
    ['sslPEMKeyFile', 'tlsCertificateKeyFile'],
    ['sslPEMKeyPassword', 'tlsCertificateKeyFilePassword'],
  ];
  for (const [option, param] of files) if (str(a, option)) p.set(param, str(a, option)!);
  if (a.tlsInsecure) p.set('tlsInsecure', 'true');
  if (a.sslAllowInvalidCertificates || a.sslAllowInvalidHostnames) {
    warnings.push(
      'WARNING: --sslAllowInvalidCertificates and --sslAllowInvalidHostnames are deprecated, please use --tlsInsecure instead',
    );
    if (a.sslAllowInvalidCertificates) p.set('tlsAllowInvalidCertificates', 'true');
    if (a.sslAllowInvalidHostnames) p.set('tlsAllowInvalidHostnames', 'true');
  }
}
