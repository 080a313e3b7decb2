import { BSON, type Document } from 'mongodb';
import { usage } from '../errors.js';
import type { EjsonMode, OutputFormat, OutputOptions } from '../plan/model.js';

/** Parse an Extended JSON option (canonical types kept: `5` is an Int32, `{"$numberDouble":"5.0"}` a Double). */
export function parseEjson(option: string, text: string): unknown {
  try {
    return BSON.EJSON.parse(text, { relaxed: false });
  } catch (err) {
    throw usage(`--${option}: expected Extended JSON, got ${JSON.stringify(text)} (${(err as Error).message})`);
  }
}

export function parseQuery(text: string | undefined): Document | null {
  if (text === undefined) return null;
  const q = parseEjson('query', text);
  if (q === null || typeof q !== 'object' || Array.isArray(q) || (q as { _bsontype?: string })._bsontype) {
    throw usage(`--query: expected an Extended JSON object such as '{"status":"A"}', got ${JSON.stringify(text)}`);
  }
  return q as Document;
}

export function parseFields(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const fields = text.split(',').map((f) => f.trim());
  if (fields.some((f) => f === '' || f.startsWith('$') || f.includes('..') || f.endsWith('.') || f.startsWith('.'))) {
    throw usage(`--fields: expected comma-separated field paths such as "name,address.city", got ${JSON.stringify(text)}`);
  }
  return fields.filter((f) => f !== '_id');
}

const FORMATS: readonly OutputFormat[] = ['json', 'ndjson'];
const MODES: readonly EjsonMode[] = ['relaxed', 'canonical'];

export function parseOutput(a: { format?: string; ejson?: string; gzip?: boolean }): OutputOptions {
  const format = (a.format ?? 'json') as OutputFormat;
  if (!FORMATS.includes(format)) throw usage(`--format: expected one of ${FORMATS.join(', ')}, got ${JSON.stringify(a.format)}`);
  const ejson = (a.ejson ?? 'relaxed') as EjsonMode;
  if (!MODES.includes(ejson)) throw usage(`--ejson: expected one of ${MODES.join(', ')}, got ${JSON.stringify(a.ejson)}`);
  return { format, ejson, gzip: Boolean(a.gzip) };
}

/** A whole number in [min, max]; `undefined` stays undefined. */
export function intOption(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usage(`--${option}: expected a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Seconds > 0 (fractions allowed). */
export function secondsOption(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw usage(`--${option}: expected a number of seconds > 0, got ${JSON.stringify(value)}`);
  return n;
}

export function nonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw usage(`--${option}: expected a non-empty name, got ${JSON.stringify(value ?? null)}`);
  if (value.includes('\0')) throw usage(`--${option}: a name cannot contain a NUL character`);
  return value;
}

/** The batch writer: `fast` turns raw BSON into Extended JSON itself; `jsonstream` is the driver's documents through JSONStream. */
export function parseWriter(value: unknown): 'fast' | 'jsonstream' {
  if (value === undefined || value === 'fast') return 'fast';
  if (value === 'jsonstream') return 'jsonstream';
  throw usage(`--writer: expected one of fast, jsonstream, got ${JSON.stringify(value)}`);
}
