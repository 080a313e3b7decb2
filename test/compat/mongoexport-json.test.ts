// mongoexport itself as the oracle, on a real server: a collection holding every BSON type and edge value the
// server stores, exported by mongoexport (--sort '{"_id":1}', relaxed and canonical) and by extract-batch
// --format ndjson. Every line must be mongoexport's, but for the README's deliberate differences (here: relaxed
// Int64 beyond ±(2^53-1) as $numberLong). Then the round trip: our canonical text parsed back (field order and
// repeated names kept) is the server's BSON, byte for byte.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { canonicalToBson } from '../helpers/ejson-bson.js';
import { mongoexportBinary } from '../helpers/oracles.js';
import { mongoUri, withDb } from '../helpers/server.js';
import { seedTyped } from '../helpers/typed-docs.js';

const tdb = withDb('compat_json');
const DOCS = 300;

let mongoexport: string | undefined;
let skip: string | undefined;
let refused: string[] = [];

/** mongoexport's stdout, one entry per line (its `\n` removed). */
function runMongoexport(args: string[]): string[] {
  const r = spawnSync(
    mongoexport!,
    [`--uri=${mongoUri()}`, `--db=${tdb.name}`, '--collection=typed', '--quiet', ...args],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  assert.equal(r.status, 0, `mongoexport failed: ${r.stderr}`);
  return r.stdout.split('\n').slice(0, -1);
}

/** Our lines, in _id order (extract-batch writes the server's natural order). */
async function ours(args: string[]): Promise<string[]> {
  const r = await runBin('extract-batch', [
    '--db',
    tdb.name,
    '--collection',
    'typed',
    '--format',
    'ndjson',
    '--out',
    '-',
    '--quiet',
    ...args,
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(0, -1);
  const id = (l: string) => Number(/^\{"_id":(?:\{"\$numberInt":")?(\d+)/.exec(l)?.[1]);
  return lines.sort((a, b) => id(a) - id(b));
}

const SAFE = 2n ** 53n - 1n;
/** Our native relaxed line with every big {"$numberLong":"N"} back to N: what mongoexport writes. */
const unwrapBigLongs = (line: string): string =>
  line.replace(/\{"\$numberLong":"(-?\d+)"\}/g, (m, n: string) => (BigInt(n) > SAFE || BigInt(n) < -SAFE ? n : m));

describe('extract-batch against mongoexport, document by document', () => {
  before(async () => {
    const seeded = await seedTyped(tdb.db.collection('typed'), DOCS);
    refused = seeded.refused;
    const bin = await mongoexportBinary();
    if (typeof bin === 'string') mongoexport = bin;
    else skip = bin.skip;
  });

  for (const mode of ['relaxed', 'canonical'] as const) {
    test(`--ejson ${mode}: mongoexport's bytes, but for the listed differences`, async (t) => {
      if (skip) return t.skip(skip);
      t.diagnostic(`the server refused ${refused.length} value(s): ${refused.join('; ') || 'none'}`);
      const theirs = runMongoexport(['--sort={"_id":1}', `--jsonFormat=${mode}`]);
      const mine = await ours(['--ejson', mode]);
      assert.equal(mine.length, theirs.length);
      assert.ok(theirs.length >= DOCS, `${theirs.length} documents`);
      let wrapped = 0;
      const differ: string[] = [];
      for (let i = 0; i < theirs.length; i++) {
        if (mine[i] === theirs[i]) continue;
        if (mode === 'relaxed' && unwrapBigLongs(mine[i]!) === theirs[i]) {
          wrapped++;
          continue;
        }
        differ.push(`line ${i}:\n  mongoexport ${theirs[i]}\n  ours        ${mine[i]}`);
      }
      if (mode === 'relaxed') assert.ok(wrapped > 10, `only ${wrapped} lines with a big Int64`);
      t.diagnostic(`${theirs.length} documents, ${wrapped} differing only by a big Int64 written as $numberLong`);
      assert.deepEqual(differ.slice(0, 5), [], `${differ.length} lines differ`);
    });
  }

  test("round trip: our canonical text, parsed back in order, is the server's BSON for every document", async (t) => {
    const raw = await tdb.db
      .collection('typed')
      .find({}, { raw: true, sort: { _id: 1 } })
      .toArray();
    const mine = await ours(['--ejson', 'canonical']);
    assert.equal(mine.length, raw.length);
    const differ: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (!canonicalToBson(mine[i]!).equals(Buffer.from(raw[i] as unknown as Uint8Array))) differ.push(i);
    }
    t.diagnostic(`${raw.length} documents`);
    assert.deepEqual(differ, []);
  });
});
