import JSONStream from 'JSONStream';
import { once } from 'node:events';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Document } from 'mongodb';
import type { OutputOptions } from '../plan/model.js';
import { HashCounter } from './atomic-file.js';
import { toEjsonObject, toEjsonText } from './ejson.js';

/** Where documents go: write, wait when told to, and end to learn the bytes and checksum of what was written. */
export interface DocSink {
  /** false: wait for `drained()` before writing more. */
  write(doc: Document): boolean;
  drained(): Promise<void>;
  end(): Promise<{ bytes: number; sha256: string }>;
  /** Fail the pipeline (the destination is left for the caller to discard). */
  destroy(err: Error): void;
  /** Settles when the pipeline fails or completes. */
  readonly done: Promise<void>;
}

/** One document per line. */
class NdjsonEncoder extends Transform {
  constructor(private readonly mode: OutputOptions['ejson']) {
    super({ writableObjectMode: true, writableHighWaterMark: 256 });
  }
  override _transform(doc: Document, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      cb(null, toEjsonText(doc, this.mode) + '\n');
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** JSON array through JSONStream (frames as `[\n`, `\n,\n`, `\n]\n`). JSONStream stringifies plain objects, so each document is turned into its EJSON object first. */
class JsonStreamEncoder extends Transform {
  constructor(private readonly mode: OutputOptions['ejson']) {
    super({ objectMode: true, writableHighWaterMark: 256 });
  }
  override _transform(doc: Document, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      cb(null, toEjsonObject(doc, this.mode));
    } catch (err) {
      cb(err as Error);
    }
  }
}

export function createDocSink(dest: Writable, output: OutputOptions): DocSink {
  const head = output.format === 'ndjson' ? new NdjsonEncoder(output.ejson) : new JsonStreamEncoder(output.ejson);
  const counter = new HashCounter();
  const stages: NodeJS.ReadWriteStream[] = output.format === 'json' ? [JSONStream.stringify()] : [];
  if (output.gzip) stages.push(createGzip({ level: 6 }));
  const done = (pipeline as (streams: readonly unknown[]) => Promise<void>)([head, ...stages, counter, dest]);
  done.catch(() => {}); // observed through `end()` / `done`
  return {
    write: (doc) => head.write(doc),
    drained: async () => {
      await Promise.race([once(head, 'drain'), done]);
    },
    async end() {
      head.end();
      await done;
      return { bytes: counter.bytes, sha256: counter.hash.digest('hex') };
    },
    destroy: (err) => head.destroy(err),
    done,
  };
}
