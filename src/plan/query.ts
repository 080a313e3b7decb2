import type { Document } from 'mongodb';
import type { Batch } from './model.js';
import { classOf, classRank, TYPE_CLASSES } from './type-classes.js';

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

/**
 * What a batch still has to read once its documents up to `last` (an `_id`, in `_id` order) are written: the larger
 * `_id`s of `last`'s class (`$gt` keeps to it) and the `_id`s of the batch's classes that sort after it (the unseen
 * types a last batch also takes). Undefined when nothing can be said to come after `last`: a class without an
 * order (regex, null, …), a NaN (no comparison matches it), or a batch that is not a range.
 */
export function afterFilter(batch: Batch, last: unknown): Document | undefined {
  if (batch.class === 'all') return undefined;
  const cls = classOf(last);
  const rank = classRank(cls);
  const kind = TYPE_CLASSES[rank];
  if (!kind?.rangeable || isNaNValue(last)) return undefined;
  const mine = new Set([...batch.types, ...(batch.alsoTypes ?? [])]);
  const later = TYPE_CLASSES.slice(rank + 1).flatMap((c) => c.aliases.filter((a) => mine.has(a)));
  const gt = { _id: { $gt: last } };
  return later.length > 0 ? { $or: [gt, { _id: { $type: later } }] } : gt;
}

function isNaNValue(v: unknown): boolean {
  const type = (v as { _bsontype?: string } | null)?._bsontype;
  if (typeof v === 'number' || type === 'Double') return Number.isNaN(Number((v as number).valueOf()));
  return type === 'Decimal128' && String(v) === 'NaN';
}

/** A projection for --fields: the listed paths, and `_id` always (so every document can be accounted for). */
export function projection(fields: string[] | null | undefined): Document | undefined {
  if (!fields) return undefined;
  const p: Document = { _id: 1 };
  for (const f of fields) p[f] = 1;
  return p;
}
