// The plan file: what a planner's result becomes on disk (canonical Extended JSON, an id over what defines the
// export), how it is read back and checked, and how its bounds, snapshot and query turn back into BSON values.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import type { Batch, OutputOptions, Selection } from '../../src/plan/model.js';
import { PLAN_FORMAT } from '../../src/plan/model.js';
import {
  decodeBatch,
  decodeQuery,
  decodeSnapshot,
  makePlanFile,
  type NewPlan,
  parsePlanFile,
  selectionDiff,
  storedSelection,
} from '../../src/plan/plan-file.js';

const { Double, Int32, Long, ObjectId, Timestamp } = BSON;

const OUTPUT: OutputOptions = { format: 'json', ejson: 'relaxed', gzip: false };

const selection = (s: Partial<Selection> = {}): Selection => ({
  source: { db: 'shop', collection: 'orders' },
  query: null,
  fields: null,
  output: { ...OUTPUT },
  ...s,
});

const newPlan = (p: Partial<NewPlan> = {}): NewPlan => ({
  ...selection(),
  expectedDocs: 3,
  method: { name: 'scan', batchSize: 2, idClasses: { number: 3 }, keysRead: 3, seconds: 0.5, notes: ['n'] },
  batches: [
    { index: 0, class: 'number', types: ['int', 'long'], max: new Int32(2), estimatedDocs: 2 },
    { index: 1, class: 'number', types: ['int', 'long'], min: new Int32(2), estimatedDocs: 1, alsoTypes: ['string'] },
  ],
  createdAt: new Date('2024-05-06T07:08:09.010Z'),
  ...p,
});

describe('storedSelection', () => {
  test('copies only db and collection of the source, keeps fields, and stores the query as canonical EJSON', () => {
    const s = storedSelection({
      source: { db: 'd', collection: 'c', extra: 'dropped' } as Selection['source'],
      query: { n: 5, l: Long.fromNumber(7), s: 'x' },
      fields: ['a', 'b.c'],
      output: { ...OUTPUT },
    });
    assert.deepEqual(s, {
      source: { db: 'd', collection: 'c' },
      query: { n: { $numberInt: '5' }, l: { $numberLong: '7' }, s: 'x' },
      fields: ['a', 'b.c'],
      output: { format: 'json', ejson: 'relaxed', gzip: false },
    });
  });

  test('no query stays null; an empty query is kept as {}', () => {
    assert.equal(storedSelection(selection()).query, null);
    assert.deepEqual(storedSelection(selection({ query: {} })).query, {});
  });

  test('a query already canonical (read from a plan) is stored unchanged', () => {
    const q = { n: { $numberInt: '5' }, d: { $numberDouble: '1.5' } };
    assert.deepEqual(storedSelection(selection({ query: q })).query, q);
  });

  test('the output keeps format, ejson and gzip; every optional setting is absent unless set', () => {
    const out = storedSelection(
      selection({
        output: {
          format: 'ndjson',
          ejson: 'canonical',
          gzip: true,
          zstd: false,
          strictUtf8: false,
          sortById: false,
        } as OutputOptions,
      }),
    ).output;
    assert.deepEqual(out, { format: 'ndjson', ejson: 'canonical', gzip: true });
    assert.deepEqual(Object.keys(storedSelection(selection()).output), ['format', 'ejson', 'gzip']);
  });

  test('every optional output setting that is set is stored, as a copy', () => {
    const csvFields = ['a', 'b'];
    const mongoexport = { jsonArray: true, pretty: false, header: true };
    const output: OutputOptions = {
      format: 'csv',
      ejson: 'relaxed',
      gzip: false,
      zstd: true,
      strictUtf8: true,
      longs: 'number',
      csvFields,
      mongoexport,
      sortById: true,
    };
    const out = storedSelection(selection({ output })).output;
    assert.deepEqual(out, {
      format: 'csv',
      ejson: 'relaxed',
      gzip: false,
      zstd: true,
      strictUtf8: true,
      longs: 'number',
      csvFields: ['a', 'b'],
      mongoexport: { jsonArray: true, pretty: false, header: true },
      sortById: true,
    });
    assert.notEqual(out.csvFields, csvFields);
    assert.notEqual(out.mongoexport, mongoexport);
  });

  test('each optional setting on its own', () => {
    const only = (o: Partial<OutputOptions>) => storedSelection(selection({ output: { ...OUTPUT, ...o } })).output;
    assert.deepEqual(only({ zstd: true }), { ...OUTPUT, zstd: true });
    assert.deepEqual(only({ strictUtf8: true }), { ...OUTPUT, strictUtf8: true });
    assert.deepEqual(only({ longs: 'number' }), { ...OUTPUT, longs: 'number' });
    assert.deepEqual(only({ csvFields: ['x'] }), { ...OUTPUT, csvFields: ['x'] });
    assert.deepEqual(only({ mongoexport: { jsonArray: false, pretty: true, header: false } }), {
      ...OUTPUT,
      mongoexport: { jsonArray: false, pretty: true, header: false },
    });
    assert.deepEqual(only({ sortById: true }), { ...OUTPUT, sortById: true });
  });
});

describe('selectionDiff', () => {
  test('the same selection: no difference', () => {
    assert.deepEqual(selectionDiff(selection(), selection()), []);
  });

  test("a request's BSON query and a plan's canonical query for the same filter do not differ", () => {
    const request = selection({ query: { n: 5, id: new ObjectId('0123456789abcdef01234567') } });
    const plan = selection({ query: { n: { $numberInt: '5' }, id: { $oid: '0123456789abcdef01234567' } } });
    assert.deepEqual(selectionDiff(request, plan), []);
  });

  test('the same number of another BSON type is a different query (int 5 is not double 5)', () => {
    assert.deepEqual(selectionDiff(selection({ query: { n: 5 } }), selection({ query: { n: new Double(5) } })), [
      'query',
    ]);
  });

  test('names each part that differs, in the order source, query, fields, output', () => {
    assert.deepEqual(selectionDiff(selection(), selection({ source: { db: 'shop', collection: 'other' } })), [
      'source',
    ]);
    assert.deepEqual(selectionDiff(selection(), selection({ query: { a: 1 } })), ['query']);
    assert.deepEqual(selectionDiff(selection(), selection({ fields: ['a'] })), ['fields']);
    assert.deepEqual(selectionDiff(selection(), selection({ output: { ...OUTPUT, gzip: true } })), ['output']);
    assert.deepEqual(
      selectionDiff(
        selection(),
        selection({
          source: { db: 'other', collection: 'orders' },
          query: { a: 1 },
          fields: ['a'],
          output: { ...OUTPUT, format: 'ndjson' },
        }),
      ),
      ['source', 'query', 'fields', 'output'],
    );
  });

  test('an optional output setting left false is no difference from one left out', () => {
    assert.deepEqual(selectionDiff(selection(), selection({ output: { ...OUTPUT, sortById: false } })), []);
    assert.deepEqual(selectionDiff(selection(), selection({ output: { ...OUTPUT, sortById: true } })), ['output']);
  });
});

describe('makePlanFile', () => {
  test('the stored plan: format, creation time, selection, counts, method, snapshot and canonical bounds', () => {
    const p = newPlan();
    const plan = makePlanFile(p);
    assert.deepEqual(plan, {
      format: PLAN_FORMAT,
      planId: plan.planId,
      createdAt: '2024-05-06T07:08:09.010Z',
      source: { db: 'shop', collection: 'orders' },
      query: null,
      fields: null,
      output: { format: 'json', ejson: 'relaxed', gzip: false },
      expectedDocs: 3,
      method: p.method,
      snapshot: null,
      batches: [
        { index: 0, class: 'number', types: ['int', 'long'], max: { $numberInt: '2' }, estimatedDocs: 2 },
        {
          index: 1,
          class: 'number',
          types: ['int', 'long'],
          estimatedDocs: 1,
          alsoTypes: ['string'],
          min: { $numberInt: '2' },
        },
      ],
    });
    assert.equal(PLAN_FORMAT, 'mongo-parallel-extract/plan@1');
  });

  test('a batch without bounds or extra types has no min, max or alsoTypes keys', () => {
    const plan = makePlanFile(newPlan({ batches: [{ index: 0, class: 'all', types: [], estimatedDocs: 9 }] }));
    assert.deepEqual(plan.batches, [{ index: 0, class: 'all', types: [], estimatedDocs: 9 }]);
    assert.deepEqual(Object.keys(plan.batches[0]!), ['index', 'class', 'types', 'estimatedDocs']);
  });

  test('falsy bounds are still bounds (0 and the empty string)', () => {
    const plan = makePlanFile(
      newPlan({ batches: [{ index: 0, class: 'number', types: ['int'], min: 0, max: '', estimatedDocs: 1 }] }),
    );
    assert.deepEqual(plan.batches[0]!.min, { $numberInt: '0' });
    assert.equal(plan.batches[0]!.max, '');
  });

  test('bounds keep their exact BSON type in canonical EJSON (Long, ObjectId, double)', () => {
    const oid = new ObjectId('0123456789abcdef01234567');
    const plan = makePlanFile(
      newPlan({
        batches: [
          {
            index: 0,
            class: 'number',
            types: ['long'],
            min: Long.fromString('9007199254740993'),
            max: 2.5,
            estimatedDocs: 1,
          },
          { index: 1, class: 'objectId', types: ['objectId'], min: oid, estimatedDocs: 1 },
        ],
      }),
    );
    assert.deepEqual(plan.batches[0]!.min, { $numberLong: '9007199254740993' });
    assert.deepEqual(plan.batches[0]!.max, { $numberDouble: '2.5' });
    assert.deepEqual(plan.batches[1]!.min, { $oid: '0123456789abcdef01234567' });
  });

  test('the query is stored canonical', () => {
    assert.deepEqual(makePlanFile(newPlan({ query: { n: 5 } })).query, { n: { $numberInt: '5' } });
  });

  test('a snapshot time is stored as a canonical Timestamp; without one, snapshot is null', () => {
    const plan = makePlanFile(newPlan({ atClusterTime: new Timestamp({ t: 1700000000, i: 3 }) }));
    assert.deepEqual(plan.snapshot, { atClusterTime: { $timestamp: { t: 1700000000, i: 3 } } });
    assert.equal(makePlanFile(newPlan()).snapshot, null);
  });

  test('without a creation date, the plan is stamped now', () => {
    const before = Date.now();
    const plan = makePlanFile(newPlan({ createdAt: undefined }));
    const after = Date.now();
    const at = Date.parse(plan.createdAt);
    assert.match(plan.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(at >= before && at <= after, `${plan.createdAt} not within [${before}, ${after}]`);
  });

  test('the plan id: the first 16 hex digits of the SHA-256 of what defines the export', () => {
    const plan = makePlanFile(newPlan({ atClusterTime: new Timestamp({ t: 5, i: 1 }) }));
    const { source, query, fields, output, snapshot, batches } = plan;
    const expected = createHash('sha256')
      .update(JSON.stringify({ source, query, fields, output, snapshot, batches }))
      .digest('hex')
      .slice(0, 16);
    assert.equal(plan.planId, expected);
    assert.match(plan.planId, /^[0-9a-f]{16}$/);
  });

  test('the plan id ignores when and how the plan was made, and the counts', () => {
    const a = makePlanFile(newPlan());
    const b = makePlanFile(
      newPlan({
        createdAt: new Date('2000-01-01T00:00:00Z'),
        expectedDocs: 999,
        method: { name: 'sample', batchSize: 1, idClasses: {}, keysRead: 0, seconds: 9, notes: [] },
      }),
    );
    assert.equal(a.planId, b.planId);
  });

  test('the plan id changes with each part that defines the export', () => {
    const base = makePlanFile(newPlan()).planId;
    const variants: Partial<NewPlan>[] = [
      { source: { db: 'shop', collection: 'other' } },
      { query: { a: 1 } },
      { fields: ['a'] },
      { output: { ...OUTPUT, gzip: true } },
      { atClusterTime: new Timestamp({ t: 1, i: 1 }) },
      { batches: [{ index: 0, class: 'all', types: [], estimatedDocs: 3 }] },
    ];
    const ids = variants.map((v) => makePlanFile(newPlan(v)).planId);
    for (const [i, id] of ids.entries()) assert.notEqual(id, base, `variant ${i} has the base plan id`);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('parsePlanFile', () => {
  test('reads back what makePlanFile made, written as JSON', () => {
    const plan = makePlanFile(newPlan({ query: { n: 5 }, atClusterTime: new Timestamp({ t: 5, i: 1 }) }));
    assert.deepEqual(parsePlanFile(JSON.stringify(plan, null, 2)), plan);
  });

  test('refuses JSON that is not a plan file (no format, another format, not an object)', () => {
    const notPlan = /^Error: not a plan file \(expected format mongo-parallel-extract\/plan@1\)$/;
    const refused = (text: string) =>
      assert.throws(
        () => parsePlanFile(text),
        (err: Error) => {
          assert.equal(err.constructor, Error);
          assert.match(String(err), notPlan);
          return true;
        },
      );
    refused('{"batches":[]}');
    refused('{"format":"mongo-parallel-extract/plan@2","batches":[]}');
    refused('{"format":"","batches":[]}');
    refused('null');
    refused('[]');
    refused('"mongo-parallel-extract/plan@1"');
    refused('7');
  });

  test('refuses a plan file without a list of batches', () => {
    for (const batches of ['', ',"batches":null', ',"batches":{}', ',"batches":"0"', ',"batches":{"length":1}']) {
      assert.throws(() => parsePlanFile(`{"format":"${PLAN_FORMAT}"${batches}}`), {
        name: 'Error',
        message: 'plan file has no batches',
      });
    }
  });

  test('a plan file with an empty list of batches is valid (an empty collection)', () => {
    assert.deepEqual(parsePlanFile(`{"format":"${PLAN_FORMAT}","batches":[]}`), { format: PLAN_FORMAT, batches: [] });
  });

  test('text that is not JSON is a SyntaxError', () => {
    assert.throws(() => parsePlanFile('{"format":'), SyntaxError);
    assert.throws(() => parsePlanFile(''), SyntaxError);
  });
});

describe('decodeBatch', () => {
  test('bounds come back as the same BSON values, with their types', () => {
    const min = Long.fromString('9007199254740993');
    const max = new Double(7);
    const b = decodeBatch({
      index: 4,
      class: 'number',
      types: ['long', 'double'],
      min: { $numberLong: '9007199254740993' },
      max: { $numberDouble: '7.0' },
      estimatedDocs: 12,
    });
    assert.deepEqual(Object.keys(b), ['index', 'class', 'types', 'estimatedDocs', 'min', 'max']);
    assert.equal(b.index, 4);
    assert.equal(b.class, 'number');
    assert.deepEqual(b.types, ['long', 'double']);
    assert.equal(b.estimatedDocs, 12);
    assert.ok(b.min instanceof Long, `min is ${b.min?.constructor?.name}`);
    assert.ok((b.min as InstanceType<typeof Long>).equals(min));
    assert.ok(b.max instanceof Double, `max is ${b.max?.constructor?.name}`);
    assert.equal((b.max as InstanceType<typeof Double>).value, max.value);
  });

  test('an int32 bound comes back as an Int32, not a plain number', () => {
    const b = decodeBatch({ index: 0, class: 'number', types: ['int'], min: { $numberInt: '5' }, estimatedDocs: 0 });
    assert.ok(b.min instanceof Int32, `min is ${typeof b.min}`);
    assert.equal((b.min as InstanceType<typeof Int32>).value, 5);
  });

  test('a batch without bounds has no min or max; alsoTypes only when stored', () => {
    const plain = decodeBatch({ index: 0, class: 'all', types: [], estimatedDocs: 1 });
    assert.deepEqual(plain, { index: 0, class: 'all', types: [], estimatedDocs: 1 });
    assert.deepEqual(Object.keys(plain), ['index', 'class', 'types', 'estimatedDocs']);
    const also = decodeBatch({ index: 1, class: 'all', types: ['int'], alsoTypes: ['string'], estimatedDocs: 1 });
    assert.deepEqual(also.alsoTypes, ['string']);
  });

  test('a stored falsy bound is still decoded', () => {
    const b = decodeBatch({ index: 0, class: 'string', types: ['string'], min: '' as never, estimatedDocs: 0 });
    assert.equal(b.min, '');
    assert.ok('min' in b);
  });

  test('round trip through a plan file: every batch decodes to the bounds the planner handed over', () => {
    const oid = new ObjectId('0123456789abcdef01234567');
    const batches: Batch[] = [
      { index: 0, class: 'number', types: ['int'], max: new Int32(2), estimatedDocs: 2 },
      { index: 1, class: 'number', types: ['int'], min: new Int32(2), max: Long.fromNumber(10), estimatedDocs: 8 },
      { index: 2, class: 'objectId', types: ['objectId'], min: oid, alsoTypes: ['date'], estimatedDocs: 1 },
    ];
    const stored = parsePlanFile(JSON.stringify(makePlanFile(newPlan({ batches }))));
    assert.deepEqual(stored.batches.map(decodeBatch), batches);
  });
});

describe('decodeSnapshot and decodeQuery', () => {
  test('a stored snapshot time comes back as a BSON Timestamp; no snapshot: undefined', () => {
    const plan = makePlanFile(newPlan({ atClusterTime: new Timestamp({ t: 1700000000, i: 3 }) }));
    const ts = decodeSnapshot(parsePlanFile(JSON.stringify(plan)));
    assert.ok(ts instanceof Timestamp, `got ${String(ts)}`);
    assert.equal((ts as InstanceType<typeof Timestamp>).t, 1700000000);
    assert.equal((ts as InstanceType<typeof Timestamp>).i, 3);
    assert.equal(decodeSnapshot({ snapshot: null }), undefined);
  });

  test('the stored query comes back with exact BSON types; null stays null', () => {
    const q = decodeQuery({ n: { $numberInt: '5' }, l: { $numberLong: '7' }, s: 'x' });
    assert.ok(q);
    assert.ok(q.n instanceof Int32, `n is ${typeof q.n}`);
    assert.equal(q.n.value, 5);
    assert.ok(q.l instanceof Long, `l is ${typeof q.l}`);
    assert.equal(q.s, 'x');
    assert.equal(decodeQuery(null), null);
  });

  test('a query survives the plan file: decoded, it is the same selection as the request', () => {
    const request = selection({ query: { n: 5, d: new Double(2), id: new ObjectId('0123456789abcdef01234567') } });
    const plan = parsePlanFile(JSON.stringify(makePlanFile(newPlan({ query: request.query }))));
    const decoded = decodeQuery(plan.query);
    assert.deepEqual(selectionDiff(request, { ...plan, query: decoded }), []);
    assert.ok(decoded?.d instanceof Double);
  });
});
