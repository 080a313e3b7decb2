// mongoexport's own output code (scripts/mongoexport-oracle, built from the same mongo-tools as the mongoexport
// binary) as the byte oracle: a generated corpus of 20,000 documents holding every BSON type and edge value, and
// hand-written edge documents, fed as raw BSON. Our encoder must write mongoexport's bytes for every one of them;
// the native commands differ only where the README says (relaxed Int64 beyond ±(2^53-1), escaped DBPointer
// namespaces and regex options).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rawToEjson } from '../../src/output/raw-ejson.js';
import { edgeDocs, generateCorpus } from '../fixtures/bson-corpus.js';
import { type MongoexportOracle, mongoexportOracle } from '../helpers/oracles.js';

const corpus = generateCorpus();
const edges = edgeDocs();
const docs = [...edges.map((e) => e.bson), ...corpus];
const names = [...edges.map((e) => e.name), ...corpus.map((_, i) => `corpus #${i}`)];

let oracle: MongoexportOracle | undefined;
let skip: string | undefined;
before(async () => {
  const o = await mongoexportOracle();
  if ('skip' in o) skip = o.skip;
  else oracle = o;
});

/** Where the two texts first differ, for readable failures. */
function diffAt(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}:\n  expected …${JSON.stringify(a.slice(Math.max(0, i - 60), i + 60))}\n  actual   …${JSON.stringify(b.slice(Math.max(0, i - 60), i + 60))}`;
}

/**
 * mongoexport writes a DBPointer's namespace and a regex's options raw (neither escaped nor checked), which can make
 * invalid JSON; we escape them like any string. Whether that is the only difference: our text with those two
 * strings put back raw is mongoexport's (invalid UTF-8 there is raw in theirs too: compared byte by byte, where ours
 * has U+FFFD).
 */
function onlyRawFieldsDiffer(ours: string, theirs: Buffer): boolean {
  const raw = ours.replace(
    /("\$dbPointer":\{"\$ref":|"options":)("(?:[^"\\]|\\.)*")/g,
    (_m, head: string, token: string) => `${head}"${JSON.parse(token) as string}"`,
  );
  const a = Buffer.from(raw, 'utf8');
  if (a.equals(theirs)) return true;
  // invalid bytes: theirs raw, ours U+FFFD
  return a.toString('utf8') === theirs.toString('utf8');
}

/**
 * A Decimal128 whose coefficient has more than 34 digits is non-canonical: IEEE 754-2008 (and the specification)
 * read it as zero, which we write; the Go driver prints the out-of-range digits.
 */
const nonCanonicalDecimal = (theirs: Buffer): boolean =>
  /"\$numberDecimal":"-?(\d\.?\d{34,})E/.test(theirs.toString('utf8'));

for (const mode of ['relaxed', 'canonical'] as const) {
  describe(`mongoexport's bytes, ${mode}`, () => {
    test(`every document of the corpus, as mongoexport (--jsonFormat ${mode})`, async (t) => {
      if (!oracle) return t.skip(skip);
      const expected = await oracle.json(docs, mode);
      assert.equal(expected.length, docs.length);
      const problems: string[] = [];
      let refused = 0;
      let escaped = 0;
      let decimals = 0;
      for (let i = 0; i < docs.length; i++) {
        const want = expected[i]!;
        if (want instanceof Error) {
          // mongoexport stops the whole export on these ("marshal is not reversible"); we write them
          refused++;
          continue;
        }
        const ours = rawToEjson(docs[i]!, mode, { wrapLongs: false });
        const theirs = want.subarray(0, want.length - 1); // its line end
        if (theirs.equals(Buffer.from(ours, 'utf8'))) continue;
        if (onlyRawFieldsDiffer(ours, theirs)) {
          escaped++;
          continue;
        }
        if (nonCanonicalDecimal(theirs)) {
          decimals++;
          continue;
        }
        if (problems.length < 10) problems.push(`${names[i]}: ${diffAt(theirs.toString('utf8'), ours)}`);
        else problems.push(names[i]!);
      }
      t.diagnostic(
        `${docs.length} documents; ${refused} that mongoexport refuses to export; ${escaped} with a DBPointer namespace or regex options mongoexport leaves unescaped; ${decimals} with a non-canonical Decimal128`,
      );
      assert.ok(refused < docs.length / 20, `mongoexport refused ${refused} documents`);
      assert.deepEqual(problems, [], `${problems.length} documents differ`);
    });

    test('the native commands: the same bytes but for relaxed Int64 beyond ±(2^53-1), written as $numberLong', async (t) => {
      if (!oracle) return t.skip(skip);
      const problems: string[] = [];
      let wrapped = 0;
      for (let i = 0; i < docs.length; i++) {
        const native = rawToEjson(docs[i]!, mode);
        const plain = rawToEjson(docs[i]!, mode, { wrapLongs: false });
        if (native === plain) continue;
        wrapped++;
        if (mode === 'canonical') problems.push(`${names[i]}: canonical output differs between the two`);
        // unwrapping every {"$numberLong":"N"} of a big N gives mongoexport's text back
        const unwrapped = native.replace(/\{"\$numberLong":"(-?\d+)"\}/g, (m, n: string) =>
          BigInt(n) > 2n ** 53n - 1n || BigInt(n) < -(2n ** 53n - 1n) ? n : m,
        );
        if (unwrapped !== plain) problems.push(`${names[i]}: ${diffAt(plain, unwrapped)}`);
      }
      if (mode === 'relaxed') assert.ok(wrapped > 100, `only ${wrapped} documents hold a big Int64`);
      assert.deepEqual(problems.slice(0, 10), []);
    });
  });
}
