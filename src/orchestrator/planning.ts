import { quickPlan } from '../db/compute-plan.js';
import { connectShown } from '../db/connect.js';
import { usage } from '../errors.js';
import { silentLogger } from '../log.js';
import { writeFileAtomic } from '../output/atomic-file.js';
import type { Destination } from '../output/destination.js';
import { PLAN_FILE } from '../output/layout.js';
import { planFileIn } from '../output/local-destination.js';
import { renderMakefile, renderS3Makefile } from '../output/makefile.js';
import { isS3 } from '../output/s3-destination.js';
import { describePlan } from '../plan/describe.js';
import type { PlanFile, PlanRequest } from '../plan/model.js';
import { decodeQuery, selectionDiff } from '../plan/plan-file.js';
import { type Display, displayFor } from '../progress.js';
import { planInProcess } from './plan-process.js';
import { count } from './progress.js';

export interface PlanStep {
  destination: Destination;
  /** What to plan; for a resumed run, what the user named (undefined: take everything from the plan). */
  request: PlanRequest | undefined;
  /** With a request and a plan to resume: the selection options the user gave, compared with the plan's. */
  given?: ReadonlySet<string>;
  uri: string;
  connectTimeout: number;
  signal: AbortSignal;
  /** Reuse a plan the destination holds (extract-all --resume); otherwise a plan there is refused. */
  resume: boolean;
  /** What to tell a user whose destination holds a plan already (default: pass --resume, or another --out). */
  existingHint?: string;
  /** Export again into a destination that holds an export: a new plan replaces it (see Destination.retireEarlier). */
  overwrite?: boolean;
  /** Said once an earlier export has been retired. */
  onRetired?: (files: number, earlier: PlanFile) => void;
  /** Where the connect and plan phases are shown (default: nowhere). */
  display?: Display;
  /** The command, for the lines it prints. */
  name?: string;
}

export interface PlanOutcome {
  plan: PlanFile;
  /** false: the destination's plan was reused. */
  fresh: boolean;
}

/**
 * The planning step of extract-plan and extract-all: reuse the destination's plan (with --resume, when it is the
 * export asked for) or compute one and write it before any batch runs. Undefined: interrupted while planning.
 */
export async function planStep(step: PlanStep): Promise<PlanOutcome | undefined> {
  const { destination: d } = step;
  const existing = await d.readPlan();
  if (existing && !step.overwrite) return { plan: reuse(step, existing), fresh: false };
  if (!step.request) throw usage(`--resume: ${d.pathOf(PLAN_FILE)} does not exist; nothing to resume`);
  const stray = existing ? [] : await d.strayBatchFiles();
  if (stray.length > 0)
    throw usage(`${d.location} holds ${stray.length} batch file(s) but no plan.json; use an empty directory`);
  const plan = await computePlanOnce(step, step.request);
  if (!plan) return undefined;
  if (existing) step.onRetired?.(await d.retireEarlier(plan), existing);
  await d.writePlan(plan);
  return { plan, fresh: true };
}

function reuse(step: PlanStep, plan: PlanFile): PlanFile {
  const where = step.destination.location;
  const what = `${plan.source.db}.${plan.source.collection} (plan ${plan.planId})`;
  if (!step.resume) {
    throw usage(
      `${where} already holds an extraction of ${what}; ${step.existingHint ?? 'pass --resume to finish it, --overwrite to export it again, or use another --out'}`,
    );
  }
  if (step.request) {
    const diffs = resumeDiff(plan, step.request, step.given ?? new Set());
    if (diffs.length > 0) {
      throw usage(
        `${where} holds the plan of another extraction (${plan.source.db}.${plan.source.collection}; differs in ${diffs.join(', ')}); use another --out, or --resume without those options to finish that one`,
      );
    }
  }
  return plan;
}

const pick = <T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Pick<T, K>;

/**
 * Where a resumed run's request differs from the plan: the source always, the other parts only where the user
 * named them (what they leave out is taken from the plan).
 */
function resumeDiff(plan: PlanFile, req: PlanRequest, given: ReadonlySet<string>): string[] {
  const asked = {
    source: req.source,
    query: given.has('query') ? req.query : decodeQuery(plan.query),
    fields: given.has('fields') ? req.fields : plan.fields,
    output: {
      format: given.has('format') ? req.output.format : plan.output.format,
      ejson: given.has('ejson') ? req.output.ejson : plan.output.ejson,
      gzip: given.has('gzip') || given.has('compress') ? req.output.gzip : plan.output.gzip,
      ...((given.has('gzip') || given.has('compress') ? req.output.zstd : plan.output.zstd) ? { zstd: true } : {}),
      ...((given.has('strict-utf8') ? req.output.strictUtf8 : plan.output.strictUtf8) ? { strictUtf8: true } : {}),
      ...(plan.output.longs ? { longs: plan.output.longs } : {}),
      // CSV's columns are --fields; the layout (mpe-export's framing and order) is named by every mpe-export call
      ...(given.has('fields') ? pick(req.output, 'csvFields') : pick(plan.output, 'csvFields')),
      ...(given.has('layout')
        ? pick(req.output, 'mongoexport', 'sortById')
        : pick(plan.output, 'mongoexport', 'sortById')),
    },
  };
  return selectionDiff(plan, asked);
}

/**
 * Metadata first, here (an empty collection, a view, a collection that fits one batch need no walk: no process to
 * start for a small export); a walk of the `_id` index runs in a process of its own (src/orchestrator/
 * plan-process.ts), whose memory goes with it.
 */
async function computePlanOnce(step: PlanStep, req: PlanRequest): Promise<PlanFile | undefined> {
  const display = step.display ?? displayFor(silentLogger);
  const name = step.name ?? 'extract';
  const client = await connectShown(display, step.uri, step.connectTimeout);
  const { db, collection } = req.source;
  let started = performance.now();
  const activity = display.begin('plan', `planning ${db}.${collection}: reading the collection's metadata`);
  let plan: PlanFile | undefined;
  try {
    try {
      plan = await quickPlan(client, req);
    } finally {
      await client.close().catch(() => {});
    }
    if (!plan && !step.signal.aborted) {
      const onConnected = () => {
        started = performance.now();
      };
      const onKeys = (keys: number, batches: number) => {
        const seconds = (performance.now() - started) / 1000;
        activity.update(
          `planning ${db}.${collection} · walked ${count(keys)} _id keys · ${count(keys / Math.max(seconds, 0.001))} keys/s · ${count(batches)} batches cut`,
          { keys, batches },
        );
      };
      const walk = {
        uri: step.uri,
        req,
        connectTimeout: step.connectTimeout,
        signal: step.signal,
        onConnected,
        onKeys,
      };
      plan = await planInProcess(walk).catch((err: unknown) => {
        if (step.signal.aborted) return undefined;
        throw err;
      });
    }
  } catch (err) {
    activity.end();
    throw err;
  }
  if (!plan) {
    activity.end();
    return undefined;
  }
  activity.end(`${name}: planned ${describePlan(plan)} in ${plan.method.seconds.toFixed(1)} s`, {
    batches: plan.batches.length,
    expectedDocs: plan.expectedDocs,
    method: plan.method.name,
  });
  for (const note of plan.method.notes) display.debug(`${name}: plan: ${note}`);
  return plan;
}

export interface PlanOnly extends Omit<PlanStep, 'resume'> {
  request: PlanRequest;
  /** Also write a Makefile fragment here, with one target per batch. */
  makefile?: string;
}

/** extract-plan: lock the destination, plan into it, and optionally write the Makefile that runs the batches. */
export async function planExport(p: PlanOnly): Promise<PlanFile | undefined> {
  const d = p.destination;
  await d.prepare();
  const lock = await d.lock();
  let planned: PlanOutcome | undefined;
  try {
    planned = await planStep({
      ...p,
      resume: false,
      existingHint: p.existingHint ?? '--overwrite to plan it again, or use another --out',
    });
    if (!planned) return undefined;
    if (p.makefile) {
      const text = isS3(d.location)
        ? renderS3Makefile(planned.plan, planFileIn(d))
        : renderMakefile(planned.plan, { dir: d.location });
      await writeFileAtomic(p.makefile, text);
    }
    return planned.plan;
  } finally {
    await lock.release();
    if (!planned) await d.discardIfUnused();
  }
}
