// mongoexport's command line made ours, without a server: go-flags' spellings, the connection string mongoexport
// would build, and the selection (what is read, in which order, written how).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ExtractError } from '../../src/errors.js';
import { mongoexportConnection } from '../../src/mongoexport/connection.js';
import { normalizeArgs } from '../../src/mongoexport/options.js';
import { mongoexportSelection } from '../../src/mongoexport/selection.js';
import { lenientJson } from '../../src/mongoexport/values.js';

/** An ExtractError('USAGE') whose message matches. */
const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ExtractError, `expected an ExtractError, got ${String(err)}`);
  assert.equal(err.code, 'USAGE');
  assert.match(err.message, pattern);
  return true;
};

describe('normalizeArgs: go-flags spellings', () => {
  test('a short option with its value attached, or after =', () => {
    assert.deepEqual(normalizeArgs(['-fa,b', '-f=c', '-dmydb', '-c', 'x', '-ofile.json']), [
      '-f',
      'a,b',
      '-f',
      'c',
      '-d',
      'mydb',
      '-c',
      'x',
      '-o',
      'file.json',
    ]);
  });
  test('boolean short options and long options pass unchanged', () => {
    assert.deepEqual(normalizeArgs(['-k', '--jsonArray', '--type=csv']), ['-k', '--jsonArray', '--type=csv']);
  });
  test('verbosity: -v, -vvv, -v2, --verbose, --verbose=N', () => {
    const level = (args: string[]) => {
      const out = normalizeArgs(args);
      const at = out.indexOf('--mpe-verbosity');
      return at < 0 ? 0 : Number(out[at + 1]);
    };
    assert.equal(level([]), 0);
    assert.equal(level(['-v']), 1);
    assert.equal(level(['-vvv']), 3);
    assert.equal(level(['-v2']), 2);
    assert.equal(level(['-v=4']), 4);
    assert.equal(level(['--verbose', '--verbose']), 2);
    assert.equal(level(['--verbose=5']), 5);
    assert.throws(() => normalizeArgs(['-vx']), refused(/verbosity/));
  });
  test('--dbpath and its friends are refused, as mongoexport refuses them', () => {
    for (const a of ['--dbpath=/data', '--dbpath', '--journal', '--directoryperdb'])
      assert.throws(() => normalizeArgs([a]), refused(/--dbpath/));
  });
  test('after --, nothing is rewritten', () => {
    assert.deepEqual(normalizeArgs(['--', '-fx', '-vvv']), ['--', '-fx', '-vvv']);
  });
});

describe('mongoexportConnection: the connection string mongoexport builds', () => {
  const conn = (a: Record<string, unknown>, positional: string[] = []) => mongoexportConnection(a, positional);

  test('no host: localhost, database "test"', () => {
    const c = conn({});
    assert.equal(c.uri, 'mongodb://localhost/');
    assert.equal(c.db, 'test');
    assert.equal(c.needsPassword, false);
  });
  test('--host set/h1,h2 with --port: every seed gets the port, the set name becomes replicaSet', () => {
    const c = conn({ host: 'rs0/h1,h2:27019', port: '27018' });
    assert.equal(c.uri, 'mongodb://h1:27018,h2:27019/?replicaSet=rs0');
  });
  test('the database of the URI, unless --db says the same', () => {
    assert.equal(conn({ uri: 'mongodb://a:1/sales' }).db, 'sales');
    assert.equal(conn({ uri: 'mongodb://a:1/sales', db: 'sales' }).db, 'sales');
    assert.equal(conn({}, ['mongodb://a:1/hr']).db, 'hr');
    assert.throws(() => conn({ uri: 'mongodb://a:1/sales', db: 'hr' }), refused(/different database/));
  });
  test('the URI and the options must not disagree', () => {
    assert.throws(() => conn({ uri: 'mongodb://a:1/', port: '2' }), refused(/different port/));
    assert.throws(() => conn({ uri: 'mongodb://a:1/', host: 'b:1' }), refused(/different hosts/));
    assert.throws(() => conn({ uri: 'mongodb://u@a:1/', username: 'v' }), refused(/different username/));
    assert.throws(
      () => conn({ uri: 'mongodb://a:1/?authSource=x', authenticationDatabase: 'y' }),
      refused(/different authSource/),
    );
    assert.doesNotThrow(() => conn({ uri: 'mongodb://a:1/', host: 'a', port: '1' }));
  });
  test('positional URIs: one, and not with --uri; nothing else positional', () => {
    assert.throws(() => conn({}, ['mongodb://a/', 'mongodb://b/']), refused(/too many URIs/));
    assert.throws(() => conn({ uri: 'mongodb://a/' }, ['mongodb://b/']), refused(/positional argument and --uri/));
    assert.throws(() => conn({}, ['stray']), refused(/unexpected argument "stray"/));
  });
  test('a username: authSource is --db (or $external for external mechanisms); the password asked for', () => {
    const c = conn({ username: 'ann', db: 'sales' });
    assert.equal(c.needsPassword, true);
    const withPw = new URL(c.withPassword('p@ss:w/rd').replace(/^mongodb/, 'http'));
    assert.equal(decodeURIComponent(withPw.password), 'p@ss:w/rd');
    assert.equal(withPw.searchParams.get('authSource'), 'sales');
    const plain = new URL(conn({ username: 'ann', authenticationMechanism: 'PLAIN' }).uri.replace(/^mongodb/, 'http'));
    assert.equal(plain.searchParams.get('authSource'), '$external');
    assert.equal(plain.searchParams.get('authMechanism'), 'PLAIN');
    assert.equal(conn({ username: 'ann', authenticationMechanism: 'MONGODB-X509' }).needsPassword, false);
  });
  test('--password on the command line: accepted, with a warning that never holds it', () => {
    const c = conn({ username: 'ann', password: 'hunter2' });
    assert.equal(c.needsPassword, false);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]!, /visible to other users/);
    assert.doesNotMatch(c.warnings.join('\n'), /hunter2/);
  });
  test('--config: a YAML file with the password and the URI', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mpe-config-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, '# comment\npassword: "s3cret"\nuri: mongodb://u@h:5/d\n');
    const c = conn({ config: file });
    assert.equal(c.warnings.length, 0);
    assert.equal(c.db, 'd');
    assert.equal(c.needsPassword, false);
    assert.equal(decodeURIComponent(new URL(c.uri.replace(/^mongodb/, 'http')).password), 's3cret');
    writeFileSync(file, 'bogus: 1\n');
    assert.throws(() => conn({ config: file }), refused(/unknown key bogus/));
    assert.throws(() => conn({ config: join(dir, 'none') }), refused(/cannot read/));
  });
  test('--readPreference: a mode or a document; --slaveOk is nearest and not with it', () => {
    const rp = (a: Record<string, unknown>) => new URL(conn(a).uri.replace(/^mongodb/, 'http')).searchParams;
    assert.equal(rp({ readPreference: 'secondary' }).get('readPreference'), 'secondary');
    const doc = rp({ readPreference: "{mode: 'nearest', tagSets: [{dc: 'ny'}], maxStalenessSeconds: 120}" });
    assert.equal(doc.get('readPreference'), 'nearest');
    assert.deepEqual(doc.getAll('readPreferenceTags'), ['dc:ny']);
    assert.equal(doc.get('maxStalenessSeconds'), '120');
    assert.equal(rp({ slaveOk: true }).get('readPreference'), 'nearest');
    assert.throws(() => conn({ readPreference: 'fastest' }), refused(/unknown read preference fastest/));
    assert.throws(() => conn({ slaveOk: true, readPreference: 'primary' }), refused(/slaveOk/));
  });
  test('TLS options become the driver’s; what cannot work here is refused with the reason', () => {
    const p = new URL(conn({ ssl: true, sslCAFile: '/ca.pem', tlsInsecure: true }).uri.replace(/^mongodb/, 'http'))
      .searchParams;
    assert.equal(p.get('tls'), 'true');
    assert.equal(p.get('tlsCAFile'), '/ca.pem');
    assert.equal(p.get('tlsInsecure'), 'true');
    assert.throws(() => conn({ sslCRLFile: '/crl.pem' }), refused(/revocation/));
    assert.throws(() => conn({ gssapiServiceName: 'x' }), refused(/Kerberos/));
    assert.throws(() => conn({ authenticationMechanism: 'GSSAPI' }), refused(/Kerberos/));
  });
  test('timeouts: 30 s of server selection unless --serverSelectionTimeout says otherwise', () => {
    assert.equal(conn({}).connectTimeout, 30);
    assert.equal(conn({ serverSelectionTimeout: '5' }).connectTimeout, 5);
    assert.throws(() => conn({ dialTimeout: 'abc' }), refused(/whole number/));
  });
});

describe('mongoexportSelection: what is read, in which order, written how', () => {
  const sel = (a: Record<string, unknown>, db = 'd') => mongoexportSelection({ collection: 'c', ...a }, db);

  test('defaults: relaxed NDJSON, everything, longs as numbers, parallel', () => {
    const s = sel({});
    assert.equal(s.ordered, undefined);
    assert.deepEqual(s.selection.source, { db: 'd', collection: 'c' });
    assert.equal(s.selection.query, null);
    assert.equal(s.selection.fields, null);
    assert.equal(s.selection.output.format, 'ndjson');
    assert.equal(s.selection.output.ejson, 'relaxed');
    assert.equal(s.selection.output.longs, 'number');
    assert.deepEqual(s.selection.output.mongoexport, { jsonArray: false, pretty: false, header: true });
  });
  test('--sort {_id: 1} alone is batch order; any other sort, --skip or --limit is one ordered cursor', () => {
    assert.equal(sel({ sort: '{_id: 1}' }).ordered, undefined);
    assert.equal(sel({ sort: '{"_id":1}' }).selection.output.sortById, true);
    assert.deepEqual(sel({ sort: '{_id: -1}' }).ordered, { sort: { _id: -1 } });
    assert.deepEqual(sel({ sort: "{'a.b': 1, _id: 1}" }).ordered, { sort: { 'a.b': 1, _id: 1 } });
    assert.deepEqual(sel({ skip: '5' }).ordered, { skip: 5 });
    assert.deepEqual(sel({ limit: '-3', sort: '{_id:1}' }).ordered, { sort: { _id: 1 }, limit: 3 });
    assert.equal(sel({ skip: '0', limit: '0' }).ordered, undefined);
    assert.throws(() => sel({ skip: '-1' }), refused(/--skip/));
    assert.throws(() => sel({ limit: '1.5' }), refused(/whole number/));
    assert.throws(() => sel({ sort: 'nope' }), refused(/--sort/));
  });
  test('--query: Extended JSON, canonical types kept; --queryFile; not both', (t) => {
    const q = sel({ query: '{"n":{"$numberLong":"5"},"d":{"$date":"2020-01-01T00:00:00Z"}}' }).selection.query!;
    assert.equal((q.n as { _bsontype?: string })._bsontype, 'Long');
    assert.ok(q.d instanceof Date);
    const dir = mkdtempSync(join(tmpdir(), 'mpe-q-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'q.json'), '{"a": 1}');
    assert.deepEqual(
      Object.keys(sel({ queryFile: join(dir, 'q.json') }).selection.query!),
      ['a'],
      'the file is the query',
    );
    assert.throws(() => sel({ query: '{"a":1}', queryFile: join(dir, 'q.json') }), refused(/either --query/));
    assert.throws(() => sel({ query: "{'a':1}" }), refused(/double quotes/));
    assert.throws(() => sel({ query: '[1]' }), refused(/JSON object/));
    assert.throws(() => sel({ query: '{"a":1}', forceTableScan: true }), refused(/forceTableScan/));
  });
  test('CSV needs fields; --fields projects top-level names; --fieldFile projects nothing', (t) => {
    assert.throws(() => sel({ type: 'csv' }), refused(/field list/));
    const csv = sel({ type: 'CSV', fields: 'a.b,c,_id,a.d' });
    assert.equal(csv.selection.output.format, 'csv');
    assert.deepEqual(csv.selection.output.csvFields, ['a.b', 'c', '_id', 'a.d']);
    assert.deepEqual(csv.selection.fields, ['a', 'c']);
    const dir = mkdtempSync(join(tmpdir(), 'mpe-f-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'f.txt'), 'x\r\n\ny.z\n');
    const file = sel({ type: 'csv', fieldFile: join(dir, 'f.txt') });
    assert.deepEqual(file.selection.output.csvFields, ['x', '', 'y.z']);
    assert.equal(file.selection.fields, null);
    assert.throws(() => sel({ fields: 'a,,b' }), refused(/empty field name/));
  });
  test('--jsonArray and --pretty shape JSON only; --noHeaderLine drops the header', () => {
    assert.deepEqual(sel({ jsonArray: true, pretty: true }).selection.output.mongoexport, {
      jsonArray: true,
      pretty: true,
      header: true,
    });
    assert.deepEqual(
      sel({ type: 'csv', fields: 'a', jsonArray: true, noHeaderLine: true }).selection.output.mongoexport,
      {
        jsonArray: false,
        pretty: false,
        header: false,
      },
    );
  });
  test('names checked as mongoexport checks them', () => {
    assert.throws(() => mongoexportSelection({}, 'd'), refused(/must specify a collection/));
    assert.throws(() => sel({}, 'a.b'), refused(/illegal character '\.'/));
    assert.throws(() => sel({}, 'x'.repeat(64)), refused(/longer than 63/));
    assert.throws(() => sel({ collection: 'a$b' }), refused(/illegal character/));
    assert.throws(() => sel({ type: 'xml' }), refused(/invalid output type 'xml'/));
    assert.throws(() => sel({ jsonFormat: 'strict' }), refused(/invalid JSON format 'strict'/));
  });
});

test('lenientJson: unquoted and single-quoted names, as the legacy parser takes them', () => {
  assert.deepEqual(JSON.parse(lenientJson("{a: 1, 'b.c': -1, $d: 'x'}")), { a: 1, 'b.c': -1, $d: 'x' });
  assert.deepEqual(JSON.parse(lenientJson('{"a":"k: v"}')), { a: 'k: v' });
});
