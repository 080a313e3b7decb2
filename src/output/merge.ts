import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { ExtractError } from '../errors.js';
import type { PlanFile } from '../plan/model.js';
import { type Compression, compressionOf, compressor, decompressor } from './compression.js';
import type { Destination } from './destination.js';
import { framingOf, wholeFile } from './framing.js';
import { batchFileName } from './layout.js';
import type { BatchRecord } from './record.js';
import { ranges } from './verify.js';

/**
 * What one file of the merged output is made of: its pieces in order. A batch file's piece is its bytes [start, end)
 * (end: Infinity for all of them); decompressed first with `decompress`, where a negative end holds back that many
 * bytes of the decompressed end.
 */
type Piece = Buffer | { name: string; start: number; end: number; decompress: Compression };

/** Reads a batch file's bytes [start, end) from where the export is (a directory, a bucket). */
export type RangeReader = (name: string, start: number, end: number) => Promise<Readable>;

/** The reader of a destination. */
export const readerOf =
  (d: Destination): RangeReader =>
  (name, start, end) =>
    d.readRange(name, start, end);

/**
 * How batch files become one file, without parsing a document: the bytes of each batch file between its frame,
 * joined as the format joins documents. A mongoexport layout's pieces are joined as mongoexport joins documents;
 * a JSON array drops each file's `[\n` and `\n]\n`; CSV keeps the first header only; NDJSON is plain concatenation
 * (with gzip, gzip members concatenated). gzip JSON and CSV are decompressed and compressed again (their frames are
 * inside the compressed bytes).
 */
export function mergePlan(
  plan: PlanFile,
  records: readonly (BatchRecord | undefined)[],
): { pieces: Piece[]; compress: Compression } {
  const missing = plan.batches.map((b) => b.index).filter((i) => !records[i]);
  if (missing.length > 0) {
    throw new ExtractError(
      'FAILED',
      `the run is not complete: batches ${ranges(missing)} are missing; finish it with --resume before merging`,
    );
  }
  const o = plan.output;
  const full = plan.batches.filter((b) => records[b.index]!.docs > 0).map((b) => b.index);
  const size = (i: number): number => records[i]!.bytes;
  const name = (i: number): string => batchFileName(plan, i);
  const c = compressionOf(o);
  const whole = (i: number): Piece => ({ name: name(i), start: 0, end: size(i), decompress: undefined });
  if (o.mongoexport) {
    const w = wholeFile(o);
    if (full.length === 0) return { pieces: [w.empty], compress: c };
    const pieces: Piece[] = [w.head];
    full.forEach((i, k) => {
      if (k > 0) pieces.push(w.between);
      pieces.push(c ? { name: name(i), start: 0, end: Number.POSITIVE_INFINITY, decompress: c } : whole(i));
    });
    pieces.push(w.foot);
    return { pieces, compress: c };
  }
  if (o.format === 'ndjson') {
    // gzip members concatenated are one gzip file: no recompression. zstd frames concatenated are one zstd file
    // too, but Node's own zstd reads the first frame only: recompressed into one frame, every reader reads it all
    if (c === 'zstd')
      return {
        pieces: full.map((i) => ({ name: name(i), start: 0, end: Number.POSITIVE_INFINITY, decompress: c })),
        compress: c,
      };
    return { pieces: plan.batches.map((b) => whole(b.index)), compress: undefined };
  }
  const f = framingOf(o);
  if (full.length === 0) return { pieces: [f.empty], compress: c };
  const pieces: Piece[] = [f.open];
  full.forEach((i, k) => {
    if (k > 0) pieces.push(f.sep);
    pieces.push(
      c
        ? { name: name(i), start: f.open.length, end: f.close.length > 0 ? -f.close.length : Infinity, decompress: c }
        : { name: name(i), start: f.open.length, end: size(i) - f.close.length, decompress: undefined },
    );
  });
  pieces.push(f.close);
  return { pieces, compress: c };
}

/**
 * Write the pieces into `out` (compressing them when `compress`), honouring backpressure; `out` is not ended.
 * Returns the bytes `out` was given.
 */
export async function writePieces(
  pieces: readonly Piece[],
  read: RangeReader,
  out: Writable,
  compress: Compression | false,
  onBytes?: (bytes: number) => void,
): Promise<number> {
  let bytes = 0;
  const write = async (chunk: Buffer) => {
    bytes += chunk.length;
    onBytes?.(bytes);
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const zip = compress ? compressor(compress) : undefined;
  let zipped = Promise.resolve();
  if (zip) {
    zip.on('data', (c: Buffer) => {
      zipped = zipped.then(() => write(c));
    });
  }
  const done = zip ? new Promise<void>((ok, fail) => zip.once('end', ok).once('error', fail)) : undefined;
  const put = async (chunk: Buffer) => {
    if (chunk.length === 0) return;
    if (!zip) return write(chunk);
    if (!zip.write(chunk)) await once(zip, 'drain');
  };
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) await put(p);
    else await copy(p, read, put);
  }
  if (zip) {
    zip.end();
    await done;
    await zipped;
  }
  return bytes;
}

/** The bytes [start, end) of a file, or of its decompressed bytes (negative end: held back from the end). */
async function copy(
  p: Exclude<Piece, Buffer>,
  read: RangeReader,
  put: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  if (!p.decompress) {
    if (p.end <= p.start) return;
    for await (const chunk of await read(p.name, p.start, p.end)) await put(chunk as Buffer);
    return;
  }
  // decompressed: hold back the last |end| bytes (the closing frame) and skip the first `start`
  const hold = p.end < 0 ? -p.end : 0;
  let skip = p.start;
  let tail = Buffer.alloc(0);
  for await (const chunk of (await read(p.name, 0, Number.POSITIVE_INFINITY)).pipe(decompressor(p.decompress))) {
    let c = Buffer.concat([tail, chunk as Buffer]);
    if (skip > 0) {
      const n = Math.min(skip, c.length);
      c = c.subarray(n);
      skip -= n;
    }
    const keep = Math.min(hold, c.length);
    tail = Buffer.from(c.subarray(c.length - keep));
    await put(c.subarray(0, c.length - keep));
  }
}

/**
 * mpe-export to standard output: each batch's piece goes out as soon as every batch before it is done, so the
 * stream is in plan order (`_id` order) from the first finished batch on.
 */
export class StreamedMerge {
  private next = 0;
  private wrote = false;
  private readonly ready = new Map<number, BatchRecord>();
  private chain: Promise<void> = Promise.resolve();
  private readonly whole: ReturnType<typeof wholeFile>;

  constructor(
    private readonly plan: PlanFile,
    private readonly destination: Destination,
    private readonly out: Writable,
  ) {
    this.whole = wholeFile(plan.output);
  }

  /** Batch `index` is done: write it, and whatever waited for it, in order. */
  batchDone(index: number, record: BatchRecord): Promise<void> {
    this.ready.set(index, record);
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  private async drain(): Promise<void> {
    while (this.ready.has(this.next)) {
      const rec = this.ready.get(this.next)!;
      this.ready.delete(this.next);
      if (rec.docs > 0) {
        const pieces: Piece[] = [this.wrote ? this.whole.between : this.whole.head];
        pieces.push({ name: batchFileName(this.plan, this.next), start: 0, end: rec.bytes, decompress: undefined });
        await writePieces(pieces, readerOf(this.destination), this.out, false);
        this.wrote = true;
      }
      this.next++;
    }
  }

  /** Every batch is done: close the file (or write what an empty result is). */
  async finish(): Promise<void> {
    await this.chain;
    if (this.next !== this.plan.batches.length)
      throw new Error(`StreamedMerge: ${this.plan.batches.length - this.next} batches not written`);
    await writePieces([this.wrote ? this.whole.foot : this.whole.empty], readerOf(this.destination), this.out, false);
  }
}
