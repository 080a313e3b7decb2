import { once } from 'node:events';
import { WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Document } from 'mongodb';
import type { OutputOptions } from '../plan/model.js';
import { HashCounter } from './atomic-file.js';
import { toEjsonText } from './ejson.js';
import { type EjsonTarget, writeEjson } from './raw-ejson.js';
import type { DocSink } from './writers.js';

/** A DocSink whose `write` takes raw BSON documents (a cursor opened with `raw: true`); plain documents work too. */
export interface RawDocSink extends DocSink {
  /** false: wait for `drained()` before writing more. */
  write(doc: Uint8Array | Document): boolean;
}

/** Text is gathered into chunks of this size before it goes down the stream: few big writes beat many small ones. */
const CHUNK = 1 << 20;
/** Chunks kept for reuse. */
const POOL_MAX = 4;

const OPEN = Buffer.from('[\n');
const SEP = Buffer.from('\n,\n');
const CLOSE = Buffer.from('\n]\n');
const EMPTY_CLOSE = Buffer.from('[\n\n]\n');
const NL = 0x0a;
const EMPTY = Buffer.alloc(0);

function put(t: EjsonTarget, bytes: Buffer): void {
  if (t.pos + bytes.length > t.buf.length) {
    const next = Buffer.allocUnsafe(Math.max(t.buf.length, t.pos + bytes.length));
    t.buf.copy(next, 0, 0, t.pos);
    t.buf = next;
  }
  for (let i = 0; i < bytes.length; i++) t.buf[t.pos++] = bytes[i]!;
}

/**
 * Like `createDocSink` (same files byte for byte: JSON array framed as JSONStream does, or NDJSON; gzip level 6;
 * bytes and sha256 counted after compression), but documents are raw BSON turned into Extended JSON by
 * `writeEjson` straight into ~1 MB chunks, so no document is deserialized and no per-document string is made.
 *
 * Memory stays bounded: one chunk is being filled at a time, and `write` returns false whenever the stream wants
 * the caller to wait (`drained()`). Chunks are reused once gzip has consumed them or a file stream has written
 * them; other destinations get fresh chunks (they may keep what they are given).
 *
 * The caller must open its cursor with `raw: true` to get raw documents; deserialized documents are accepted
 * too (written through `toEjsonText`, at the old speed).
 */
export function createFastSink(dest: Writable, output: OutputOptions): RawDocSink {
  const mode = output.ejson;
  const json = output.format === 'json';
  const counter = new HashCounter();
  const gzip = output.gzip ? createGzip({ level: 6 }) : undefined;
  const head: Writable = gzip ?? counter;
  const done = (pipeline as (streams: readonly unknown[]) => Promise<void>)(
    gzip ? [gzip, counter, dest] : [counter, dest],
  );
  done.catch(() => {}); // observed through `end()` / `done` / `drained()`

  // Reused chunks are much cheaper than fresh memory, but a chunk may be reused only once nothing will read it
  // again: with gzip, once zlib has consumed it (its write calls back); without, once a file stream has written
  // it (its bytesWritten has passed the chunk's end; HashCounter only hashes and passes chunks on). Any other
  // destination may keep the chunks it is given, so it gets fresh ones.
  const pool: Buffer[] = [];
  const file = !gzip && dest instanceof WriteStream ? dest : undefined;
  let handed = file ? file.bytesWritten + file.writableLength : 0;
  const inFlight: { buf: Buffer; end: number }[] = [];
  const take = (): Buffer => {
    if (file) {
      while (inFlight.length > 0 && inFlight[0]!.end <= file.bytesWritten) {
        const { buf } = inFlight.shift()!;
        if (pool.length < POOL_MAX) pool.push(buf);
      }
    }
    return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
  };
  const target: EjsonTarget = { buf: take(), pos: 0 };
  let docs = 0;

  /** Hand the filled part of the chunk to the stream; false if the stream asks us to wait. */
  const flush = (last = false): boolean => {
    if (target.pos === 0) return !head.writableNeedDrain;
    const buf = target.buf;
    const chunk = buf.subarray(0, target.pos);
    let ok: boolean;
    if (gzip && buf.length === CHUNK) {
      ok = head.write(chunk, () => {
        if (pool.length < POOL_MAX) pool.push(buf);
      });
    } else {
      ok = head.write(chunk);
      if (file && buf.length === CHUNK) inFlight.push({ buf, end: (handed += chunk.length) });
      else handed += chunk.length; // the stream owns this memory now
    }
    target.buf = last ? EMPTY : take();
    target.pos = 0;
    return ok;
  };

  const fail = (err: unknown): false => {
    head.destroy(err instanceof Error ? err : new Error(String(err)));
    return false;
  };

  return {
    write(doc: Uint8Array | Document): boolean {
      if (head.destroyed) return false;
      let ok = true;
      // Start a new chunk unless this one surely has room: writeEjson asks for up to 6 bytes per BSON byte before
      // writing a string (the worst case, escapes) and moves everything to a bigger buffer when it does not get
      // it. A document too big for an empty chunk grows one of its own.
      const size = doc instanceof Uint8Array ? doc.length : 0;
      if (target.pos > 0 && target.pos + 6 * size + 1024 > target.buf.length) ok = flush();
      const start = target.pos;
      try {
        if (json) put(target, docs === 0 ? OPEN : SEP);
        if (doc instanceof Uint8Array) {
          writeEjson(doc, mode, target);
        } else {
          const text = toEjsonText(doc, mode);
          put(target, Buffer.from(text, 'utf8'));
        }
        if (!json) {
          if (target.pos + 1 > target.buf.length) put(target, Buffer.of(NL));
          else target.buf[target.pos++] = NL;
        }
      } catch (err) {
        target.pos = start;
        return fail(err);
      }
      docs++;
      if (target.pos >= target.buf.length - 1024) ok = flush() && ok;
      return ok && !head.writableNeedDrain;
    },
    drained: async () => {
      if (head.destroyed) return done;
      if (head.writableNeedDrain) await Promise.race([once(head, 'drain'), done]);
    },
    async end() {
      if (!head.destroyed) {
        if (json) put(target, docs === 0 ? EMPTY_CLOSE : CLOSE);
        flush(true);
        head.end();
      }
      await done;
      return { bytes: counter.bytes, sha256: counter.hash.digest('hex') };
    },
    destroy: (err) => head.destroy(err),
    done,
  };
}
