import JSONStream from 'JSONStream';
import { once } from 'node:events';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { ExtractError } from '../errors.js';
import type { OutputOptions } from '../plan/model.js';
import { HashCounter } from './atomic-file.js';
import { compressionOf, compressor } from './compression.js';
import { type EjsonOptions, rawToEjson } from './raw-ejson.js';

/** What a finished sink wrote. */
export interface SinkTotals {
  bytes: number;
  sha256: string;
  /** Strings and field names that were not valid UTF-8, written with `\ufffd` (0 with --strict-utf8: an error). */
  invalidUtf8: number;
}

/** Where documents go: write, wait when told to, and end to learn the bytes and checksum of what was written. */
export interface DocSink {
  /** false: wait for `drained()` before writing more. */
  write(doc: Uint8Array | Document): boolean;
  drained(): Promise<void>;
  end(): Promise<SinkTotals>;
  /** Fail the pipeline (the destination is left for the caller to discard). */
  destroy(err: Error): void;
  /** Settles when the pipeline fails or completes. */
  readonly done: Promise<void>;
}

type RawJson = (text: string) => unknown;
/** JSON.rawJSON (Node 22): a primitive that JSON.stringify writes as the given text. */
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;
type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;

/** Every leaf of the parsed text keeps its exact source text (10.0 stays 10.0, `\u2028` stays escaped). */
const exactLeaves: Reviver = (_key, value, context) =>
  context.source !== undefined && (value === null || typeof value !== 'object') ? rawJSON!(context.source) : value;

/** Why --writer jsonstream cannot run on this Node, or undefined when it can. */
export const jsonStreamUnavailable = (): string | undefined =>
  rawJSON
    ? undefined
    : `--writer jsonstream needs JSON.rawJSON (Node 22 or later; this is Node ${process.versions.node}) to write Extended JSON exactly, such as a Double 10.0; use --writer fast (the default)`;

/** Deserialized as the driver deserializes (values kept exact, invalid UTF-8 decoded rather than refused). */
const DRIVER_READ = {
  promoteValues: false,
  promoteLongs: false,
  promoteBuffers: false,
  bsonRegExp: true,
  validation: { utf8: false },
} as const;

const refusal = (index: number): ExtractError =>
  new ExtractError(
    'USAGE',
    `document ${index + 1} of the batch cannot be held exactly by a JavaScript object (a field name like "2" out of numeric order, a repeated field name, invalid UTF-8, or a value such as a DBPointer the driver converts): --writer jsonstream refuses it; use --writer fast (the default), which writes every document exactly`,
  );

/**
 * The document as the driver's documents hold it, as the Extended JSON object JSONStream stringifies. A JavaScript
 * object cannot hold every BSON document: it moves field names like "2" first, keeps one of two equal names, and
 * decodes invalid UTF-8. The document is deserialized as the driver does and serialized back; where that changes
 * its bytes, and where JSON.stringify would not write the object's text exactly, the writer refuses the document
 * rather than write a different one.
 */
function driverDocument(raw: Uint8Array, index: number, mode: OutputOptions['ejson'], ejson: EjsonOptions): unknown {
  const text = driverDocumentText(raw, index, mode, ejson);
  const object = (JSON.parse as (t: string, r: Reviver) => unknown)(text, exactLeaves);
  if (escapeSeparators(JSON.stringify(object)) !== text) throw refusal(index);
  return object;
}

/**
 * U+2028 and U+2029 escaped, as the Go driver (and our encoder) writes them; JSON.stringify leaves them raw in field
 * names. Raw, they can only stand inside strings, so replacing them in JSONStream's output changes nothing else.
 */
const escapeSeparators = (text: string): string =>
  text.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));

/** escapeSeparators over a stream of text (a separator's three bytes never span two JSONStream chunks). */
class EscapeSeparators extends Transform {
  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, escapeSeparators(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
  }
}

function driverDocumentText(raw: Uint8Array, index: number, mode: OutputOptions['ejson'], ejson: EjsonOptions): string {
  let again: Uint8Array | undefined;
  try {
    again = BSON.serialize(BSON.deserialize(raw, DRIVER_READ));
  } catch {
    again = undefined; // a top-level DBRef, for one, is not a document to the serializer
  }
  if (!again || Buffer.compare(again, raw) !== 0) throw refusal(index);
  return rawToEjson(again, mode, ejson);
}

/**
 * Raw documents → the driver's documents → Extended JSON objects for JSONStream to stringify and frame (see
 * driverDocument), or NDJSON lines.
 */
class DriverDocuments extends Transform {
  private n = 0;
  private readonly ejson: EjsonOptions;

  constructor(private readonly output: OutputOptions) {
    super({ writableObjectMode: true, readableObjectMode: output.format === 'json', writableHighWaterMark: 256 });
    this.ejson = { wrapLongs: output.longs !== 'number', strictUtf8: output.strictUtf8 === true };
  }

  override _transform(doc: Uint8Array | Document, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const raw = doc instanceof Uint8Array ? doc : BSON.serialize(doc);
      const n = this.n++;
      if (this.output.format === 'json') cb(null, driverDocument(raw, n, this.output.ejson, this.ejson));
      else cb(null, `${driverDocumentText(raw, n, this.output.ejson, this.ejson)}\n`);
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * The user-chosen JSONStream writer: the driver's documents, framed by JSONStream (`[\n`, `\n,\n`, `\n]\n`) or one
 * per line; gzip level 6. The same bytes as the fast writer for every document it accepts.
 */
export function createDocSink(dest: Writable, output: OutputOptions): DocSink {
  const why = jsonStreamUnavailable();
  if (why) throw new ExtractError('USAGE', why);
  if (output.format === 'csv' || output.mongoexport) {
    throw new ExtractError(
      'USAGE',
      '--writer jsonstream writes JSON arrays and NDJSON only; use --writer fast (the default)',
    );
  }
  const head = new DriverDocuments(output);
  const counter = new HashCounter();
  const stages: NodeJS.ReadWriteStream[] =
    output.format === 'json' ? [JSONStream.stringify(), new EscapeSeparators()] : [];
  const c = compressionOf(output);
  if (c) stages.push(compressor(c));
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
      return { bytes: counter.bytes, sha256: counter.hash.digest('hex'), invalidUtf8: 0 };
    },
    destroy: (err) => head.destroy(err),
    done,
  };
}
