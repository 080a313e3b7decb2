// The specification's BSON corpus: for every valid case, the bytes of canonical_bson (and of degenerate_bson) must
// encode to the case's canonical_extjson and relaxed_extjson, whitespace and string escaping aside. The vectors
// come from the Go driver's module (scripts/bson-corpus.js); nothing here needs a server, so the values FerretDB
// cannot store (Decimal128, NaN, -0.0, MinKey, MaxKey, $-keys, …) are covered too.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rawToEjson } from '../../src/output/raw-ejson.js';
import { bsonCorpus, type CorpusCase, normalizeJson } from '../helpers/oracles.js';

let cases: CorpusCase[] = [];
let skip: string | undefined;

before(async () => {
  const c = await bsonCorpus();
  if ('skip' in c) skip = c.skip;
  else cases = c;
});

/** Int64 beyond ±(2^53-1): the one value the native commands write differently (README, Output). */
const BIG_LONG = /^-?\d{16,}$/;
const wrapBigLongs = (json: string): string =>
  json.replace(/(?<=[:[,])(-?\d{16,})(?=[,}\]])/g, (n) =>
    BIG_LONG.test(n) && (BigInt(n) > 2n ** 53n - 1n || BigInt(n) < -(2n ** 53n - 1n)) ? `{"$numberLong":"${n}"}` : n,
  );

function check(label: string, bsonHex: string, expected: string, mode: 'relaxed' | 'canonical', problems: string[]) {
  const bson = Buffer.from(bsonHex, 'hex');
  const want = normalizeJson(expected);
  const asMongoexport = normalizeJson(rawToEjson(bson, mode, { wrapLongs: false }));
  if (asMongoexport !== want)
    problems.push(`${label} (${mode}, as mongoexport):\n  want ${want}\n  got  ${asMongoexport}`);
  const native = normalizeJson(rawToEjson(bson, mode));
  const nativeWant = mode === 'relaxed' ? normalizeJson(wrapBigLongs(want)) : want;
  if (native !== nativeWant) problems.push(`${label} (${mode}, native):\n  want ${nativeWant}\n  got  ${native}`);
}

describe('the BSON corpus (Extended JSON v2 specification)', () => {
  test('every valid case: canonical_bson → canonical_extjson and relaxed_extjson', (t) => {
    if (skip) return t.skip(skip);
    const problems: string[] = [];
    let relaxed = 0;
    for (const c of cases) {
      const label = `${c.file}: ${c.description}`;
      check(label, c.canonical_bson, c.canonical_extjson, 'canonical', problems);
      if (c.relaxed_extjson !== undefined) {
        relaxed++;
        check(label, c.canonical_bson, c.relaxed_extjson, 'relaxed', problems);
      }
    }
    assert.ok(cases.length >= 700, `only ${cases.length} valid cases`);
    assert.ok(relaxed >= 25, `only ${relaxed} relaxed cases`);
    t.diagnostic(`${cases.length} valid cases, ${relaxed} with relaxed_extjson`);
    assert.deepEqual(problems, [], `${problems.length} cases differ:\n${problems.join('\n')}`);
  });

  test('degenerate BSON (unsorted regex flags, wrong array keys) encodes to the canonical form', (t) => {
    if (skip) return t.skip(skip);
    const problems: string[] = [];
    const degenerate = cases.filter((c) => c.degenerate_bson !== undefined);
    for (const c of degenerate)
      check(`${c.file}: ${c.description} (degenerate)`, c.degenerate_bson!, c.canonical_extjson, 'canonical', problems);
    assert.ok(degenerate.length >= 4);
    assert.deepEqual(problems, []);
  });

  test('the native difference is where the README says: relaxed Int64 beyond ±(2^53-1) as $numberLong', (t) => {
    if (skip) return t.skip(skip);
    const max = cases.find((c) => c.file === 'int64.json' && c.description === 'MaxValue');
    assert.ok(max?.relaxed_extjson, 'int64.json has a MaxValue case');
    const bson = Buffer.from(max.canonical_bson, 'hex');
    assert.equal(rawToEjson(bson, 'relaxed', { wrapLongs: false }), '{"a":9223372036854775807}');
    assert.equal(rawToEjson(bson, 'relaxed'), '{"a":{"$numberLong":"9223372036854775807"}}');
    assert.equal(rawToEjson(bson, 'canonical'), '{"a":{"$numberLong":"9223372036854775807"}}');
  });
});
