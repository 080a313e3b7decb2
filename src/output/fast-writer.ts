import { once } from 'node:events';
import { WriteStream } from 'node:fs';
import type { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { ExtractError } from '../errors.js';
import type { OutputOptions } from '../plan/model.js';
import { HashCounter } from './atomic-file.js';
import { compressionOf, compressor } from './compression.js';
import { type Framing, framingOf, indentJson } from './framing.js';
import { decimal128Text } from './go-format.js';
import { csvFields, writeCsvRow } from './raw-csv.js';
import { type EjsonOptions, type EjsonTarget, InvalidUtf8Error, roomIn, writeEjson } from './raw-ejson.js';
import type { DocSink, SinkTotals } from './writers.js';

/** Text is gathered into chunks of this size before it goes down the stream: few big writes beat many small ones. */
const CHUNK = 1 << 20;
/** Chunks kept for reuse. */
const POOL_MAX = 4;

const EMPTY = Buffer.alloc(0);

function put(t: EjsonTarget, bytes: Buffer): void {
  if (bytes.length === 0) return;
  roomIn(t, bytes.length);
  for (let i = 0; i < bytes.length; i++) t.buf[t.pos++] = bytes[i]!;
}

/**
 * Chunks of memory for the text, reused once nothing will read them again: with gzip, once zlib has consumed a
 * chunk (its write calls back); without, once a file stream has written it (its bytesWritten has passed the chunk's
 * end; HashCounter only hashes and passes chunks on). Any other destination may keep the chunks it is given, so it
 * gets fresh ones. Reused memory is much cheaper than fresh memory on these machines.
 */
class ChunkPool {
  private readonly pool: Buffer[] = [];
  private readonly inFlight: { buf: Buffer; end: number }[] = [];
  private handed: number;

  constructor(private readonly file: WriteStream | undefined) {
    this.handed = file ? file.bytesWritten + file.writableLength : 0;
  }

  take(): Buffer {
    const file = this.file;
    if (file) {
      while (this.inFlight.length > 0 && this.inFlight[0]!.end <= file.bytesWritten)
        this.give(this.inFlight.shift()!.buf);
    }
    return this.pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
  }

  give(buf: Buffer): void {
    if (this.pool.length < POOL_MAX) this.pool.push(buf);
  }

  /** A chunk of `length` bytes of `buf` went to the stream: reusable later if a file stream writes it. */
  handedOver(buf: Buffer, length: number): void {
    this.handed += length;
    if (this.file && buf.length === CHUNK) this.inFlight.push({ buf, end: this.handed });
  }
}

/**
 * A DocSink whose `write` takes raw BSON documents (a cursor opened with `raw: true`) and turns them into Extended
 * JSON with `writeEjson` straight into ~1 MB chunks: no document is deserialized and no per-document string is
 * made. A JSON array is framed as JSONStream frames one (`[\n`, `\n,\n`, `\n]\n`), NDJSON is one document per line;
 * gzip level 6; bytes and sha256 counted after compression. Plain (deserialized) documents work too: they are
 * serialized back to BSON first.
 *
 * Memory stays bounded: one chunk is being filled at a time, and `write` returns false whenever the stream wants
 * the caller to wait (`drained()`).
 */
class FastSink implements DocSink {
  readonly done: Promise<void>;
  private readonly counter = new HashCounter();
  private readonly gzip: Transform | undefined;
  private readonly head: Writable;
  private readonly framing: Framing;
  private readonly encode: (bson: Uint8Array, t: EjsonTarget) => void;
  private readonly chunks: ChunkPool;
  private readonly target: EjsonTarget;
  private docs = 0;

  constructor(dest: Writable, output: OutputOptions, framing?: Framing) {
    this.framing = framing ?? framingOf(output);
    this.encode = encoderFor(output);
    const c = compressionOf(output);
    this.gzip = c ? compressor(c) : undefined;
    this.head = this.gzip ?? this.counter;
    const stages = this.gzip ? [this.gzip, this.counter, dest] : [this.counter, dest];
    this.done = (pipeline as (streams: readonly unknown[]) => Promise<void>)(stages);
    this.done.catch(() => {}); // observed through `end()` / `done` / `drained()`
    this.chunks = new ChunkPool(!this.gzip && dest instanceof WriteStream ? dest : undefined);
    this.target = { buf: this.chunks.take(), pos: 0, invalidUtf8: 0 };
  }

  /** Hand the filled part of the chunk to the stream; false if the stream asks us to wait. */
  private flush(last = false): boolean {
    const t = this.target;
    if (t.pos === 0) return !this.head.writableNeedDrain;
    const buf = t.buf;
    const chunk = buf.subarray(0, t.pos);
    let ok: boolean;
    if (this.gzip && buf.length === CHUNK) {
      ok = this.head.write(chunk, () => this.chunks.give(buf));
    } else {
      ok = this.head.write(chunk);
      this.chunks.handedOver(buf, chunk.length); // the stream owns this memory now, unless it is a file's
    }
    t.buf = last ? EMPTY : this.chunks.take();
    t.pos = 0;
    return ok;
  }

  write(doc: Uint8Array | Document): boolean {
    if (this.head.destroyed) return false;
    const t = this.target;
    const bson = doc instanceof Uint8Array ? doc : BSON.serialize(doc);
    let ok = true;
    // Start a new chunk unless this one surely has room: writeEjson asks for up to 6 bytes per BSON byte before
    // writing a string (the worst case, escapes) and moves everything to a bigger buffer when it does not get
    // it. A document too big for an empty chunk grows one of its own.
    if (t.pos > 0 && t.pos + 6 * bson.length + 1024 > t.buf.length) ok = this.flush();
    const start = t.pos;
    try {
      put(t, this.docs === 0 ? this.framing.open : this.framing.sep);
      this.encode(bson, t);
      put(t, this.framing.after);
    } catch (err) {
      t.pos = start;
      this.head.destroy(err instanceof InvalidUtf8Error ? strictUtf8Error(bson, this.docs, err) : (err as Error));
      return false;
    }
    this.docs++;
    if (t.pos >= t.buf.length - 1024) ok = this.flush() && ok;
    return ok && !this.head.writableNeedDrain;
  }

  async drained(): Promise<void> {
    if (this.head.destroyed) return this.done;
    if (this.head.writableNeedDrain) await Promise.race([once(this.head, 'drain'), this.done]);
  }

  async end(): Promise<SinkTotals> {
    if (!this.head.destroyed) {
      put(this.target, this.docs === 0 ? this.framing.empty : this.framing.close);
      this.flush(true);
      this.head.end();
    }
    await this.done;
    return {
      bytes: this.counter.bytes,
      sha256: this.counter.hash.digest('hex'),
      invalidUtf8: this.target.invalidUtf8 ?? 0,
    };
  }

  destroy(err: Error): void {
    this.head.destroy(err);
  }
}

/** How one document becomes bytes: Extended JSON (indented for mongoexport's --pretty), or a CSV record. */
function encoderFor(output: OutputOptions): (bson: Uint8Array, t: EjsonTarget) => void {
  if (output.format === 'csv') {
    const fields = csvFields(output.csvFields ?? []);
    return (bson, t) => writeCsvRow(bson, fields, decimal128Text, t);
  }
  const options: EjsonOptions = { wrapLongs: output.longs !== 'number', strictUtf8: output.strictUtf8 === true };
  const mode = output.ejson;
  if (!output.mongoexport?.pretty) return (bson, t) => writeEjson(bson, mode, t, options);
  return (bson, t) => {
    const start = t.pos;
    writeEjson(bson, mode, t, options);
    const pretty = indentJson(t.buf.subarray(start, t.pos));
    t.pos = start;
    put(t, pretty);
  };
}

/** --strict-utf8 refused a document: say which. */
function strictUtf8Error(bson: Uint8Array, index: number, cause: Error): ExtractError {
  let id = '';
  try {
    const doc = BSON.deserialize(bson, { validation: { utf8: false }, promoteValues: false });
    if ('_id' in doc) id = ` (_id ${BSON.EJSON.stringify(doc._id, { relaxed: false })})`;
  } catch {
    // the _id is only a help for the message
  }
  return new ExtractError(
    'FAILED',
    `document ${index + 1} of the batch${id} holds a string or field name that is not valid UTF-8; --strict-utf8 refuses it (without it, each bad byte is written as \\ufffd, as mongoexport does)`,
    { cause },
  );
}

/** The fast writer: see FastSink. The caller must open its cursor with `raw: true` to get raw documents. */
export const createFastSink = (dest: Writable, output: OutputOptions, framing?: Framing): DocSink =>
  new FastSink(dest, output, framing);
