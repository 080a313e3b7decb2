import type { PlanFile } from './model.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const docsOf = (x: number): string => `${n(x)} document${x === 1 ? '' : 's'}`;

/**
 * How the collection was split and why, in a few words, for the line that follows planning: what a user needs to
 * judge the plan (and to change it). Server limitations and other details stay in the plan's notes (--verbose).
 */
export function describePlan(plan: Pick<PlanFile, 'batches' | 'method' | 'expectedDocs' | 'query'>): string {
  const m = plan.method;
  const docs = `${docsOf(plan.expectedDocs)}${plan.query ? ' matching' : ''}`;
  const k = plan.batches.length;
  if (k === 0) return 'no batches: the collection is empty';
  if (m.name === 'single') {
    if (!m.fits) return `1 batch of ${docs} (a view has no _id index to split)`;
    if (m.fits.asked) return `1 batch of ${docs}, as --batches 1 asks (no walk of the _id index)`;
    return `1 batch of ${docs}: the collection's ${n(m.fits.estimate)} fit one batch of ${n(m.fits.batchSize)} (--batches N splits it)`;
  }
  const types = Object.keys(m.idClasses);
  const perType = types.length > 1 ? `; _id types ${types.join(', ')} in separate ranges` : '';
  if (m.name === 'sample') {
    return `${n(k)} batches of ~${n(m.batchSize)} for ${docs} (cut at quantiles of ${n(m.keysRead)} sampled _id keys: sizes are estimates${perType})`;
  }
  return `${n(k)} ${k === 1 ? 'batch' : 'batches'} of ≤ ${n(m.batchSize)} for ${docs} (walked ${n(m.keysRead)} _id keys${perType})`;
}
