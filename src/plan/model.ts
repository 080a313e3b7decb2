import type { Document } from 'mongodb';

export const PLAN_FORMAT = 'mongo-parallel-extract/plan@1';

export type OutputFormat = 'json' | 'ndjson' | 'csv';
export type EjsonMode = 'relaxed' | 'canonical';

/** How batch files are written; part of the plan so every process writes the same way. */
export interface OutputOptions {
  format: OutputFormat;
  ejson: EjsonMode;
  gzip: boolean;
  /** zstd instead (--compress zstd; `gzip` is then false). Absent: not zstd. */
  zstd?: boolean;
  /** Invalid UTF-8 in a string or field name fails the batch instead of being written as `\ufffd` (--strict-utf8). */
  strictUtf8?: boolean;
  /** 'number': a relaxed Int64 beyond ±(2^53-1) as a bare number, as mongoexport writes it; absent: `$numberLong`. */
  longs?: 'number';
  /** CSV: the fields, as given (dotted paths; a header cell each). */
  csvFields?: string[];
  /** mpe-export: mongoexport's layout; every batch file is a piece of one file, put together in plan order. */
  mongoexport?: MongoexportLayout;
  /** Documents in `_id` order even in a batch without `_id` bounds (mongoexport --sort '{"_id":1}'). */
  sortById?: boolean;
}

/** How mongoexport lays out one output file (--jsonArray, --pretty, --noHeaderLine). */
export interface MongoexportLayout {
  jsonArray: boolean;
  pretty: boolean;
  /** CSV: the header line first (no --noHeaderLine). */
  header: boolean;
}

/** Documents per batch when neither --batch-size nor --batches is given. */
export const DEFAULT_BATCH_SIZE = 100_000;

export interface Source {
  db: string;
  collection: string;
}

/**
 * What an export reads and how it writes it: everything that decides the bytes of its files. The query holds BSON
 * values where it was parsed from an option, canonical Extended JSON where it was read from a plan file.
 */
export interface Selection {
  source: Source;
  query: Document | null;
  fields: string[] | null;
  output: OutputOptions;
}

export type PlanMethodName = 'auto' | 'scan' | 'sample';

/** What a user asks a planner for. */
export interface PlanRequest extends Selection {
  batchSize?: number | undefined;
  batches?: number | undefined;
  /** About this many bytes of BSON per batch: the documents per batch follow from the average document size. */
  batchBytes?: number | undefined;
  method: PlanMethodName;
  /** Read every batch at one cluster time (MongoDB replica sets and sharded clusters). */
  snapshot?: boolean;
  /** The walk of the `_id` index reads at most this many keys a second (extract-all's --max-docs-per-second). */
  maxKeysPerSecond?: number | undefined;
}

/**
 * One batch: the documents whose `_id` is of one BSON type class and within [min, max).
 * An absent min or max is open to the end of the class. `types` are the $type aliases of the class
 * (only those the server understands).
 */
export interface Batch<V = unknown> {
  index: number;
  class: string;
  types: string[];
  min?: V;
  max?: V;
  /**
   * The last batch of a plan also takes every `_id` of these $type aliases: the classes the plan did not see, so
   * that a document with a new kind of `_id` inserted during the run still lands in exactly one batch.
   */
  alsoTypes?: string[];
  /** Keys counted in this range at plan time. */
  estimatedDocs: number;
}

/** What the plan file says about how it was computed, so a user can see why batches look as they do. */
export interface PlanMethod {
  name: 'scan' | 'sample' | 'single';
  batchSize: number;
  idClasses: Record<string, number>;
  keysRead: number;
  /** Average document size from $collStats, when the server tells: sizes each cursor batch. */
  avgDocBytes?: number;
  /**
   * A single batch because the collection fits one (its metadata count, the batch size) or because `--batches 1`
   * asked for one (`asked`); null: a view.
   */
  fits?: { estimate: number; batchSize: number; asked?: true } | null;
  seconds: number;
  notes: string[];
}

/** The plan as stored (bounds and filter in canonical Extended JSON, never credentials). */
export interface PlanFile extends Selection {
  format: typeof PLAN_FORMAT;
  planId: string;
  createdAt: string;
  expectedDocs: number;
  method: PlanMethod;
  /** --snapshot: every batch reads at this cluster time (canonical EJSON Timestamp); null: live reads. */
  snapshot: { atClusterTime: Document } | null;
  batches: Batch<Document>[];
}
