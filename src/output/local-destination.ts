import { access, constants, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExtractError, outputError } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import { openAtomic, removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import type { BatchWriter, Destination, DestinationLock } from './destination.js';
import { acquireLock } from './dir-lock.js';
import { BATCH_OR_RECORD, batchPath, MANIFEST_FILE, PLAN_FILE } from './layout.js';
import type { Manifest } from './manifest.js';
import { readPlanIn, writePlan } from './plan-store.js';
import { publishBatch } from './publish.js';
import { checkBatch, readRecord } from './record.js';

/** An export in a local directory: every file appears by rename, so nothing partial ever has a final name. */
export class LocalDestination implements Destination {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  pathOf(name: string): string {
    return join(this.location, name);
  }

  async prepare(): Promise<void> {
    const dir = this.location;
    try {
      await mkdir(dir, { recursive: true });
      if (!(await stat(dir)).isDirectory()) throw new ExtractError('OUTPUT', `--out ${dir} is not a directory`);
      await access(dir, constants.W_OK);
    } catch (err) {
      throw outputError(err, dir);
    }
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
}

/** The destination `--out` names (a directory), or the one holding a plan file. */
export const destinationAt = (location: string): Destination => new LocalDestination(location);

/** The plan file's name in every destination. */
export const planFileIn = (d: Destination): string => d.pathOf(PLAN_FILE);
