import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ExtractError, outputError } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import { openAtomic, removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import type { BatchWriter, Destination, DestinationLock } from './destination.js';
import { acquireLock } from './dir-lock.js';
import {
  BATCH_OR_RECORD,
  batchFileName,
  batchPath,
  DATA_FILE,
  MANIFEST_FILE,
  PLAN_FILE,
  RECORD_FILE,
} from './layout.js';
import type { Manifest } from './manifest.js';
import { readPlan, readPlanIn, writePlan } from './plan-store.js';
import { publishBatch } from './publish.js';
import { checkBatch, readRecord } from './record.js';
import { isS3, S3Destination } from './s3-destination.js';

/** An export in a local directory: every file appears by rename, so nothing partial ever has a final name. */
export class LocalDestination implements Destination {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  pathOf(name: string): string {
    return join(this.location, name);
  }

  /** The top-most directory `prepare` created (undefined: it existed). */
  private created: string | undefined;

  async prepare(): Promise<void> {
    const dir = this.location;
    try {
      const existing = await stat(dir).catch(() => undefined);
      if (existing && !existing.isDirectory()) {
        throw new ExtractError(
          'OUTPUT',
          `--out ${dir} is a file, not a directory: name a directory (it is created if missing)`,
        );
      }
      if (!existing) this.created = await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (err) {
      throw outputError(err, dir);
    }
  }

  async discardIfUnused(): Promise<void> {
    if (!this.created) return;
    // from the deepest up to what was created; rmdir refuses a directory that is not empty, which is kept
    for (let dir = this.location; dir.length >= this.created.length; dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return;
      if (dir === this.created) break;
    }
    this.created = undefined;
  }

  async retireEarlier(plan: PlanFile): Promise<number> {
    const keep = new Set(plan.batches.map((b) => batchFileName(plan, b.index)));
    const names = await readdir(this.location);
    const old = names.filter((n) => RECORD_FILE.test(n) || n === MANIFEST_FILE || (DATA_FILE.test(n) && !keep.has(n)));
    // records first: from the first removal on, nothing vouches for a file of the earlier export
    old.sort((a, b) => Number(!RECORD_FILE.test(a)) - Number(!RECORD_FILE.test(b)));
    for (const n of old) await rm(join(this.location, n), { force: true });
    return old.length;
  }

  lock(): Promise<DestinationLock> {
    return acquireLock(this.location);
  }

  readPlan(): Promise<PlanFile | undefined> {
    return readPlanIn(this.location);
  }

  writePlan(plan: PlanFile): Promise<void> {
    return writePlan(this.location, plan);
  }

  async strayBatchFiles(): Promise<string[]> {
    return (await readdir(this.location)).filter((n) => BATCH_OR_RECORD.test(n));
  }

  removeStale(): Promise<number> {
    return removeStaleTemps(this.location);
  }

  async openBatch(plan: PlanFile, index: number): Promise<BatchWriter> {
    const file = await openAtomic(batchPath(this.location, plan, index));
    return {
      stream: file.createStream(),
      // data file and record are published together under a per-batch lock: the same batch may run twice at once
      publish: (record) => publishBatch(this.location, plan, index, file, record),
      abort: () => file.abort(),
      abortNow: () => file.abortNow(),
    };
  }

  readRecord(plan: PlanFile, index: number) {
    return readRecord(this.location, plan, index);
  }

  checkBatch(plan: PlanFile, index: number, options: { hash: boolean }) {
    return checkBatch(this.location, plan, index, options);
  }

  writeManifest(manifest: Manifest): Promise<void> {
    return writeFileAtomic(this.pathOf(MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  }

  async readRange(name: string, start: number, end: number): Promise<Readable> {
    const path = this.pathOf(name);
    const range = Number.isFinite(end) ? { start, end: end - 1 } : { start };
    const stream = createReadStream(path, { ...range, highWaterMark: 1 << 20 });
    await once(stream, 'open').catch((err: unknown) => Promise.reject(outputError(err, path)));
    return stream;
  }
}

/** The destination `--out` names (a directory, or `s3://bucket/prefix/`), or the one holding a plan file. */
export const destinationAt = (location: string): Destination =>
  isS3(location) ? new S3Destination(location) : new LocalDestination(location);

/** A plan named by `--plan FILE` (a local path, or `s3://bucket/prefix/plan.json`) and the destination holding it. */
export async function planAt(planPath: string): Promise<{ plan: PlanFile; destination: Destination; path: string }> {
  if (!isS3(planPath)) {
    const path = resolve(planPath);
    return { plan: await readPlan(path), destination: destinationAt(dirname(path)), path };
  }
  if (!planPath.endsWith(`/${PLAN_FILE}`))
    throw new ExtractError('USAGE', `--plan ${planPath}: an S3 plan is s3://BUCKET/PREFIX/${PLAN_FILE}`);
  const destination = new S3Destination(planPath.slice(0, -PLAN_FILE.length));
  const plan = await destination.readPlan();
  if (!plan) throw new ExtractError('USAGE', `cannot read plan ${planPath}: no such object`);
  return { plan, destination, path: planPath };
}

/** The plan file's name in every destination. */
export const planFileIn = (d: Destination): string => d.pathOf(PLAN_FILE);
