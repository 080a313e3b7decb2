import type { Readable, Writable } from 'node:stream';
import type { PlanFile } from '../plan/model.js';
import type { Manifest } from './manifest.js';
import type { BatchCheck, BatchRecord } from './record.js';

/** What the bytes of a finished batch came to, as counted while they were written. */
export interface Written {
  bytes: number;
  sha256: string;
  /** Strings and field names that were not valid UTF-8, written as `\ufffd`. */
  invalidUtf8: number;
}

/** A batch being written: data goes into `stream`; `publish` makes data and record appear, `abort` leaves nothing. */
export interface BatchWriter {
  readonly stream: Writable;
  /** Publish the data under its final name, then its record (built from what was written). */
  publish(record: () => BatchRecord): Promise<void>;
  /** Discard what was written; the final name is untouched. */
  abort(): Promise<void>;
  /**
   * Discard synchronously, as far as possible: for a process that must exit now (a signal). What cannot be done
   * synchronously (aborting a multipart upload) is returned, for the process to await briefly before it exits.
   */
  abortNow(): void | Promise<void>;
}

export interface DestinationLock {
  release(): Promise<void>;
  /** The holder that was gone when this run took the lock over. */
  tookOverFrom?: { pid: number; host: string; startedAt: string };
}

/**
 * Where an export's files live: a local directory today (src/output/local-destination.ts). Everything the
 * commands do with their output goes through this seam: plan, batches and their records, manifest, lock, cleanup,
 * verification.
 */
export interface Destination {
  /** The location as the user wrote it, resolved: a directory path. */
  readonly location: string;
  /** Where a file of the destination is, for messages and for the commands printed to rerun a batch. */
  pathOf(name: string): string;
  /** Create it if missing and make sure it can be written. */
  prepare(): Promise<void>;
  /** Remove what `prepare` created, if it is still empty: a run that failed before its plan leaves nothing. */
  discardIfUnused(): Promise<void>;
  /** One orchestrator at a time; a holder that is gone is taken over. */
  lock(): Promise<DestinationLock>;
  readPlan(): Promise<PlanFile | undefined>;
  writePlan(plan: PlanFile): Promise<void>;
  /**
   * Before a new plan replaces an earlier export's (--overwrite): remove everything that vouches for the earlier one
   * (its records, then its manifest) and its batch files the new plan will not name; the others stay until the new
   * batches replace them. Returns how many files went.
   */
  retireEarlier(plan: PlanFile): Promise<number>;
  /** Batch files or records present without a plan (a directory of another export). */
  strayBatchFiles(): Promise<string[]>;
  /** Remove what writers that are gone left half-done. Returns how many were removed. */
  removeStale(): Promise<number>;
  /** Start writing batch `index` of `plan`. */
  openBatch(plan: PlanFile, index: number): Promise<BatchWriter>;
  readRecord(plan: PlanFile, index: number): Promise<BatchRecord | undefined>;
  /** Whether batch `index` is done: its record, and a data file of the recorded size (and sha256, with `hash`). */
  checkBatch(plan: PlanFile, index: number, options: { hash: boolean }): Promise<BatchCheck>;
  writeManifest(manifest: Manifest): Promise<void>;
  /** A batch file's bytes [start, end) (end: Infinity for the rest), for --merge and mpe-export. */
  readRange(name: string, start: number, end: number): Promise<Readable>;
}
