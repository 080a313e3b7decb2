import { usage } from '../errors.js';
import { DEFAULT_BATCH_SIZE, type PlanMethodName, type PlanRequest, type Selection } from '../plan/model.js';
import type { OptionSpecs } from './declare.js';
import {
  bytesOption,
  COMPRESSIONS,
  choice,
  FORMATS,
  intOption,
  MODES,
  parseFields,
  parseOutput,
  parseQuery,
  required,
} from './values.js';

/** What is read. */
export const SOURCE = {
  db: { kind: 'string', alias: 'd', describe: 'Database', required: '' },
  collection: { kind: 'string', alias: 'c', describe: 'Collection (or view: one batch)', required: '' },
  query: { kind: 'string', alias: 'q', describe: 'Filter, as an Extended JSON object, e.g. \'{"status":"A"}\'' },
  fields: {
    kind: 'string',
    alias: 'f',
    describe: 'Comma-separated fields to keep (_id is always kept); with --format csv, the columns',
  },
} satisfies OptionSpecs;

/** How it is written. */
export const FORMAT = {
  format: {
    kind: 'string',
    describe:
      'json: one JSON array per file; ndjson: one document per line; csv: the --fields as columns, as mongoexport writes them',
    choices: FORMATS,
    default: FORMATS[0],
  },
  ejson: { kind: 'string', describe: 'Extended JSON mode; canonical is type-exact', choices: MODES, default: MODES[0] },
  gzip: { kind: 'boolean', describe: 'gzip every batch file (as --compress gzip)' },
  compress: {
    kind: 'string',
    describe: 'Compress every batch file: gzip (level 6, .gz) or zstd (level 3, .zst; Node 22.15 or later)',
    choices: COMPRESSIONS,
  },
  'strict-utf8': {
    kind: 'boolean',
    describe:
      'Fail a batch on a string or field name that is not valid UTF-8 (default: write each bad byte as \\ufffd, as mongoexport does, and count them)',
  },
} satisfies OptionSpecs;

const METHODS: readonly PlanMethodName[] = ['auto', 'scan', 'sample'];

/** Where an export goes (extract-all, extract-plan). */
export const OUT_DIR = {
  out: {
    kind: 'string',
    alias: 'o',
    describe: 'Output directory (created if missing), or s3://BUCKET/PREFIX/',
    required: '',
  },
} satisfies OptionSpecs;

/** How the collection is cut into batches. */
export const PLANNING = {
  'batch-size': { kind: 'number', describe: 'Documents per batch', default: DEFAULT_BATCH_SIZE },
  batches: {
    kind: 'number',
    describe: 'About this many batches instead of --batch-size (one more per extra _id type)',
  },
  'batch-bytes': {
    kind: 'string',
    describe:
      'About this much BSON per batch instead of --batch-size, e.g. 256MB (the average document size sets the documents per batch)',
  },
  'plan-method': {
    kind: 'string',
    describe: 'How batch bounds are found: scan walks the _id index, sample uses $sample (MongoDB only)',
    choices: METHODS,
    default: METHODS[0],
  },
  snapshot: {
    kind: 'boolean',
    describe:
      'Read every batch at one point in time (MongoDB 5.0+ replica set or sharded cluster; finish within minSnapshotHistoryWindowInSeconds, default 300 s)',
  },
} satisfies OptionSpecs;

/** The source, filter, fields and output format: what decides the bytes of the files. */
export function selection(a: Record<string, unknown>): Selection {
  const output = parseOutput(a as { format?: string; ejson?: string; gzip?: boolean; compress?: string });
  let fields = parseFields(a.fields as string | undefined);
  if (output.format === 'csv') {
    if (!fields) throw usage('--format csv needs --fields: the columns, such as --fields name,address.city,tags.0');
    // the columns as given (`_id` only where named); the server sends each column's top-level field whole
    output.csvFields = String(a.fields)
      .split(',')
      .map((f) => f.trim());
    fields = [...new Set(output.csvFields.map((f) => f.split('.')[0]!))].filter((f) => f !== '_id');
  }
  return {
    source: {
      db: required('db', a.db, 'DB (the database)'),
      collection: required('collection', a.collection, 'COLLECTION'),
    },
    query: parseQuery(a.query as string | undefined),
    fields,
    output,
  };
}

export function planRequest(a: Record<string, unknown>): PlanRequest {
  const batchSize = intOption('batch-size', a['batch-size'], 1);
  const batches = intOption('batches', a.batches, 1);
  const batchBytes = bytesOption('batch-bytes', a['batch-bytes']);
  const given = [
    batchSize !== undefined && '--batch-size',
    batches !== undefined && '--batches',
    batchBytes !== undefined && '--batch-bytes',
  ].filter(Boolean);
  if (given.length > 1) throw usage(`${given.join(' and ')} conflict: give one`);
  return {
    ...selection(a),
    batchSize,
    batches,
    ...(batchBytes !== undefined ? { batchBytes } : {}),
    method: choice('plan-method', a['plan-method'], METHODS),
    snapshot: Boolean(a.snapshot),
  };
}

/** The option names that define an export: a --resume must not name them differently from the plan. */
export const SELECTION_OPTIONS = [...Object.keys(SOURCE), ...Object.keys(FORMAT), ...Object.keys(PLANNING)];
