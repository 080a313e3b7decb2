import type { Batch } from './model.js';
import { classOf, classRank, TYPE_CLASSES, typeClass } from './type-classes.js';

/**
 * Cuts a stream of `_id` keys, in ascending BSON order, into batches of at most `batchSize` keys.
 * A new batch starts at every change of type class, so no range ever spans two classes.
 * Pure: feed it keys from an index walk or a sorted sample.
 */
export class BatchCutter {
  private readonly batches: Batch[] = [];
  private current: Batch | undefined;
  private readonly counts: Record<string, number> = {};
  private lastRank = -1;
  private lastOrder: number | string | undefined;
  keys = 0;

  /** Batches cut so far, the one being filled included (it is in `batches` from its first key). */
  get cut(): number {
    return this.batches.length;
  }

  constructor(
    private readonly batchSize: number,
    /** $type aliases the server understands; others are dropped from `types`. */
    private readonly supported: (alias: string) => boolean = () => true,
    /** Keys each pushed key stands for (a sample: collection size / sample size). */
    private readonly weight = 1,
  ) {
    if (!(batchSize >= 1)) throw new RangeError(`batchSize: expected a positive number, got ${batchSize}`);
  }

  push(key: unknown): void {
    const cls = classOf(key);
    if (cls === 'array') throw new Error('an _id cannot be an array');
    const rank = classRank(cls);
    if (rank < this.lastRank)
      throw new Error(`keys out of BSON order: ${cls} after ${TYPE_CLASSES[this.lastRank]?.name}`);
    const order = orderKey(key);
    if (rank === this.lastRank && order !== undefined && this.lastOrder !== undefined && order < this.lastOrder) {
      throw new Error(`keys out of BSON order within ${cls}`);
    }
    this.lastOrder = order;
    this.keys++;
    this.counts[cls] = (this.counts[cls] ?? 0) + this.weight;
    const cur = this.current;
    if (!cur || cur.class !== cls) {
      this.startBatch(cls, undefined);
    } else if (cur.estimatedDocs + this.weight > this.batchSize && typeClass(cls).rangeable) {
      cur.max = key;
      this.startBatch(cls, key);
    }
    this.lastRank = rank;
    this.current!.estimatedDocs += this.weight;
  }

  private startBatch(cls: string, min: unknown): void {
    const batch: Batch = { index: this.batches.length, class: cls, types: this.aliases(cls), estimatedDocs: 0 };
    if (min !== undefined) batch.min = min;
    this.batches.push(batch);
    this.current = batch;
  }

  private aliases(cls: string): string[] {
    return typeClass(cls).aliases.filter(this.supported);
  }

  /**
   * The batches; the last one also takes every type class the keys did not show (if the server has any), rather
   * than a batch of its own: one process and, on servers that scan for every range, one pass fewer.
   */
  finish(): { batches: Batch[]; idClasses: Record<string, number> } {
    const batches = this.batches.map((b) => ({ ...b }));
    const last = batches.at(-1);
    if (last) {
      const unseen = TYPE_CLASSES.filter((c) => !(c.name in this.counts)).flatMap((c) =>
        c.aliases.filter(this.supported),
      );
      if (unseen.length > 0) last.alsoTypes = unseen;
    }
    for (const b of batches) b.estimatedDocs = Math.round(b.estimatedDocs);
    return { batches, idClasses: { ...this.counts } };
  }
}

/**
 * A comparable stand-in for keys whose order is fixed (numbers, ObjectIds, dates), to catch unsorted input.
 * Strings are not checked: a collection's collation decides their order. Large Int64s compare approximately,
 * so only a clear step backwards is reported.
 */
function orderKey(key: unknown): number | string | undefined {
  if (typeof key === 'number') return key;
  if (key instanceof Date) return key.getTime();
  const t = (key as { _bsontype?: string } | null)?._bsontype;
  if (t === 'Int32' || t === 'Double') return (key as { value: number }).value;
  if (t === 'Long') return (key as { toNumber(): number }).toNumber();
  if (t === 'ObjectId') return (key as { toHexString(): string }).toHexString();
  return undefined;
}
