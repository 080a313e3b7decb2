import type { Argv } from 'yargs';
import { usage } from '../errors.js';
import type { PlanMethodName, PlanRequest } from '../db/compute-plan.js';
import { intOption, nonEmpty, parseFields, parseOutput, parseQuery } from './options.js';

/** Options that define what is extracted and how it is written: shared by extract-plan and extract-all. */
export function sourceOptions<T>(y: Argv<T>) {
  return y
    .option('uri', { type: 'string', describe: 'Connection string (default: $MONGO_URI — prefer it: argv is visible to every user)' })
    .option('db', { alias: 'd', type: 'string', describe: 'Database' })
    .option('collection', { alias: 'c', type: 'string', describe: 'Collection (or view: one batch)' })
    .option('out', { alias: 'o', type: 'string', describe: 'Output directory (created if missing)' })
    .option('query', { alias: 'q', type: 'string', describe: 'Filter, as an Extended JSON object' })
    .option('fields', { alias: 'f', type: 'string', describe: 'Comma-separated fields to keep (_id is always kept)' })
    .option('format', { type: 'string', describe: 'json (one array per file) or ndjson  [default: json]' })
    .option('ejson', { type: 'string', describe: 'relaxed or canonical (type-exact)  [default: relaxed]' })
    .option('gzip', { type: 'boolean', describe: 'gzip every batch file' })
    .option('batch-size', { type: 'string', describe: 'Documents per batch  [default: 100000]' })
    .option('batches', { type: 'string', describe: 'Number of batches instead of --batch-size (about; one more per extra _id type)' })
    .option('plan-method', { type: 'string', describe: 'auto, scan (walk the _id index) or sample ($sample; MongoDB only)  [default: auto]' })
    .option('snapshot', { type: 'boolean', describe: 'Read every batch at one point in time (MongoDB 5.0+ replica set or sharded cluster; finish within minSnapshotHistoryWindowInSeconds, default 300 s)' })
    .option('connect-timeout', { type: 'string', describe: 'Seconds to wait for the server  [default: 15]' });
}

const METHODS: readonly PlanMethodName[] = ['auto', 'scan', 'sample'];

export function planRequest(a: Record<string, unknown>): PlanRequest {
  const batchSize = intOption('batch-size', a['batch-size'], 1);
  const batches = intOption('batches', a.batches, 1);
  if (batchSize !== undefined && batches !== undefined) throw usage('--batch-size and --batches conflict: give one');
  const method = (a['plan-method'] ?? 'auto') as PlanMethodName;
  if (!METHODS.includes(method)) throw usage(`--plan-method: expected one of ${METHODS.join(', ')}, got ${JSON.stringify(a['plan-method'])}`);
  return {
    db: nonEmpty('db', a.db),
    collection: nonEmpty('collection', a.collection),
    query: parseQuery(a.query as string | undefined),
    fields: parseFields(a.fields as string | undefined),
    output: parseOutput(a as { format?: string; ejson?: string; gzip?: boolean }),
    batchSize,
    batches,
    method,
    snapshot: Boolean(a.snapshot),
  };
}
