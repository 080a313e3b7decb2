import { readFileSync } from 'node:fs';
import { BSON, type Document } from 'mongodb';
import { ConnectionString } from 'mongodb-connection-string-url';
import { usage } from '../../errors.js';
import type { OutputOptions, Selection } from '../../plan/model.js';
import { redactUri } from '../../uri.js';
import type { OptionSpecs } from './declare.js';

/**
 * mongoexport's command line (mongo-tools 100.12.2: mongoexport/options.go and common/options), declared once for
 * mpe-export: the same names, short forms, defaults and meanings. What cannot mean anything here is refused in one
 * line with the reason (REFUSED), never ignored.
 */
export const MONGOEXPORT = {
  // general, verbosity
  config: { kind: 'string', describe: 'path to a configuration file (YAML: password, uri)' },
  quiet: { kind: 'boolean', describe: 'hide all log output' },
  // connection
  host: { kind: 'string', alias: 'h', describe: 'mongodb host to connect to (setname/host1,host2 for replica sets)' },
  port: { kind: 'string', describe: 'server port (can also use --host hostname:port)' },
  uri: { kind: 'string', describe: 'mongodb uri connection string' },
  ssl: { kind: 'boolean', describe: 'connect to a mongod or mongos that has ssl enabled' },
  sslCAFile: { kind: 'string', describe: 'the .pem file containing the root certificate chain' },
  sslPEMKeyFile: { kind: 'string', describe: 'the .pem file containing the certificate and key' },
  sslPEMKeyPassword: { kind: 'string', describe: 'the password to decrypt the sslPEMKeyFile, if necessary' },
  sslCRLFile: { kind: 'string', describe: 'the .pem file containing the certificate revocation list' },
  sslFIPSMode: { kind: 'boolean', describe: 'use FIPS mode of the installed openssl library' },
  tlsInsecure: { kind: 'boolean', describe: "bypass the validation for server's certificate chain and host name" },
  sslAllowInvalidCertificates: { kind: 'boolean', hidden: true, describe: 'deprecated: --tlsInsecure' },
  sslAllowInvalidHostnames: { kind: 'boolean', hidden: true, describe: 'deprecated: --tlsInsecure' },
  username: { kind: 'string', alias: 'u', describe: 'username for authentication' },
  password: {
    kind: 'string',
    alias: 'p',
    describe: 'password for authentication (prefer the prompt: argv is visible to other users)',
  },
  authenticationDatabase: { kind: 'string', describe: "database that holds the user's credentials" },
  authenticationMechanism: { kind: 'string', describe: 'authentication mechanism to use' },
  awsSessionToken: { kind: 'string', describe: 'session token to authenticate via AWS IAM' },
  gssapiServiceName: { kind: 'string', describe: 'service name for GSSAPI/Kerberos' },
  gssapiHostName: { kind: 'string', describe: 'hostname for GSSAPI/Kerberos' },
  dialTimeout: { kind: 'number', hidden: true, describe: 'seconds to wait for a connection', default: 3 },
  socketTimeout: { kind: 'number', hidden: true, describe: 'seconds a socket may wait for the server' },
  serverSelectionTimeout: { kind: 'number', hidden: true, describe: 'seconds to wait for a server' },
  compressors: { kind: 'string', hidden: true, describe: 'wire compressors' },
  // namespace
  db: { kind: 'string', alias: 'd', describe: 'database to use' },
  collection: { kind: 'string', alias: 'c', describe: 'collection to use' },
  // output
  fields: {
    kind: 'string',
    alias: 'f',
    describe: 'comma separated list of field names (required for exporting CSV) e.g. -f "name,age"',
  },
  fieldFile: { kind: 'string', describe: 'file with field names - 1 per line' },
  type: { kind: 'string', describe: 'the output format, either json or csv', default: 'json' },
  csv: { kind: 'boolean', hidden: true, describe: 'deprecated: --type=csv' },
  out: { kind: 'string', alias: 'o', describe: 'output file; if not specified, stdout is used' },
  jsonArray: { kind: 'boolean', describe: 'output to a JSON array rather than one object per line' },
  pretty: { kind: 'boolean', describe: 'output JSON formatted to be human-readable' },
  noHeaderLine: { kind: 'boolean', describe: 'export CSV data without a list of field names at the first line' },
  jsonFormat: {
    kind: 'string',
    describe: 'the extended JSON format to output, either canonical or relaxed',
    default: 'relaxed',
  },
  // querying
  query: { kind: 'string', alias: 'q', describe: 'query filter, as a JSON string, e.g. \'{"x":{"$gt":1}}\'' },
  queryFile: { kind: 'string', describe: 'path to a file containing a query filter (JSON)' },
  readPreference: { kind: 'string', describe: "a preference mode (e.g. 'nearest') or a preference json object" },
  slaveOk: { kind: 'boolean', alias: 'k', hidden: true, describe: 'deprecated: --readPreference=nearest' },
  forceTableScan: {
    kind: 'boolean',
    describe: 'accepted as mongoexport accepts it: it sends no hint either (see README)',
  },
  skip: { kind: 'number', describe: 'number of documents to skip' },
  limit: { kind: 'number', describe: 'limit the number of documents to export' },
  sort: { kind: 'string', describe: "sort order, as a JSON string, e.g. '{x:1}'" },
  assertExists: { kind: 'boolean', describe: 'if specified, export fails if the collection does not exist' },
  // ours
  concurrency: { kind: 'number', alias: 'j', describe: 'batches at once (mpe-export; default: available cores)' },
  retries: { kind: 'number', describe: 'attempts after the first for a failed batch (mpe-export)', default: 3 },
  resume: { kind: 'boolean', describe: 'finish an export that failed, from the batches it kept (mpe-export)' },
  'batch-size': { kind: 'number', describe: 'documents per batch (mpe-export)', default: 100000 },
  numThreads: { kind: 'number', hidden: true, describe: 'as --concurrency' },
  trace: { kind: 'boolean', hidden: true, describe: 'accepted; no effect (as in mongoexport)' },
  'mpe-verbosity': { kind: 'number', hidden: true, describe: '-v levels, after normalizeArgs' },
} satisfies OptionSpecs;

/** Options mongoexport has that would have to mean something else here: refused, with the reason. */
const REFUSED: Record<string, string> = {
  sslCRLFile: 'certificate revocation lists are not supported (mongoexport refuses them on Linux too)',
  sslFIPSMode: 'FIPS mode is not supported (mongoexport refuses it too)',
  gssapiServiceName: 'Kerberos (GSSAPI) needs the optional kerberos module of the driver, which is not installed',
  gssapiHostName: 'Kerberos (GSSAPI) needs the optional kerberos module of the driver, which is not installed',
};

/** Options of mongoexport that take a value and have a short form: `-fname` and `-f=name` become `-f name`. */
const SHORT_WITH_VALUE = new Set(['h', 'u', 'p', 'd', 'c', 'f', 'o', 'q', 'j']);

/**
 * go-flags' spellings, made yargs' ones: `-fname` and `-f=name` → `-f name`; `-v`, `-vvv`, `-v2`, `--verbose`,
 * `--verbose=N` → a verbosity level; `--dbpath` and friends refused as mongoexport refuses them.
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  let verbosity = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const v = /^-(v+)(?:=?(\d+))?$/.exec(arg) ?? /^--verbose(?:=(\d+))?$/.exec(arg);
    if (v) {
      const n = v[2] ?? (arg.startsWith('--') ? v[1] : undefined);
      verbosity = n !== undefined ? Number(n) : arg.startsWith('--') ? verbosity + 1 : verbosity + v[1]!.length;
      continue;
    }
    if (/^-v/.test(arg) && !arg.startsWith('--')) throw usage('Invalid verbosity value given');
    if (/^--(dbpath|directoryperdb|journal)(=|$)/.test(arg)) {
      throw usage('--dbpath and related flags are not supported in 3.0 tools (nor here)');
    }
    const short = /^-([a-zA-Z])(=?)(.+)$/.exec(arg);
    if (short && SHORT_WITH_VALUE.has(short[1]!)) out.push(`-${short[1]}`, short[3]!);
    else out.push(arg);
  }
  if (verbosity > 0) out.push('--mpe-verbosity', String(verbosity));
  return out;
}

type Args = Record<string, unknown>;
const str = (a: Args, k: string): string | undefined => (typeof a[k] === 'string' ? (a[k] as string) : undefined);

/** A whole number option (int64 in mongoexport), as the text was given. */
function int64(a: Args, k: string): number | undefined {
  const v = str(a, k);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw usage(`--${k}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

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
  const given = uris[0] ?? str(a, 'uri') ?? config.uri;
  let cs: ConnectionString;
  if (given) {
    try {
      cs = new ConnectionString(given);
    } catch (err) {
      throw usage(`--uri: ${(err as Error).message} (${redactUri(given)})`);
    }
    checkAgainstUri(a, cs);
  } else cs = builtUri(str(a, 'host'), str(a, 'port'));
  const p = cs.searchParams;
  const uriDb = decodeURIComponent(cs.pathname.replace(/^\//, ''));
  const db = str(a, 'db') || uriDb || 'test';
  const user = str(a, 'username') ?? (cs.username ? decodeURIComponent(cs.username) : undefined);
  const mechanism = str(a, 'authenticationMechanism') ?? p.get('authMechanism') ?? undefined;
  if (mechanism === 'GSSAPI') throw usage(`--authenticationMechanism GSSAPI: ${REFUSED.gssapiServiceName}`);
  if (str(a, 'username')) cs.username = encodeURIComponent(str(a, 'username')!);
  const password = str(a, 'password') ?? config.password;
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
  tlsOptions(a, p, warnings);
  readPreference(a, p, warnings);
  const seconds = (k: string, param: string) => {
    const n = int64(a, k);
    if (n !== undefined && n > 0) p.set(param, String(n * 1000));
  };
  seconds('socketTimeout', 'socketTimeoutMS');
  seconds('serverSelectionTimeout', 'serverSelectionTimeoutMS');
  if (str(a, 'compressors') && str(a, 'compressors') !== 'none') p.set('compressors', str(a, 'compressors')!);
  const dial = int64(a, 'dialTimeout') ?? 3;
  const serverSelection = int64(a, 'serverSelectionTimeout');
  const needsPassword =
    user !== undefined &&
    password === undefined &&
    !cs.password &&
    !(mechanism && ['MONGODB-X509', 'MONGODB-OIDC', 'MONGODB-AWS'].includes(mechanism));
  return {
    uri: cs.toString(),
    // mongoexport waits for the driver's 30 s server selection unless told otherwise
    connectTimeout: serverSelection && serverSelection > 0 ? serverSelection : Math.max(30, dial),
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

const MODES = ['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'];

/** --readPreference: a mode, or `{mode, tagSets, maxStalenessSeconds}`; -k/--slaveOk: nearest. */
function readPreference(a: Args, p: URLSearchParams, warnings: string[]): void {
  const given = str(a, 'readPreference');
  if (a.slaveOk) {
    if (given) throw usage("--slaveOk can't be specified when --readPreference is specified");
    warnings.push('--slaveOk is deprecated and --readPreference=nearest should be used instead');
    p.set('readPreference', 'nearest');
    return;
  }
  if (!given) return;
  let mode = given;
  let tagSets: Record<string, string>[] = [];
  let staleness: number | undefined;
  if (given.trim().startsWith('{')) {
    let doc: { mode?: unknown; tagSets?: unknown; maxStalenessSeconds?: unknown };
    try {
      doc = JSON.parse(lenientJson(given)) as typeof doc;
    } catch (err) {
      throw usage(`--readPreference: invalid json object: ${(err as Error).message}`);
    }
    if (typeof doc.mode !== 'string') throw usage("--readPreference: no 'mode' specified");
    mode = doc.mode;
    tagSets = Array.isArray(doc.tagSets) ? (doc.tagSets as Record<string, string>[]) : [];
    staleness = typeof doc.maxStalenessSeconds === 'number' ? doc.maxStalenessSeconds : undefined;
  }
  if (!MODES.includes(mode)) throw usage(`--readPreference: unknown read preference ${mode}`);
  p.set('readPreference', mode);
  p.delete('readPreferenceTags');
  for (const tags of tagSets) {
    p.append(
      'readPreferenceTags',
      Object.entries(tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(','),
    );
  }
  if (staleness !== undefined) p.set('maxStalenessSeconds', String(staleness));
}

/** JSON as mongo-tools' legacy parser takes it for --sort and --readPreference: unquoted and single-quoted names too. */
export function lenientJson(text: string): string {
  return text
    .replace(/'([^'\\]*(?:\\.[^'\\]*)*)'/g, (_m, s: string) => JSON.stringify(s))
    .replace(/([{,]\s*)([A-Za-z_$][\w.$]*)\s*:/g, '$1"$2":');
}

export interface MongoexportSelection {
  selection: Selection;
  /** --sort (other than `{_id: 1}`), --skip, --limit: one ordered cursor. */
  ordered?: { sort?: Document; skip?: number; limit?: number };
}

/** The fields of --fields (as given: split on commas, nothing trimmed) or --fieldFile (one per line). */
function fieldList(a: Args): { names: string[]; fromFile: boolean } | undefined {
  const fields = str(a, 'fields');
  if (fields) return { names: fields.split(','), fromFile: false };
  const file = str(a, 'fieldFile');
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`--fieldFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const names = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (names.at(-1) === '') names.pop();
  return { names, fromFile: true };
}

function queryText(a: Args): string | undefined {
  const q = str(a, 'query');
  const file = str(a, 'queryFile');
  if (q !== undefined && q !== '' && file)
    throw usage('either --query or --queryFile can be specified as a query option');
  if (file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usage(`--queryFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return q === '' ? undefined : q;
}

function parseQuery(text: string | undefined, option: string): Document | null {
  if (text === undefined) return null;
  let q: unknown;
  try {
    q = BSON.EJSON.parse(text, { relaxed: false });
  } catch (err) {
    const hint = /'/.test(text) ? ' (JSON needs double quotes)' : '';
    throw usage(`${option}: expected Extended JSON${hint}, got ${JSON.stringify(text)} (${(err as Error).message})`);
  }
  if (q === null || typeof q !== 'object' || Array.isArray(q))
    throw usage(`${option}: expected a JSON object, got ${JSON.stringify(text)}`);
  return q as Document;
}

function parseSort(text: string | undefined): Document | undefined {
  if (text === undefined) return undefined;
  try {
    const sort = JSON.parse(lenientJson(text)) as unknown;
    if (sort === null || typeof sort !== 'object' || Array.isArray(sort)) throw new Error('not an object');
    return sort as Document;
  } catch (err) {
    throw usage(
      `--sort: expected a JSON object such as '{"x":1}', got ${JSON.stringify(text)} (${(err as Error).message})`,
    );
  }
}

const NAME_CHARS = /[/\\. "$\0]/;

/** What mongoexport reads and how it writes it, checked in mongoexport's order. */
export function mongoexportSelection(a: Args, db: string): MongoexportSelection {
  if (db.length > 63) throw usage(`--db: db name '${db}' is longer than 63 characters`);
  const bad = NAME_CHARS.exec(db);
  if (bad) throw usage(`--db: illegal character '${bad[0]}' found in db name '${db}'`);
  const collection = str(a, 'collection');
  if (collection === undefined || collection === '') throw usage('must specify a collection (--collection, -c)');
  if (/[$\0]/.test(collection)) throw usage(`--collection: illegal character '$' found in '${collection}'`);
  const type = a.csv ? 'csv' : (str(a, 'type') ?? 'json').toLowerCase();
  if (type !== 'json' && type !== 'csv')
    throw usage(`--type: invalid output type '${str(a, 'type')}', choose 'json' or 'csv'`);
  const jsonFormat = str(a, 'jsonFormat') ?? 'relaxed';
  if (jsonFormat !== 'relaxed' && jsonFormat !== 'canonical') {
    throw usage(`--jsonFormat: invalid JSON format '${jsonFormat}', choose 'relaxed' or 'canonical'`);
  }
  const text = queryText(a);
  if (a.forceTableScan && str(a, 'query')) throw usage('cannot use --forceTableScan when specifying --query');
  const query = parseQuery(text, str(a, 'queryFile') ? '--queryFile' : '--query');
  const sort = parseSort(str(a, 'sort'));
  const skip = int64(a, 'skip');
  const limit = int64(a, 'limit');
  if (skip !== undefined && skip < 0) throw usage(`--skip: must be >= 0, got ${skip}`);
  const fields = fieldList(a);
  if (type === 'csv' && !fields) throw usage('CSV mode requires a field list (--fields or --fieldFile)');
  if (fields && !fields.fromFile && fields.names.some((f) => f === '')) {
    throw usage(`--fields: an empty field name in ${JSON.stringify(str(a, 'fields'))}`);
  }
  const output: OutputOptions = {
    format: type === 'csv' ? 'csv' : 'ndjson',
    ejson: jsonFormat,
    gzip: false,
    longs: 'number',
    mongoexport: {
      jsonArray: Boolean(a.jsonArray) && type === 'json',
      pretty: Boolean(a.pretty) && type === 'json',
      header: !a.noHeaderLine,
    },
    ...(type === 'csv' ? { csvFields: fields!.names } : {}),
  };
  // the server sends each field's top-level field whole (as mongoexport projects); --fieldFile sends no projection
  const projection =
    fields && !fields.fromFile
      ? [...new Set(fields.names.map((f) => f.split('.')[0]!))].filter((f) => f !== '_id')
      : null;
  const byIdOnly = sort !== undefined && Object.keys(sort).length === 1 && Number(sort._id) === 1;
  if (byIdOnly) output.sortById = true;
  const ordered =
    (sort !== undefined && !byIdOnly) || (skip !== undefined && skip !== 0) || (limit !== undefined && limit !== 0)
      ? {
          ...(sort ? { sort } : {}),
          ...(skip ? { skip } : {}),
          ...(limit ? { limit: Math.abs(limit) } : {}),
        }
      : undefined;
  return {
    selection: { source: { db, collection }, query, fields: projection, output },
    ...(ordered ? { ordered } : {}),
  };
}
