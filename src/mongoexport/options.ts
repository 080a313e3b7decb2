import { usage } from '../errors.js';
import type { OptionSpecs } from '../options/declare.js';

/**
 * mongoexport's command line (mongo-tools 100.12.2: mongoexport/options.go and common/options), declared once for
 * mpe-export: the same names, short forms, defaults and meanings. What cannot mean anything here is refused in one
 * line with the reason (REFUSED, in connection.ts), never ignored.
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
