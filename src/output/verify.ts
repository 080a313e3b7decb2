import type { PlanFile } from '../plan/model.js';
import type { Destination } from './destination.js';
import { type CountMismatch, countMismatches } from './manifest.js';
import type { BatchRecord } from './record.js';

/** What extract-verify prints with --json. */
export interface VerifyReport {
  complete: boolean;
  planId: string;
  batches: number;
  done: number;
  missing: number[];
  failed: { batch: number; reason: string }[];
  docs: number;
  bytes: number;
  expectedDocs: number;
  difference: number;
  /** --check-counts records whose server count differs from the documents written (not a failure: live writes). */
  countMismatches?: CountMismatch[];
}

/** The join step: every batch of a plan against its record (size, and sha256 unless `hash` is false). */
export async function verifyPlan(
  d: Destination,
  plan: PlanFile,
  options: { hash: boolean; onChecked?: (checked: number, bytes: number) => void },
): Promise<VerifyReport> {
  let checked = 0;
  let done = 0;
  const missing: number[] = [];
  const failed: VerifyReport['failed'] = [];
  let docs = 0;
  let bytes = 0;
  const records: (BatchRecord | undefined)[] = [];
  for (const b of plan.batches) {
    const c = await d.checkBatch(plan, b.index, options);
    if (c.ok) {
      records[b.index] = c.record;
      done++;
      docs += c.record.docs;
      bytes += c.record.bytes;
    } else if (c.reason === 'no record') missing.push(b.index);
    else failed.push({ batch: b.index, reason: c.reason });
    options.onChecked?.(++checked, bytes);
  }
  const complete = done === plan.batches.length;
  return {
    complete,
    planId: plan.planId,
    batches: plan.batches.length,
    done,
    missing,
    failed,
    docs,
    bytes,
    expectedDocs: plan.expectedDocs,
    difference: docs - plan.expectedDocs,
    ...(records.some((r) => r?.serverCount !== undefined) ? { countMismatches: countMismatches(records) } : {}),
  };
}

/**
 * What an earlier run finished (a resumed run): `records[i]` for each batch whose file and record check out, sha256
 * included; undefined for the others, which must run again.
 */
export async function doneRecords(
  d: Destination,
  plan: PlanFile,
  onChecked?: (checked: number, done: number, bytes: number) => void,
): Promise<(BatchRecord | undefined)[]> {
  const records: (BatchRecord | undefined)[] = new Array(plan.batches.length);
  let checked = 0;
  let done = 0;
  let bytes = 0;
  for (const b of plan.batches) {
    const c = await d.checkBatch(plan, b.index, { hash: true });
    checked++;
    if (c.ok) {
      records[b.index] = c.record;
      done++;
      bytes += c.record.bytes;
    }
    onChecked?.(checked, done, bytes);
  }
  return records;
}

/** 1,2,3,7 → "1-3, 7" */
export function ranges(ns: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    out.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return out.join(', ');
}
