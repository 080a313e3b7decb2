import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { EXIT, ExtractError } from '../../src/errors.js';
import {
  bytesOption,
  intOption,
  nonEmpty,
  parseEjson,
  parseFields,
  parseOutput,
  parseQuery,
  secondsOption,
} from '../../src/options/values.js';

const { EJSON } = BSON;

/** An ExtractError('USAGE') (exit 2) whose message names the option. */
const usageError = (option: string) => (err: unknown) => {
  assert.ok(err instanceof ExtractError, `expected an ExtractError, got ${String(err)}`);
  assert.equal(err.code, 'USAGE');
  assert.equal(err.exitCode, EXIT.USAGE);
  assert.ok(err.message.startsWith(`--${option}:`), `message should start with --${option}: ${err.message}`);
  assert.ok(!err.message.includes('\n'), 'one line');
  return true;
};

const canonical = (v: unknown) => EJSON.stringify(v, { relaxed: false });

describe('parseQuery', () => {
  test('absent: null', () => {
    assert.equal(parseQuery(undefined), null);
  });

  // JSON itself cannot tell 5.0 from 5 (JSON.parse gives the same number), so a Double is written {"$numberDouble":…}
  // or with a fraction; integers up to 2^31 are Int32, beyond that Int64 or Double, as in mongosh.
  test('Extended JSON, canonical types kept: 5 Int32, 5.5 and $numberDouble Double, $numberLong, $date, $oid', () => {
    const q = parseQuery(
      '{"a":5,"b":{"$numberDouble":"5.0"},"b2":5.5,"c":{"$numberLong":"9007199254740993"},"d":{"$date":"2020-01-02T03:04:05Z"},"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"}}',
    )!;
    assert.equal(
      canonical(q),
      '{"a":{"$numberInt":"5"},"b":{"$numberDouble":"5.0"},"b2":{"$numberDouble":"5.5"},"c":{"$numberLong":"9007199254740993"},"d":{"$date":{"$numberLong":"1577934245000"}},"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"}}',
    );
    assert.ok(q.d instanceof Date);
    assert.equal(q._id._bsontype, 'ObjectId');
  });

  test('operators pass through', () => {
    assert.deepEqual(parseQuery('{"$or":[{"a":{"$gt":1}},{"b":null}]}'), {
      $or: [{ a: { $gt: new BSON.Int32(1) } }, { b: null }],
    });
  });

  test('malformed JSON: usage error', () => {
    for (const bad of ['{', '{a:1}', "{'a':1}", '', 'not json'])
      assert.throws(() => parseQuery(bad), usageError('query'), bad);
  });

  test('JSON that is not a document: usage error', () => {
    for (const bad of [
      '[1]',
      '1',
      'null',
      '"s"',
      'true',
      '{"$oid":"65a1b2c3d4e5f60718293a4b"}',
      '{"$numberLong":"1"}',
    ]) {
      assert.throws(() => parseQuery(bad), usageError('query'), bad);
    }
  });
});

describe('parseEjson (--min/--max)', () => {
  test('exact types: 42 Int32, $numberDouble Double, $numberLong Int64, a string, an ObjectId', () => {
    assert.equal(canonical(parseEjson('min', '42')), '{"$numberInt":"42"}');
    assert.equal(canonical(parseEjson('min', '{"$numberDouble":"42.0"}')), '{"$numberDouble":"42.0"}');
    assert.equal(canonical(parseEjson('min', '-2.5')), '{"$numberDouble":"-2.5"}');
    assert.equal(
      canonical(parseEjson('min', '{"$numberLong":"9007199254740993"}')),
      '{"$numberLong":"9007199254740993"}',
    );
    assert.equal(parseEjson('max', '"abc"'), 'abc');
    assert.equal(
      (parseEjson('max', '{"$oid":"65a1b2c3d4e5f60718293a4b"}') as { _bsontype: string })._bsontype,
      'ObjectId',
    );
  });

  test('not Extended JSON: usage error naming the option', () => {
    assert.throws(() => parseEjson('min', 'abc'), usageError('min'));
    assert.throws(() => parseEjson('max', '{"$oid":"nothex"}'), usageError('max'));
  });
});

describe('parseFields', () => {
  test('absent: null (no projection)', () => {
    assert.equal(parseFields(undefined), null);
  });

  test('comma-separated paths, trimmed', () => {
    assert.deepEqual(parseFields('a,b.c'), ['a', 'b.c']);
    assert.deepEqual(parseFields(' a , b.c '), ['a', 'b.c']);
  });

  test('_id is dropped from the list (it is always kept)', () => {
    assert.deepEqual(parseFields('_id,a'), ['a']);
    assert.deepEqual(parseFields('_id'), []);
  });

  test('empty names, $-operators and broken dots: usage error', () => {
    for (const bad of ['', ',', 'a,,b', 'a,', '$a', '$where', 'a..b', 'a.', '.a']) {
      assert.throws(() => parseFields(bad), usageError('fields'), JSON.stringify(bad));
    }
  });
});

describe('parseOutput', () => {
  test('defaults: a JSON array, relaxed, not compressed', () => {
    assert.deepEqual(parseOutput({}), { format: 'json', ejson: 'relaxed', gzip: false });
  });

  test('every valid combination', () => {
    for (const format of ['json', 'ndjson'] as const) {
      for (const ejson of ['relaxed', 'canonical'] as const) {
        for (const gzip of [false, true])
          assert.deepEqual(parseOutput({ format, ejson, gzip }), { format, ejson, gzip });
      }
    }
  });

  test('unknown format or mode: usage error listing the choices', () => {
    assert.throws(
      () => parseOutput({ format: 'xml' }),
      (e: unknown) => usageError('format')(e) && /json, ndjson, csv/.test((e as Error).message),
    );
    assert.throws(() => parseOutput({ format: 'JSON' }), usageError('format'));
    assert.throws(
      () => parseOutput({ ejson: 'strict' }),
      (e: unknown) => usageError('ejson')(e) && /relaxed, canonical/.test((e as Error).message),
    );
  });
});

describe('intOption', () => {
  test('absent stays undefined', () => {
    assert.equal(intOption('parallel', undefined, 1), undefined);
  });

  test('whole numbers from strings or numbers, bounds inclusive', () => {
    assert.equal(intOption('parallel', '4', 1), 4);
    assert.equal(intOption('parallel', 4, 1), 4);
    assert.equal(intOption('parallel', 1, 1, 8), 1);
    assert.equal(intOption('parallel', '8', 1, 8), 8);
    assert.equal(intOption('retries', 0, 0), 0);
  });

  test('fractions, words, out of range: usage error with "expected …, got …"', () => {
    for (const bad of ['1.5', 1.5, 'abc', 'NaN', Number.NaN, Number.POSITIVE_INFINITY, '-1', 0]) {
      assert.throws(
        () => intOption('parallel', bad, 1),
        (e: unknown) => usageError('parallel')(e) && /expected a whole number ≥ 1, got/.test((e as Error).message),
        String(bad),
      );
    }
    assert.throws(
      () => intOption('parallel', 9, 1, 8),
      (e: unknown) => usageError('parallel')(e) && /from 1 to 8/.test((e as Error).message),
    );
  });

  // Number('') and Number('  ') are 0, Number(true) is 1, Number(null) is 0: none of them is a number the user wrote.
  // `--retries "$UNSET_VAR"` must not silently become 0.
  test('values that are not written as a number are refused, even when Number() coerces them', () => {
    for (const bad of ['', '  ', true, null, []]) {
      assert.throws(() => intOption('retries', bad, 0), usageError('retries'), JSON.stringify(bad));
    }
  });
});

describe('secondsOption and nonEmpty', () => {
  test('seconds: > 0, fractions allowed', () => {
    assert.equal(secondsOption('connect-timeout', undefined), undefined);
    assert.equal(secondsOption('connect-timeout', '0.5'), 0.5);
    assert.equal(secondsOption('connect-timeout', 15), 15);
    for (const bad of [0, '0', -1, 'x', Number.POSITIVE_INFINITY])
      assert.throws(() => secondsOption('connect-timeout', bad), usageError('connect-timeout'), String(bad));
  });

  test('names: non-empty strings without NUL', () => {
    assert.equal(nonEmpty('db', 'x'), 'x');
    for (const bad of ['', undefined, 5, 'a\0b'])
      assert.throws(() => nonEmpty('db', bad), usageError('db'), JSON.stringify(bad));
  });
});

describe('bytesOption (--batch-bytes)', () => {
  test('a number with an optional unit: kB, MB, GB in powers of 1000, KiB, MiB, GiB in powers of 1024', () => {
    assert.equal(bytesOption('batch-bytes', '500000'), 500_000);
    assert.equal(bytesOption('batch-bytes', '256MB'), 256_000_000);
    assert.equal(bytesOption('batch-bytes', '256mb'), 256_000_000);
    assert.equal(bytesOption('batch-bytes', '1.5GiB'), 1.5 * 2 ** 30);
    assert.equal(bytesOption('batch-bytes', '64 KiB'), 65_536);
    assert.equal(bytesOption('batch-bytes', '2kB'), 2000);
    assert.equal(bytesOption('batch-bytes', undefined), undefined);
  });
  test('anything else is a usage error naming the option', () => {
    for (const bad of ['', 'MB', '256 XB', '-1MB', '0', '1e6', 'ten'])
      assert.throws(() => bytesOption('batch-bytes', bad), usageError('batch-bytes'), bad);
  });
});
