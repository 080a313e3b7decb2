import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import { BSON, type Document } from 'mongodb';

const { EJSON } = BSON;

export interface Output {
  /** How the text was framed: one JSON array, or one document per line. */
  format: 'json' | 'ndjson';
  /** Whether the bytes were gzip-compressed. */
  gzip: boolean;
  /** The (decompressed) text. */
  text: string;
  /** Documents parsed as canonical Extended JSON, so every value has its exact BSON type. */
  docs: Document[];
  /** Each document's `_id`, in file order. */
  ids: unknown[];
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
/** A zstd frame's magic number, 0xFD2FB528 little-endian. */
const isZstd = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;

/**
 * Parse an output (a file's bytes or captured stdout). gzip is detected by the name ending in .gz or by its magic
 * bytes; the format by the name (.json / .ndjson) or else by the first character. Throws on anything that is not
 * exactly a JSON array of objects or newline-terminated JSON objects, one per line.
 */
export function parseOutput(data: Uint8Array | string, name = ''): Output {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const gzip = isGzip(bytes);
  const zstd = isZstd(bytes);
  if (name.endsWith('.gz') && !gzip) throw new Error(`${name}: named .gz but not gzip data`);
  if (name.endsWith('.zst') && !zstd) throw new Error(`${name}: named .zst but not zstd data`);
  const unzstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
  if (zstd && !unzstd) throw new Error(`${name || 'output'}: zstd data, and this Node has no zstd to read it`);
  const text = Buffer.from(gzip ? gunzipSync(bytes) : zstd ? unzstd!(bytes) : bytes).toString('utf8');
  const plain = name.replace(/\.(gz|zst)$/, '');
  const format = plain.endsWith('.ndjson')
    ? 'ndjson'
    : plain.endsWith('.json')
      ? 'json'
      : text.trimStart().startsWith('[')
        ? 'json'
        : 'ndjson';

  let docs: Document[];
  if (format === 'json') {
    const plainJson: unknown = JSON.parse(text); // valid JSON, not just something EJSON tolerates
    if (!Array.isArray(plainJson)) throw new Error(`${name || 'output'}: expected a JSON array`);
    docs = EJSON.parse(text, { relaxed: false }) as Document[];
  } else {
    if (text !== '' && !text.endsWith('\n')) throw new Error(`${name || 'output'}: NDJSON does not end with a newline`);
    const lines = text === '' ? [] : text.slice(0, -1).split('\n');
    docs = lines.map((line, i) => {
      const v: unknown = JSON.parse(line);
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new Error(`${name || 'output'}: line ${i + 1} is not a JSON object`);
      return EJSON.parse(line, { relaxed: false }) as Document;
    });
  }
  return { format, gzip, text, docs, ids: docs.map((d) => d._id) };
}

/** Read and parse an output file (see parseOutput). */
export async function readOutput(path: string): Promise<Output> {
  return parseOutput(await readFile(path), path);
}

const NUMERIC = new Set(['Int32', 'Double', 'Long', 'Decimal128']);

/**
 * A comparable key for an `_id`: numbers by value whatever their BSON type (relaxed output writes an Int32 and an
 * integral Double alike), everything else by its canonical Extended JSON, which includes the type.
 */
export function idKey(id: unknown): string {
  const t = (id as { _bsontype?: string } | null)?._bsontype;
  if (typeof id === 'number') return `number:${Object.is(id, -0) ? 0 : id}`;
  if (typeof id === 'bigint') return `number:${id}`;
  if (t && NUMERIC.has(t)) {
    const v = id as { value?: number; toString(): string };
    return `number:${t === 'Int32' || t === 'Double' ? Number(v.value) : v.toString()}`;
  }
  return EJSON.stringify(id, { relaxed: false });
}

/** The sorted keys of some `_id`s, for comparing sets. */
export const idKeys = (ids: readonly unknown[]): string[] => ids.map(idKey).sort();

/** Canonical Extended JSON of a value (exact type and value, e.g. {"$numberDouble":"42.0"}). */
export const canonical = (value: unknown): string => EJSON.stringify(value, { relaxed: false });
