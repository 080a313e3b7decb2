import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { BSON, type Document, MongoClient } from 'mongodb';
import { EXIT } from '../../src/errors.js';
import { hasStackTrace, type RunOptions, type RunResult, runBin, spawnBin, stderrLines } from '../helpers/cli.js';
import { canonical, idKeys, type Output, parseOutput, readOutput } from '../helpers/read-output.js';
import { sourceArgs } from '../helpers/run.js';
import { closedPort, mongoUri, withDb } from '../helpers/server.js';
import { smallFilesystem, tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const { Int32, Long, Double, Decimal128, Binary, BSONRegExp, Timestamp, ObjectId } = BSON;

const server = withDb('extract_batch');

/** Documents whose _id is any BSON value (the driver's default typing assumes ObjectId). */
type AnyDoc = { _id: unknown } & Document;
const coll = (name: string) => server.db.collection<AnyDoc>(name);

/** extract-batch on collection `coll` of this file's database (MONGO_URI reaches it through the environment). */
const extract = (coll: string, args: readonly string[], options?: RunOptions): Promise<RunResult> =>
  runBin('extract-batch', ['--db', server.name, '--collection', coll, ...args], options);

/** Exit 0 and the one "wrote N documents" line. */
function assertOk(r: RunResult, docs?: number): void {
  assert.equal(r.exitCode, 0, `exit code 0 expected; stderr: ${r.stderr}`);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  if (docs !== undefined) assert.match(r.stderr, new RegExp(`wrote ${docs} documents`), r.stderr);
}

/** The exact exit code, and exactly one stderr line, without a stack trace. */
function assertFails(r: RunResult, exitCode: number, message?: RegExp): void {
  assert.equal(
    r.exitCode,
    exitCode,
    `exit code ${exitCode} expected, got ${r.exitCode} (signal ${r.signal}); stderr: ${r.stderr}`,
  );
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `one stderr line expected, got ${lines.length}:\n${r.stderr}`);
  assert.ok(!hasStackTrace(r.stderr), `stack trace in stderr:\n${r.stderr}`);
  assert.match(lines[0]!, /^extract-batch: /);
  if (message) assert.match(lines[0]!, message);
}

/** Run `fn` over `items`, `n` at a time (independent CLI runs; two cores); fails listing every item that failed. */
async function eachLimit<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = items.map((item, i) => ({ item, i }));
  const failures: string[] = [];
  const workers = Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      await fn(next.item).catch((err: unknown) =>
        failures.push(`[${next!.i}] ${JSON.stringify(next!.item)}: ${(err as Error).message}`),
      );
    }
  });
  await Promise.all(workers);
  if (failures.length > 0) throw new Error(`${failures.length} of ${items.length} failed:\n${failures.join('\n')}`);
}

/** Run with --out FILE in a fresh directory and read the file back. */
async function extractToFile(
  t: TestContext,
  coll: string,
  args: readonly string[],
  name = 'out.json',
): Promise<Output & { result: RunResult; path: string }> {
  const dir = await tmpDir(t);
  const path = join(dir, name);
  const result = await extract(coll, [...args, '--out', path]);
  assertOk(result);
  const out = await readOutput(path);
  assert.deepEqual(await readdir(dir), [name], 'only the final file is left in the directory');
  return { ...out, result, path };
}

// ---------------------------------------------------------------------------------------------------------------
// Data: one collection whose _ids mix numbers (Int32, Double, Int64), strings and ObjectIds.

const OIDS = Array.from({ length: 8 }, (_, i) => ObjectId.createFromTime(1_700_000_000 + i * 1000));
const BIG_LONG = Long.fromString('9007199254740993'); // 2^53 + 1: not a JS number

const MIXED: Document[] = [
  ...Array.from({ length: 20 }, (_, i) => new Int32(i + 1)),
  new Double(-3.25),
  new Double(7.5),
  Long.fromNumber(25),
  BIG_LONG,
  ...['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', 'kiwi'],
  ...OIDS,
].map((_id, i) => ({ _id, g: new Int32(i % 3), a: `a${i}`, b: { c: new Int32(i), d: 'not wanted' }, z: true }));
// a document without the projected fields
MIXED.push({ _id: 'zz', g: new Int32(0), z: false });

const isNum = (v: unknown): boolean =>
  ['Int32', 'Double', 'Long'].includes((v as { _bsontype?: string })?._bsontype ?? '');
/** A numeric _id's value as a JS number (close enough to order these test values). */
const numOf = (v: unknown): number => Number(String(v));
const isStr = (v: unknown): v is string => typeof v === 'string';
const isOid = (v: unknown): v is InstanceType<typeof ObjectId> =>
  (v as { _bsontype?: string })?._bsontype === 'ObjectId';
const oidHex = (v: unknown): string => (v as InstanceType<typeof ObjectId>).toHexString();
const oidArg = (o: InstanceType<typeof ObjectId>): string => JSON.stringify({ $oid: o.toHexString() });

const idsWhere = (pred: (id: unknown, doc: Document) => boolean): string[] =>
  idKeys(MIXED.filter((d) => pred(d._id, d)).map((d) => d._id));

let seeded = false;
async function seedMixed(): Promise<void> {
  if (seeded) return;
  await coll('mixed').insertMany(MIXED.map((d) => ({ ...d }) as AnyDoc));
  seeded = true;
}

describe('extract-batch: _id ranges', () => {
  const cases: { name: string; args: string[]; want: (id: unknown) => boolean }[] = [
    {
      name: 'numbers, both sides closed: [5, 15)',
      args: ['--min', '5', '--max', '15'],
      want: (id) => isNum(id) && numOf(id) >= 5 && numOf(id) < 15,
    },
    { name: 'numbers, min only: [5, end of numbers]', args: ['--min', '5'], want: (id) => isNum(id) && numOf(id) >= 5 },
    {
      name: 'numbers, max only: [start of numbers, 15)',
      args: ['--max', '15'],
      want: (id) => isNum(id) && numOf(id) < 15,
    },
    {
      name: 'numbers, Double and Int64 bounds: [7.5, 25)',
      args: ['--min', '{"$numberDouble":"7.5"}', '--max', '{"$numberLong":"25"}'],
      want: (id) => isNum(id) && numOf(id) >= 7.5 && numOf(id) < 25,
    },
    {
      name: 'numbers, an Int64 beyond 2^53 as the bound: [2^53+1, end]',
      args: ['--min', '{"$numberLong":"9007199254740993"}'],
      want: (id) => isNum(id) && numOf(id) >= 2 ** 53,
    },
    {
      name: 'strings, both sides closed: ["banana", "fig")',
      args: ['--min', '"banana"', '--max', '"fig"'],
      want: (id) => isStr(id) && id >= 'banana' && id < 'fig',
    },
    { name: 'strings, min only', args: ['--min', '"date"'], want: (id) => isStr(id) && id >= 'date' },
    { name: 'strings, max only', args: ['--max', '"cherry"'], want: (id) => isStr(id) && id < 'cherry' },
    {
      name: 'ObjectIds, both sides closed',
      args: ['--min', oidArg(OIDS[2]!), '--max', oidArg(OIDS[6]!)],
      want: (id) => isOid(id) && oidHex(id) >= OIDS[2]!.toHexString() && oidHex(id) < OIDS[6]!.toHexString(),
    },
    {
      name: 'ObjectIds, min only',
      args: ['--min', oidArg(OIDS[5]!)],
      want: (id) => isOid(id) && oidHex(id) >= OIDS[5]!.toHexString(),
    },
    {
      name: 'ObjectIds, max only',
      args: ['--max', oidArg(OIDS[3]!)],
      want: (id) => isOid(id) && oidHex(id) < OIDS[3]!.toHexString(),
    },
    { name: 'neither side: the whole collection, every type', args: [], want: () => true },
  ];

  for (const c of cases) {
    test(c.name, async (t) => {
      await seedMixed();
      const out = await extractToFile(t, 'mixed', c.args);
      const want = idsWhere(c.want);
      assert.ok(want.length > 0, 'the case selects something');
      assert.deepEqual(idKeys(out.ids), want);
      assert.match(out.result.stderr, new RegExp(`wrote ${want.length} documents`));
    });
  }

  test('an empty range gives an empty, valid result', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', ['--min', '100', '--max', '200']);
    assert.deepEqual(out.docs, []);
    assert.deepEqual(JSON.parse(out.text), []);
  });

  test('--min and --max of different type classes: exit 2, nothing written', async (t) => {
    await seedMixed();
    const dir = await tmpDir(t);
    const pairs: [string, string][] = [
      ['5', '"apple"'],
      ['"apple"', oidArg(OIDS[0]!)],
      [oidArg(OIDS[0]!), '{"$numberLong":"5"}'],
      ['{"$date":"2020-01-01T00:00:00Z"}', '5'],
    ];
    await eachLimit(pairs, 2, async ([min, max]) => {
      const r = await extract('mixed', ['--min', min, '--max', max, '--out', join(dir, 'x.json')]);
      assertFails(r, EXIT.USAGE, /type class/);
    });
    assert.deepEqual(await readdir(dir), []);
  });

  test('an array as a bound: exit 2', async () => {
    assertFails(await extract('mixed', ['--min', '[1,2]', '--out', '-']), EXIT.USAGE);
  });

  test('--query narrows a range', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', ['--query', '{"g":0}', '--min', '5', '--max', '15']);
    assert.deepEqual(
      idKeys(out.ids),
      idsWhere((id, d) => isNum(id) && numOf(id) >= 5 && numOf(id) < 15 && d.g.value === 0),
    );
  });

  test('--query with its own _id condition is intersected with the range', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', [
      '--query',
      '{"_id":{"$in":[3,7,12,30,"fig"]}}',
      '--min',
      '5',
      '--max',
      '15',
    ]);
    assert.deepEqual(idKeys(out.ids), idKeys([7, 12]));
  });

  test('--query on a string range, with an operator', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', ['--query', '{"z":{"$eq":true}}', '--min', '"c"']);
    assert.deepEqual(
      idKeys(out.ids),
      idsWhere((id, d) => isStr(id) && id >= 'c' && d.z === true),
    );
  });
});

describe('extract-batch: --fields', () => {
  test('--fields a,b.c keeps _id and exactly those paths', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', ['--fields', 'a,b.c', '--ejson', 'canonical']);
    assert.equal(out.docs.length, MIXED.length);
    const byId = new Map(MIXED.map((d) => [canonical(d._id), d]));
    for (const doc of out.docs) {
      const src = byId.get(canonical(doc._id));
      assert.ok(src, `unknown _id ${canonical(doc._id)}`);
      const want: Document = { _id: src._id };
      if ('a' in src) want.a = src.a;
      if ('b' in src) want.b = { c: src.b.c };
      assert.equal(canonical(doc), canonical(want));
    }
  });

  test('--fields _id keeps only _id', async (t) => {
    await seedMixed();
    const out = await extractToFile(t, 'mixed', ['--fields', '_id', '--min', '1', '--max', '4']);
    assert.equal(out.docs.length, 3);
    for (const doc of out.docs) assert.deepEqual(Object.keys(doc), ['_id'], `got ${canonical(doc)}`);
  });

  test('malformed --fields: exit 2', async () => {
    assertFails(await extract('mixed', ['--fields', 'a,,b', '--out', '-']), EXIT.USAGE, /--fields/);
  });
});

describe('extract-batch: formats', () => {
  test('--format json is one valid JSON array; ndjson one document per line; same documents', async (t) => {
    await seedMixed();
    const json = await extractToFile(t, 'mixed', ['--format', 'json', '--ejson', 'canonical'], 'x.json');
    const parsed: unknown = JSON.parse(json.text);
    assert.ok(Array.isArray(parsed));
    assert.equal(parsed.length, MIXED.length);

    const nd = await extractToFile(t, 'mixed', ['--format', 'ndjson', '--ejson', 'canonical'], 'x.ndjson');
    const lines = nd.text.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, MIXED.length);
    for (const line of lines) assert.equal(typeof JSON.parse(line), 'object');
    assert.deepEqual(nd.docs.map(canonical), json.docs.map(canonical));
    assert.deepEqual(idKeys(nd.ids), idKeys(MIXED.map((d) => d._id)));
  });

  test('an existing empty collection: exit 0, a valid empty array (json) or an empty file (ndjson)', async (t) => {
    await server.db.createCollection('empty');
    const json = await extractToFile(t, 'empty', ['--format', 'json'], 'e.json');
    assert.deepEqual(JSON.parse(json.text), []);
    assert.match(json.result.stderr, /wrote 0 documents/);
    const nd = await extractToFile(t, 'empty', ['--format', 'ndjson'], 'e.ndjson');
    assert.equal(nd.text, '');
    const gz = await extractToFile(t, 'empty', ['--format', 'json', '--gzip'], 'e.json.gz');
    assert.ok(gz.gzip);
    assert.deepEqual(JSON.parse(gz.text), []);
  });

  test('--gzip: gzip data that unpacks to the same documents', async (t) => {
    await seedMixed();
    for (const format of ['json', 'ndjson']) {
      const plain = await extractToFile(t, 'mixed', ['--format', format, '--ejson', 'canonical'], `p.${format}`);
      const gz = await extractToFile(
        t,
        'mixed',
        ['--format', format, '--ejson', 'canonical', '--gzip'],
        `g.${format}.gz`,
      );
      const bytes = await readFile(gz.path);
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic');
      assert.ok(gz.gzip);
      assert.equal(gz.text, plain.text);
    }
  });

  test('-o - writes the documents to stdout and no file', async (t) => {
    await seedMixed();
    const dir = await tmpDir(t);
    const file = await extractToFile(t, 'mixed', ['--min', '5', '--max', '15', '--format', 'ndjson'], 'f.ndjson');
    const r = await extract('mixed', ['--min', '5', '--max', '15', '--format', 'ndjson', '-o', '-'], { cwd: dir });
    assertOk(r, file.docs.length);
    assert.equal(r.stdout, file.text);
    assert.deepEqual(await readdir(dir), []);
  });

  test("--writer jsonstream: the fast writer's bytes on Node 22; refused in one line (exit 2) where JSON.rawJSON is missing", async (t) => {
    await seedMixed();
    const fast = await extractToFile(t, 'mixed', ['--format', 'json', '--ejson', 'relaxed'], 'fast.json');
    const dir = await tmpDir(t);
    const r = await extract('mixed', ['--writer', 'jsonstream', '--out', join(dir, 'js.json')]);
    if (typeof (JSON as { rawJSON?: unknown }).rawJSON !== 'function') {
      assertFails(r, EXIT.USAGE, /--writer jsonstream needs JSON\.rawJSON \(Node 22/);
      assert.deepEqual(await readdir(dir), []);
      return;
    }
    assertOk(r, MIXED.length);
    assert.equal(await readFile(join(dir, 'js.json'), 'utf8'), fast.text);
  });

  // The usage line documents `--out FILE|-`; `--out=-` and `-o -` work, and so must the spelling from the usage.
  test('--out - (as two arguments) writes to stdout', async (t) => {
    await seedMixed();
    const dir = await tmpDir(t);
    const r = await extract('mixed', ['--min', '5', '--max', '15', '--out', '-'], { cwd: dir });
    const want = idsWhere((id) => isNum(id) && numOf(id) >= 5 && numOf(id) < 15);
    assertOk(r, want.length);
    assert.deepEqual(idKeys(parseOutput(r.stdout).ids), want);
    assert.deepEqual(await readdir(dir), []);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Types: every value type the server accepts, in one document, must come back exactly.

const TYPE_CANDIDATES: Record<string, unknown> = {
  int32: new Int32(42),
  int64: Long.fromNumber(42),
  double: new Double(42.0),
  doubleFraction: new Double(0.1),
  int64Big: Long.fromString('9007199254740993'),
  int64Min: Long.fromString('-9223372036854775808'),
  int32Min: new Int32(-2147483648),
  decimal128: Decimal128.fromString('1234567890.123456789012345678901234'),
  binary0: new Binary(Buffer.from([0, 1, 2, 255]), 0),
  binary4: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 4),
  binary5: new Binary(Buffer.from('fedcba9876543210fedcba9876543210', 'hex'), 5),
  binary128: new Binary(Buffer.from('user-defined'), 128),
  dateBefore1970: new Date(Date.UTC(1601, 0, 1, 0, 0, 0, 1)),
  dateAfter9999: new Date(Date.UTC(12345, 5, 6, 7, 8, 9, 10)),
  dateEpoch: new Date(0),
  regex: new BSONRegExp('^a\\.b/c$', 'imsx'),
  timestamp: new Timestamp({ t: 4_000_000_000, i: 7 }),
  nan: new Double(Number.NaN),
  infinity: new Double(Number.POSITIVE_INFINITY),
  negInfinity: new Double(Number.NEGATIVE_INFINITY),
  negZero: new Double(-0),
  string: 'ünïcödé ✓ \u0000 "quoted" \\ 😀',
  bool: true,
  null: null,
  objectId: new ObjectId('65a1b2c3d4e5f60718293a4b'),
  nested: { a: [new Int32(1), new Double(1), Long.fromNumber(1)], b: { c: new Double(-1.5) } },
  fakeDate: { $date: 'not-a-date' },
};

const EXACT = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** Which candidates the server stores and gives back unchanged; for the others, why not. */
async function probeTypes(): Promise<{ accepted: Document; refused: Map<string, string> }> {
  const probe = coll('type_probe');
  const accepted: Document = {};
  const refused = new Map<string, string>();
  for (const [name, value] of Object.entries(TYPE_CANDIDATES)) {
    try {
      await probe.insertOne({ _id: name, v: value });
      const back = await server.db.collection('type_probe').findOne({ _id: name } as Document, EXACT);
      const got = back ? canonical(back.v) : '(document missing)';
      if (got === canonical(value)) accepted[name] = value;
      else refused.set(name, `server stores ${canonical(value)} as ${got}`);
    } catch (err) {
      refused.set(name, `server refuses it: ${String((err as Error).message).split('\n')[0]}`);
    }
  }
  return { accepted, refused };
}

describe('extract-batch: type-exact Extended JSON', () => {
  let probed: Awaited<ReturnType<typeof probeTypes>> | undefined;
  const typesCollection = async () => {
    if (!probed) {
      probed = await probeTypes();
      await coll('types').insertOne({ _id: new Int32(1), ...probed.accepted });
    }
    return probed;
  };

  for (const format of ['ndjson', 'json'] as const) {
    test(`--ejson canonical (${format}): every accepted type round-trips exactly`, async (t) => {
      const { accepted, refused } = await typesCollection();
      const out = await extractToFile(t, 'types', ['--ejson', 'canonical', '--format', format], `types.${format}`);
      assert.equal(out.docs.length, 1);
      const doc = out.docs[0]!;
      if ('double' in accepted)
        assert.ok(out.text.includes('"double":{"$numberDouble":"42.0"}'), '42.0 stays a double in the text');
      for (const name of Object.keys(TYPE_CANDIDATES)) {
        await t.test(name, (st) => {
          if (!(name in accepted)) {
            st.skip(`server lacks ${name}: ${refused.get(name)}`);
            return;
          }
          assert.ok(name in doc, `${name} missing from the output`);
          assert.equal(canonical(doc[name]), canonical(accepted[name]));
          const want = (accepted[name] as { _bsontype?: string } | null)?._bsontype;
          if (want) assert.equal((doc[name] as { _bsontype?: string })._bsontype, want);
        });
      }
      assert.deepEqual(Object.keys(doc).sort(), ['_id', ...Object.keys(accepted)].sort(), 'no field added or lost');
    });
  }

  test('relaxed mode: Int64 beyond 2^53, dates outside 1970–9999, binaries and regexes stay exact', async (t) => {
    const { accepted } = await typesCollection();
    const out = await extractToFile(t, 'types', ['--format', 'ndjson'], 'relaxed.ndjson');
    const doc = out.docs[0]!;
    for (const name of ['int64Big', 'int64Min']) {
      if (!(name in accepted)) continue;
      assert.equal(canonical(doc[name]), canonical(accepted[name]), `${name} exact in relaxed mode`);
      assert.ok(out.text.includes(String(accepted[name])), `${name}'s digits are in the text`);
    }
    for (const name of ['dateBefore1970', 'dateAfter9999', 'dateEpoch']) {
      if (name in accepted) assert.equal((doc[name] as Date).getTime(), (accepted[name] as Date).getTime(), name);
    }
    for (const name of ['binary0', 'binary4', 'binary5', 'binary128', 'regex', 'timestamp', 'objectId', 'string']) {
      if (name in accepted) assert.equal(canonical(doc[name]), canonical(accepted[name]), name);
    }
    // relaxed numbers may change BSON type but never value
    for (const name of ['int32', 'int64', 'double', 'doubleFraction', 'int32Min']) {
      if (name in accepted) assert.equal(Number(doc[name]), Number(accepted[name]), name);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Processes: stdout cut short, kills, a full disk. One large collection: 5,000 documents of about 2 KB.

const BIG_DOCS = 5_000;
let bigSeeded = false;
async function seedBig(): Promise<void> {
  if (bigSeeded) return;
  const pad = 'x'.repeat(2_000);
  for (let i = 0; i < BIG_DOCS; i += 1_000) {
    await coll('big').insertMany(Array.from({ length: 1_000 }, (_, k) => ({ _id: new Int32(i + k), n: i + k, pad })));
  }
  bigSeeded = true;
}

const running = (p: ReturnType<typeof spawnBin>): string | undefined =>
  p.child.exitCode !== null || p.child.signalCode !== null
    ? `extract-batch ended early (${p.child.exitCode ?? p.child.signalCode}): ${p.stderr()}`
    : undefined;

/** Start a whole-collection export of `big` into `dir` and wait until its temporary file is there. */
async function startBigExport(
  t: TestContext,
  dir: string,
): Promise<{ p: ReturnType<typeof spawnBin>; out: string; tmp: string }> {
  await seedBig();
  const out = join(dir, 'big.json');
  const p = spawnBin('extract-batch', [...sourceArgs(server.name, 'big', out)], { t });
  const tmpName = new RegExp(`^\\.big\\.json\\.${p.pid}-[0-9a-f]{8}\\.tmp$`);
  const tmp = await waitFor(async () => (await readdir(dir)).find((n) => tmpName.test(n)), {
    what: `.big.json.${p.pid}-xxxxxxxx.tmp in ${dir}`,
    timeout: 20_000,
    interval: 2,
    abortIf: () => running(p),
  });
  return { p, out, tmp };
}

describe('extract-batch: processes', () => {
  test('stdout closed early (| head): exit 141, no stack trace', async (t) => {
    await seedBig();
    const p = spawnBin('extract-batch', ['--db', server.name, '--collection', 'big', '--format', 'ndjson', '--out=-'], {
      t,
    });
    let got = '';
    await new Promise<void>((resolve, reject) => {
      p.child.stdout.setEncoding('utf8');
      p.child.stdout.on('data', (s: string) => {
        got += s;
        if (got.includes('\n')) {
          p.child.stdout.destroy();
          resolve();
        }
      });
      p.exited.then(() => reject(new Error(`exited before writing a line: ${p.stderr()}`)), reject);
    });
    assert.equal(typeof JSON.parse(got.slice(0, got.indexOf('\n'))), 'object');
    const r = await p.exited;
    assert.equal(r.exitCode, 141, `exit ${r.exitCode} / ${r.signal}; stderr: ${r.stderr}`);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    assert.ok(stderrLines(r.stderr).length <= 1, r.stderr);
  });

  test('SIGKILL while writing: the final file never appears', async (t) => {
    const dir = await tmpDir(t);
    const { p, out } = await startBigExport(t, dir);
    p.child.kill('SIGKILL');
    const r = await p.exited;
    assert.equal(r.signal, 'SIGKILL', `it was still running when killed (exit ${r.exitCode}; stderr ${r.stderr})`);
    assert.equal(existsSync(out), false, 'no final file after SIGKILL');
    // the temporary file may remain after SIGKILL: nothing can remove it; a later run cleans such leftovers up
  });

  test('SIGTERM while writing: exit 143, neither the final nor the temporary file remains', async (t) => {
    const dir = await tmpDir(t);
    const { p, out, tmp } = await startBigExport(t, dir);
    p.child.kill('SIGTERM');
    const r = await p.exited;
    assert.equal(r.exitCode, 143, `exit ${r.exitCode} / ${r.signal}; stderr: ${r.stderr}`);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    assert.equal(existsSync(out), false, 'no final file');
    assert.equal(existsSync(join(dir, tmp)), false, 'temporary file removed');
    assert.deepEqual(await readdir(dir), []);
  });

  test('a whole export of the large collection is complete (sanity for the kill tests)', async (t) => {
    await seedBig();
    const out = await extractToFile(t, 'big', ['--format', 'ndjson'], 'big.ndjson');
    assert.equal(out.docs.length, BIG_DOCS);
    assert.equal(new Set(idKeys(out.ids)).size, BIG_DOCS);
  });

  test('disk full: exit 6, no final file, no temporary file', async (t) => {
    const fs = await smallFilesystem(t, 256);
    if ('skip' in fs) {
      t.skip(fs.skip);
      return;
    }
    await seedBig();
    const out = join(fs.dir, 'full.json');
    // ~300 documents of ~2 KB: about 600 KB into 256 KiB
    const r = await extract('big', ['--min', '0', '--max', '300', '--out', out]);
    assertFails(r, EXIT.OUTPUT, /no space left on device/);
    assert.deepEqual(await readdir(fs.dir), [], 'nothing left on the full file system');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Bad input: each an exact exit code and one line on stderr.

describe('extract-batch: bad input', () => {
  test('unreachable server: exit 3 within the connect timeout', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await extract('mixed', ['--uri', `mongodb://127.0.0.1:${port}/`, '--connect-timeout', '1', '--out', '-']);
    assertFails(r, EXIT.CONNECT);
    assert.ok(Date.now() - started < 15_000, 'bounded by --connect-timeout');
  });

  test('TLS to a server that does not speak it: exit 3 within the connect timeout (tls loads on first use)', async (t) => {
    const r = await extract('mixed', [
      '--uri',
      `${mongoUri()}${mongoUri().includes('?') ? '&' : '?'}tls=true&tlsAllowInvalidCertificates=true`,
      '--connect-timeout',
      '1',
      '--out',
      '-',
    ]);
    if (r.exitCode === 0) return t.skip('MONGO_URI names a server that speaks TLS: nothing to provoke');
    assertFails(r, EXIT.CONNECT, /cannot reach the server/);
  });

  test('a mongodb+srv:// name that does not resolve: exit 3 (dns loads on first use)', async () => {
    const r = await extract('mixed', [
      '--uri',
      'mongodb+srv://mpe-no-such-cluster.invalid/',
      '--connect-timeout',
      '2',
      '--out',
      '-',
    ]);
    assertFails(r, EXIT.CONNECT, /cannot reach the server .*querySrv/);
  });

  test('bad credentials: exit 4', async (t) => {
    const url = new URL(mongoUri());
    url.username = url.username || 'mpe_nobody';
    url.password = 'wrong-Passw0rd';
    const bad = url.toString();
    // Does this server check credentials at all? Ask it directly first.
    const probe = new MongoClient(bad, { serverSelectionTimeoutMS: 5_000 });
    let refusal: string | undefined;
    try {
      await probe.connect();
      await probe.db('admin').command({ ping: 1 });
    } catch (err) {
      refusal = String((err as Error).message);
    } finally {
      await probe.close().catch(() => {});
    }
    if (refusal === undefined) {
      t.skip('the server accepts any credentials (no authentication): an auth failure cannot be provoked');
      return;
    }
    t.diagnostic(`server refuses the credentials: ${refusal.split('\n')[0]}`);
    await seedMixed();
    const r = await extract('mixed', ['--uri', bad, '--connect-timeout', '5', '--out', '-']);
    assertFails(r, EXIT.AUTH);
    assert.ok(!r.stderr.includes('wrong-Passw0rd'));
  });

  test('missing database: exit 5, no file', async (t) => {
    const dir = await tmpDir(t);
    const r = await runBin('extract-batch', [...sourceArgs(`${server.name}_missing`, 'mixed', join(dir, 'x.json'))]);
    assertFails(r, EXIT.NOT_FOUND, /database/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('missing collection: exit 5, no file', async (t) => {
    await seedMixed();
    const dir = await tmpDir(t);
    const r = await extract('no_such_collection', ['--out', join(dir, 'x.json')]);
    assertFails(r, EXIT.NOT_FOUND, /collection/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('malformed --query, --min, --max: exit 2', async () => {
    await seedMixed();
    const cases = [
      ['--query', '{"a":'],
      ['--query', '[1,2]'],
      ['--query', '42'],
      ['--min', '{bad'],
      ['--max', 'abc'],
      ['--min', '{"$oid":"not-hex"}'],
      ['--max', '{"$numberLong":"x"}'],
    ];
    await eachLimit(cases, 3, async (args) => {
      assertFails(await extract('mixed', [...args, '--out', '-']), EXIT.USAGE, new RegExp(args[0]!));
    });
  });

  test('unknown option: exit 2', async () => {
    assertFails(await extract('mixed', ['--bogus', '1', '--out', '-']), EXIT.USAGE, /bogus/);
  });

  test('missing --out: exit 2', async () => {
    assertFails(await extract('mixed', []), EXIT.USAGE, /--out/);
  });

  test('malformed connection string: exit 2', async () => {
    const uris = [
      'mongodb://u:ab/cd@127.0.0.1:1/',
      'mongodb://u:p%4@127.0.0.1:1/',
      'mongodb://127.0.0.1:99999/',
      'mongodb://127.0.0.1:1/?authMechanism=BOGUS',
      'http://127.0.0.1/',
    ];
    await eachLimit(uris, 3, async (uri) => {
      const r = await extract('mixed', ['--uri', uri, '--connect-timeout', '1', '--out', '-']);
      assertFails(r, EXIT.USAGE);
    });
  });

  test('output directory missing: exit 6', async (t) => {
    const dir = await tmpDir(t);
    assertFails(await extract('mixed', ['--out', join(dir, 'no', 'such', 'x.json')]), EXIT.OUTPUT);
    assert.deepEqual(await readdir(dir), []);
  });

  test('output "directory" is a regular file (ENOTDIR): exit 6', async (t) => {
    const dir = await tmpDir(t);
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    assertFails(await extract('mixed', ['--out', join(file, 'x.json')]), EXIT.OUTPUT);
    assert.equal(await readFile(file, 'utf8'), 'x');
  });

  test('--out names a directory: exit 6', async (t) => {
    const dir = await tmpDir(t);
    assertFails(await extract('mixed', ['--out', dir]), EXIT.OUTPUT);
  });

  test('output directory not writable (/proc/self): exit 6', async (t) => {
    if (!existsSync('/proc/self')) {
      t.skip('no /proc on this system');
      return;
    }
    await seedMixed();
    assertFails(await extract('mixed', ['--out', '/proc/self/x.json']), EXIT.OUTPUT);
  });

  test('output directory without write permission: exit 6', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which writes through any permission bits (the /proc and ENOTDIR cases cover exit 6)');
      return;
    }
    const { chmod } = await import('node:fs/promises');
    const dir = await tmpDir(t);
    await chmod(dir, 0o555);
    t.after(() => chmod(dir, 0o755));
    assertFails(await extract('mixed', ['--out', join(dir, 'x.json')]), EXIT.OUTPUT);
  });

  test('a password in --uri never appears on stderr', async () => {
    const port = await closedPort();
    const cases: { uri: string; secrets: string[] }[] = [
      { uri: `mongodb://user:s3cretPW@127.0.0.1:${port}/`, secrets: ['s3cretPW'] },
      {
        uri: `mongodb://user:p%40ss%3As3cretPW@127.0.0.1:${port}/`,
        secrets: ['p%40ss%3As3cretPW', 'p@ss:s3cretPW', 's3cretPW'],
      },
      { uri: `mongodb://user:ab/cds3cretPW@127.0.0.1:${port}/`, secrets: ['s3cretPW'] },
      { uri: `mongodb://user:s3cretPW@127.0.0.1:${port}/?authMechanism=BOGUS`, secrets: ['s3cretPW'] },
      { uri: `mongodb+srv://user:s3cretPW@invalid.invalid/`, secrets: ['s3cretPW'] },
      { uri: `user:s3cretPW@127.0.0.1:${port}`, secrets: ['s3cretPW'] },
    ];
    // the same through MONGO_URI, the way the orchestrator passes it
    const viaEnv = await extract('mixed', ['--connect-timeout', '1', '--out', '-'], {
      env: { MONGO_URI: cases[1]!.uri },
    });
    assertFails(viaEnv, EXIT.CONNECT);
    for (const s of cases[1]!.secrets)
      assert.ok(!viaEnv.stderr.includes(s), `${s} leaked through MONGO_URI:\n${viaEnv.stderr}`);
    // each URI as it is, and the first also with a usage error and an unknown option (other error paths)
    const runs = cases.flatMap(({ uri, secrets }, i) =>
      (i === 0 ? [[], ['--min', '1', '--max', '"a"'], ['--bogus']] : [[]]).map((extra) => ({ uri, secrets, extra })),
    );
    await eachLimit(runs, 3, async ({ uri, secrets, extra }) => {
      const r = await extract('mixed', ['--uri', uri, '--connect-timeout', '1', '--out', '-', ...extra]);
      assert.notEqual(r.exitCode, 0);
      for (const s of secrets)
        assert.ok(
          !r.stderr.includes(s) && !r.stdout.includes(s),
          `${s} leaked for ${uri} ${extra.join(' ')}:\n${r.stderr}`,
        );
    });
  });
});
