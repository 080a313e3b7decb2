import type { Document } from 'mongodb';
import type { Batch } from './model.js';

/**
 * The `_id` condition of a batch. Bounded sides use $gte/$lt, which already keep to the bound's type class;
 * an open low side uses `$not: {$gte: max}` rather than `$lt` so that NaN (below every number, matched by no
 * range operator) still lands in exactly one batch.
 */
export function idCondition(batch: Batch): Document {
  const { min, max, types } = batch;
  if (min !== undefined && max !== undefined) return { $gte: min, $lt: max };
  if (min !== undefined) return { $gte: min };
  if (types.length === 0) throw new Error(`batch ${batch.index} has an open side but no $type to bound it`);
  const cond: Document = { $type: types };
  if (max !== undefined) cond.$not = { $gte: max };
  return cond;
}

/** The batch's own range, or that range plus the unseen types the last batch also takes. */
function idFilter(batch: Batch): Document {
  const own = { _id: idCondition(batch) };
  return batch.alsoTypes?.length ? { $or: [own, { _id: { $type: batch.alsoTypes } }] } : own;
}

/** The full server filter of a batch: its `_id` range combined with the user's --query. */
export function batchFilter(batch: Batch | undefined, query: Document | null | undefined): Document {
  // class "all": a source without an _id index to split (a view) is one batch
  const id = batch && batch.class !== 'all' ? idFilter(batch) : undefined;
  const hasQuery = query != null && Object.keys(query).length > 0;
  if (!id) return hasQuery ? query : {};
  if (!hasQuery) return id;
  return { $and: [query, id] };
}

/** A projection for --fields: the listed paths, and `_id` always (so every document can be accounted for). */
export function projection(fields: string[] | null | undefined): Document | undefined {
  if (!fields) return undefined;
  const p: Document = { _id: 1 };
  for (const f of fields) p[f] = 1;
  return p;
}
