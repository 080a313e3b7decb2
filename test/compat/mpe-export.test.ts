// mpe-export against mongoexport itself, on the same server: the same command line (only the program's name
// changed) gives the same bytes, on stdout and in -o files, for every flag combination below. Small batches, so
// every parallel export is many batch processes put together.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Document } from 'mongodb';
import { faults } from '../hardening/_support.js';
import { binPath, childEnv, repoRoot } from '../helpers/cli.js';
import { mongoexportBinary } from '../helpers/oracles.js';
import { mongoUri, withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { seedTyped } from '../helpers/typed-docs.js';

const tdb = withDb('compat_mpe');
let mongoexport: string | undefined;
let skip: string | undefined;

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const ours = (args: string[], env: Record<string, string> = {}): Ran => {
  const r = spawnSync(process.execPath, [binPath('mpe-export'), ...args], {
    env: childEnv(env),
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
};
const theirs = (args: string[]): Ran => {
  const r = spawnSync(mongoexport!, args, { maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
};

/** Run both with the same arguments; the same exit (0 or not) and the same stdout. */
function same(args: string[], what = args.join(' '), env: Record<string, string> = {}): { a: Ran; b: Ran } {
  const a = ours(['--batch-size', '37', ...args], env);
  const b = theirs(args);
  assert.equal(b.code, 0, `mongoexport ${what}: ${b.stderr}`);
  assert.equal(a.code, 0, `mpe-export ${what}: ${a.stderr}`);
  if (!a.stdout.equals(b.stdout)) {
    let i = 0;
    while (a.stdout[i] === b.stdout[i]) i++;
    assert.fail(
      `${what}: stdout differs at byte ${i} of ${b.stdout.length}/${a.stdout.length}:\n  mongoexport …${JSON.stringify(b.stdout.subarray(Math.max(0, i - 80), i + 80).toString())}\n  mpe-export  …${JSON.stringify(a.stdout.subarray(Math.max(0, i - 80), i + 80).toString())}`,
    );
  }
  return { a, b };
}

const uriOf = (db?: string) => `${mongoUri().replace(/\/[^/?]*(\?|$)/, `/${db ?? ''}$1`)}`;
const ns = (coll: string) => [`--uri=${mongoUri()}`, `--db=${tdb.name}`, `--collection=${coll}`];

describe('mpe-export is mongoexport, with parallel batches', () => {
  before(async () => {
    await seedTyped(tdb.db.collection('typed'), 300);
    const csv = Array.from({ length: 120 }, (_, i) => ({
      _id: i,
      name: i % 5 === 0 ? `has, comma ${i}` : `name ${i}`,
      quote: i % 7 === 0 ? 'say "hi"' : 'plain',
      multi: i % 11 === 0 ? 'line1\nline2' : 'one',
      lead: i % 13 === 0 ? ' leading space' : 'x',
      n: i % 3 === 0 ? null : i * 1.5,
      when: new Date(1700000000000 + i * 1000),
      sub: { a: i, b: { c: `deep ${i}` } },
      arr: [i, { x: `x${i}` }, 'third'],
      ...(i % 4 === 0 ? {} : { sometimes: i }),
    }));
    await tdb.db.collection('csv').insertMany(csv as Document[]);
    await tdb.db.createCollection('empty');
    const bin = await mongoexportBinary();
    if (typeof bin === 'string') mongoexport = bin;
    else skip = bin.skip;
  });

  test('JSON: relaxed, canonical, --jsonArray, --pretty and both, in _id order', (t) => {
    if (skip) return t.skip(skip);
    for (const more of [
      [],
      ['--jsonFormat=canonical'],
      ['--jsonArray'],
      ['--pretty'],
      ['--jsonArray', '--pretty'],
      ['--jsonArray', '--jsonFormat=canonical', '--pretty'],
    ]) {
      same([...ns('typed'), '--sort={"_id":1}', ...more]);
    }
  });

  test("without --sort: the same documents (mongoexport writes the server's order, we write batch order)", (t) => {
    if (skip) return t.skip(skip);
    const a = ours(['--batch-size', '37', ...ns('typed')]);
    const b = theirs(ns('typed'));
    assert.equal(a.code, 0, a.stderr);
    const lines = (r: Ran) => r.stdout.toString().split('\n').slice(0, -1).sort();
    assert.deepEqual(lines(a), lines(b));
  });

  test('CSV: nested fields, array indexes, missing fields, commas, quotes, newlines, leading spaces; --noHeaderLine; --fieldFile', async (t) => {
    if (skip) return t.skip(skip);
    const fields = '_id,name,quote,multi,lead,n,when,sub,sub.a,sub.b.c,arr,arr.0,arr.1.x,arr.5,sometimes,missing,sub.$';
    same([...ns('csv'), '--type=csv', `--fields=${fields}`, '--sort={"_id":1}']);
    same([...ns('csv'), '--type=CSV', `-f${fields}`, '--noHeaderLine', '--sort={"_id":1}']);
    const dir = await tmpDir(t);
    const file = join(dir, 'fields.txt');
    await writeFile(file, 'name\n\nsub.b.c\r\n#arr\narr.2');
    same([...ns('csv'), '--type=csv', `--fieldFile=${file}`, '--sort={"_id":1}']);
    same([...ns('csv'), `--fieldFile=${file}`, '--sort={"_id":1}'], 'JSON with --fieldFile: whole documents');
    same([...ns('csv'), '-f', 'name,sub.b.c', '--sort={"_id":1}'], 'JSON with --fields: a projection');
  });

  test('--query and --queryFile with Extended JSON dates and ObjectIds; --sort, --skip, --limit', async (t) => {
    if (skip) return t.skip(skip);
    same([
      ...ns('csv'),
      '--query={"when":{"$gte":{"$date":"2023-11-14T22:14:00Z"}},"_id":{"$lt":100}}',
      '--sort={"_id":1}',
    ]);
    const oid = (await tdb.db.collection('typed').findOne({ b: { $type: 'objectId' } }))?.b;
    if (oid) same([...ns('typed'), `--query={"b":{"$oid":"${oid.toHexString()}"}}`]);
    const dir = await tmpDir(t);
    const q = join(dir, 'q.json');
    await writeFile(q, '{"sometimes": {"$exists": true}, "_id": {"$gte": 50}}');
    same([...ns('csv'), `--queryFile=${q}`, '--sort={"_id":1}', '--jsonArray']);
    same([...ns('csv'), '--sort={"name":-1,"_id":1}']);
    same([...ns('csv'), '--sort={_id:1}', '--skip=10', '--limit=25']);
    same([...ns('csv'), '--sort={"when":-1}', '--limit=7', '--type=csv', '-f', 'when,name']);
    same([...ns('csv'), '--skip=115', '--sort={"_id":1}', '--pretty', '--jsonArray']);
  });

  test('an empty collection and a missing one (no output at all, exit 0; --assertExists fails)', (t) => {
    if (skip) return t.skip(skip);
    for (const more of [[], ['--jsonArray'], ['--pretty'], ['--jsonArray', '--pretty'], ['--type=csv', '-f', 'a,b']]) {
      same([...ns('empty'), ...more]);
      same([...ns('no_such_collection'), ...more]);
    }
    const a = ours([...ns('no_such_collection'), '--assertExists']);
    const b = theirs([...ns('no_such_collection'), '--assertExists']);
    assert.notEqual(b.code, 0);
    assert.notEqual(a.code, 0);
    assert.equal(a.stdout.length, 0);
  });

  test("the database from the URI; --host/--port; --username/--password over PLAIN (never in a child's argv)", async (t) => {
    if (skip) return t.skip(skip);
    same([`--uri=${uriOf(tdb.name)}`, '-c', 'csv', '--sort={"_id":1}']);
    const { hostname, port } = new URL(mongoUri().replace(/^mongodb/, 'http'));
    same([
      '--host',
      hostname,
      '--port',
      port,
      '-d',
      tdb.name,
      '-c',
      'csv',
      '--sort={"_id":1}',
      '--type=csv',
      '-f',
      'name',
    ]);
    same(['--host', `${hostname}:${port}`, '-d', tdb.name, '-c', 'csv', '--limit=3']);
    const auth = [
      '--host',
      `${hostname}:${port}`,
      '-u',
      'reader',
      '-p',
      's3cret-Pw',
      '--authenticationMechanism=PLAIN',
      '-d',
      tdb.name,
      '-c',
      'csv',
      '--sort={"_id":1}',
    ];
    const f = await faults(join(await tmpDir(t), 'fi'));
    const { a } = same(auth, 'PLAIN with -u/-p', f.env(['cmdline']));
    assert.match(a.stderr, /WARNING: a password given with --password is visible/);
    assert.doesNotMatch(a.stderr, /s3cret-Pw/);
    const children = f.list('cmdline-');
    assert.ok(children.length >= 3, `every batch process recorded its argv (${children.length})`);
    for (const c of children) {
      assert.match(f.read(c), /--batch/, c);
      assert.doesNotMatch(f.read(c), /s3cret-Pw/, `argv of ${c}`);
    }
  });

  test('-u without -p on a terminal: asked for without echo, used, never shown', async (t) => {
    if (skip) return t.skip(skip);
    if (spawnSync('script', ['--version']).status !== 0)
      return t.skip('no script(1) here to give the command a terminal');
    const dir = await tmpDir(t);
    const file = join(dir, 'asked.json');
    const { hostname, port } = new URL(mongoUri().replace(/^mongodb/, 'http'));
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, binPath('mpe-export'), '--host', `${hostname}:${port}`, '-u', 'reader']
      .concat(['--authenticationMechanism=PLAIN', '-d', tdb.name, '-c', 'csv', '--sort={"_id":1}', '-o', file])
      .map(quote)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: childEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const prompted = new Promise<void>((done) =>
      child.stdout.on('data', (d: Buffer) => {
        screen += d.toString();
        if (screen.includes('Enter password for mongo user:')) done();
      }),
    );
    const exited = new Promise<number | null>((done) => child.on('close', done));
    await prompted;
    child.stdin.write('pty-Secret9\r');
    const code = await exited;
    assert.equal(code, 0, screen);
    assert.doesNotMatch(screen, /pty-Secret9/, 'the password is not echoed');
    assert.doesNotMatch(screen, /WARNING: a password/, 'no warning: it was not on the command line');
    const b = theirs([...ns('csv'), '--sort={"_id":1}']);
    assert.ok((await readFile(file)).equals(b.stdout), 'the export ran with the password it was given');
  });

  test('-o FILE: created with its directories, the same bytes; never a partial file under the name', async (t) => {
    if (skip) return t.skip(skip);
    const dir = await tmpDir(t);
    for (const [name, more] of [
      ['a/b/x.json', ['--jsonArray']],
      ['y.csv', ['--type=csv', '-f', 'name,sub.b.c']],
    ] as const) {
      const a = ours(['--batch-size', '30', ...ns('csv'), '--sort={"_id":1}', '-o', join(dir, 'ours', name), ...more]);
      const b = theirs([...ns('csv'), '--sort={"_id":1}', '-o', join(dir, 'theirs', name), ...more]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.ok((await readFile(join(dir, 'ours', name))).equals(await readFile(join(dir, 'theirs', name))), name);
    }
    assert.deepEqual((await readdir(join(dir, 'ours'))).sort(), ['a', 'y.csv'], 'the work directory is gone');
  });

  test('a failed batch: no file under the name, the work directory kept with a message; --resume finishes it', async (t) => {
    if (skip) return t.skip(skip);
    const dir = await tmpDir(t);
    const f = await faults(join(dir, 'fi'));
    const file = join(dir, 'out.json');
    const args = ['--batch-size', '30', ...ns('csv'), '--sort={"_id":1}', '--jsonArray', '-o', file];
    const failed = ours([...args, '--retries=0'], f.env(['exit0:2']));
    assert.notEqual(failed.code, 0, 'batch 2 failed and was not retried');
    assert.ok(!existsSync(file), 'nothing under the final name');
    const work = join(dir, '.out.json.mpe-export');
    assert.match(failed.stderr, /Failed: batch 2: /);
    assert.ok(failed.stderr.includes(`3 of 4 batches are kept in ${work}: run the same command with --resume`));
    const resumed = ours([...args, '--resume', '-v']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /3 of 4 batches already done/);
    assert.ok((await readFile(file)).equals(theirs(args.slice(2, -2)).stdout), 'the same bytes as mongoexport');
    assert.ok(!existsSync(work), 'the work directory is gone');
  });

  test('bad flags: both refuse (ours says why in one line)', (t) => {
    if (skip) return t.skip(skip);
    const cases = [
      ['--type=xml'],
      ['--jsonFormat=strict'],
      ['--collection='],
      ['--type=csv'],
      ['--bogus'],
      ['--query={bad'],
      ['--sort=notjson'],
      ['--skip=abc'],
      ['--query={"a":1}', '--queryFile=/nonexistent/q.json'],
      ['--forceTableScan', '--query={"a":1}'],
      ['-vx'],
      ['--dbpath=/data'],
    ];
    for (const more of cases) {
      const args = [...ns('csv'), ...more].filter(
        (x) => !(more.includes('--collection=') && x.startsWith('--collection=csv')),
      );
      const a = ours(args);
      const b = theirs(args);
      assert.notEqual(b.code, 0, `mongoexport accepted ${more.join(' ')}`);
      assert.notEqual(a.code, 0, `mpe-export accepted ${more.join(' ')}`);
      const lines = a.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${more.join(' ')}: ${a.stderr}`);
      assert.doesNotMatch(a.stderr, /^\s+at /m);
      assert.equal(a.stdout.length, 0);
    }
    assert.ok(!existsSync(join(repoRoot, '.csv.mpe-export')));
  });
});
