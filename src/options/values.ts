import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { usage } from '../errors.js';
import { zstdUnavailable } from '../output/compression.js';
import type { EjsonMode, OutputFormat, OutputOptions } from '../plan/model.js';

/** Parse an Extended JSON option (canonical types kept: `5` is an Int32, `{"$numberDouble":"5.0"}` a Double). */
export function parseEjson(option: string, text: string): unknown {
  try {
    return BSON.EJSON.parse(text, { relaxed: false });
  } catch (err) {
    // a shell's single quotes inside the JSON: the most common mistake
    const hint = /'/.test(text) ? ': JSON needs double quotes, as in \'{"status":"A"}\'' : '';
    throw usage(`--${option}: expected Extended JSON, got ${JSON.stringify(text)} (${(err as Error).message})${hint}`);
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
    throw usage(
      `--fields: expected comma-separated field paths such as "name,address.city", got ${JSON.stringify(text)}`,
    );
  }
  return fields.filter((f) => f !== '_id');
}

/** One of `choices`; undefined: the first choice (the default). */
export function choice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (value === undefined) return choices[0]!;
  if (!choices.includes(value as T)) {
    throw usage(`--${option}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export const FORMATS: readonly OutputFormat[] = ['json', 'ndjson', 'csv'];
export const MODES: readonly EjsonMode[] = ['relaxed', 'canonical'];

export const COMPRESSIONS = ['gzip', 'zstd'] as const;

export function parseOutput(a: {
  format?: string;
  ejson?: string;
  gzip?: boolean;
  compress?: string;
  'strict-utf8'?: boolean;
}): OutputOptions {
  const compress = a.compress === undefined ? undefined : choice('compress', a.compress, COMPRESSIONS);
  if (a.gzip && compress === 'zstd') throw usage('--gzip and --compress zstd conflict: give one');
  if (compress === 'zstd') {
    const why = zstdUnavailable();
    if (why) throw usage(why);
  }
  const o: OutputOptions = {
    format: choice('format', a.format, FORMATS),
    ejson: choice('ejson', a.ejson, MODES),
    gzip: Boolean(a.gzip) || compress === 'gzip',
  };
  if (compress === 'zstd') o.zstd = true;
  if (a['strict-utf8']) o.strictUtf8 = true;
  return o;
}

/** A whole number in [min, max]; `undefined` stays undefined. */
export function intOption(
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`;
    throw usage(`--${option}: expected a whole number${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A size in bytes: a number with an optional unit (`256MB`, `1.5GiB`, `500000`); kB, MB, GB are powers of 1000. */
export function bytesOption(option: string, value: unknown, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(value));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw usage(
      `--${option}: expected a size such as 256MB or 1GiB (kB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024), got ${JSON.stringify(value)}`,
    );
  return n;
}

const positive = (value: unknown): number =>
  typeof value === 'number'
    ? value
    : typeof value === 'string' && /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(value)
      ? Number(value)
      : Number.NaN;

/** Seconds > 0 (fractions allowed). */
export function secondsOption(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = positive(value);
  if (!Number.isFinite(n) || n <= 0)
    throw usage(`--${option}: expected a number of seconds > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** A rate > 0 per second (fractions allowed: a run's limit shared by three batches). */
export function rateOption(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = positive(value);
  if (!Number.isFinite(n) || n <= 0) throw usage(`--${option}: expected a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

export function nonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw usage(`--${option}: expected a non-empty name, got ${JSON.stringify(value ?? null)}`);
  }
  if (value.includes('\0')) throw usage(`--${option}: a name cannot contain a NUL character`);
  return value;
}

/** A required option: missing is said as missing, an empty value as what it is. */
export function required(option: string, value: unknown, what: string): string {
  if (value === undefined) throw usage(`missing --${option} ${what}: it is required (--help lists the options)`);
  return nonEmpty(option, value);
}
