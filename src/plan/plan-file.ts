import { createHash } from 'node:crypto';
import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { type Batch, PLAN_FORMAT, type PlanFile, type Selection } from './model.js';

const { EJSON } = BSON;

const canonical = (value: unknown): Document => EJSON.serialize(value, { relaxed: false }) as Document;

/** The selection only (a plan or a request), with its query as canonical Extended JSON, as a plan file stores it. */
export const storedSelection = (s: Selection): Selection => ({
  source: { db: s.source.db, collection: s.source.collection },
  query: s.query ? canonical(s.query) : null,
  fields: s.fields,
  output: {
    format: s.output.format,
    ejson: s.output.ejson,
    gzip: s.output.gzip,
    ...(s.output.zstd ? { zstd: true } : {}),
    ...(s.output.strictUtf8 ? { strictUtf8: true } : {}),
    ...(s.output.longs ? { longs: s.output.longs } : {}),
    ...(s.output.csvFields ? { csvFields: [...s.output.csvFields] } : {}),
    ...(s.output.mongoexport ? { mongoexport: { ...s.output.mongoexport } } : {}),
    ...(s.output.sortById ? { sortById: true } : {}),
  },
});

const SELECTION_KEYS = ['source', 'query', 'fields', 'output'] as const;

/**
 * The parts in which two selections differ (empty: the same export). A plan's query is stored canonical; a
 * request's is canonicalised before the comparison. Two plans that differ must not share a directory.
 */
export function selectionDiff(a: Selection, b: Selection): (typeof SELECTION_KEYS)[number][] {
  const x = storedSelection(a);
  const y = storedSelection(b);
  return SELECTION_KEYS.filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

/** What a planner hands over: the plan's fields with bounds and filter still as BSON values. */
export interface NewPlan extends Selection, Pick<PlanFile, 'expectedDocs' | 'method'> {
  batches: Batch[];
  /** A BSON Timestamp when the plan reads at one point in time. */
  atClusterTime?: unknown;
  createdAt?: Date;
}

/** Build the stored plan: bounds and filter in canonical EJSON, and an id over everything that defines it. */
export function makePlanFile(p: NewPlan): PlanFile {
  const batches = p.batches.map((b) => {
    const out: Batch<Document> = { index: b.index, class: b.class, types: b.types, estimatedDocs: b.estimatedDocs };
    if (b.alsoTypes) out.alsoTypes = b.alsoTypes;
    if (b.min !== undefined) out.min = canonical(b.min);
    if (b.max !== undefined) out.max = canonical(b.max);
    return out;
  });
  const { source, query, fields, output } = storedSelection(p);
  const snapshot = p.atClusterTime !== undefined ? { atClusterTime: canonical(p.atClusterTime) } : null;
  const body = { source, query, fields, output, snapshot, batches };
  const planId = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return {
    format: PLAN_FORMAT,
    planId,
    createdAt: (p.createdAt ?? new Date()).toISOString(),
    source,
    query,
    fields,
    output,
    expectedDocs: p.expectedDocs,
    method: p.method,
    snapshot,
    batches,
  };
}

/** Parse and check a plan file's text; bounds come back as BSON values (exact types). */
export function parsePlanFile(text: string): PlanFile {
  const plan = JSON.parse(text) as PlanFile;
  if (plan?.format !== PLAN_FORMAT) throw new Error(`not a plan file (expected format ${PLAN_FORMAT})`);
  if (!Array.isArray(plan.batches)) throw new Error('plan file has no batches');
  return plan;
}

/** A stored batch with its bounds turned back into BSON values. */
export function decodeBatch(b: Batch<Document>): Batch {
  const out: Batch = { index: b.index, class: b.class, types: b.types, estimatedDocs: b.estimatedDocs };
  if (b.alsoTypes) out.alsoTypes = b.alsoTypes;
  if (b.min !== undefined) out.min = EJSON.deserialize({ v: b.min }, { relaxed: false }).v;
  if (b.max !== undefined) out.max = EJSON.deserialize({ v: b.max }, { relaxed: false }).v;
  return out;
}

/** The plan's snapshot time as a BSON Timestamp, if it has one. */
export const decodeSnapshot = (plan: Pick<PlanFile, 'snapshot'>): unknown =>
  plan.snapshot ? EJSON.deserialize({ t: plan.snapshot.atClusterTime }, { relaxed: false }).t : undefined;

/** The stored query turned back into a BSON document (exact types). */
export const decodeQuery = (q: Document | null): Document | null =>
  q ? (EJSON.deserialize(q, { relaxed: false }) as Document) : null;
