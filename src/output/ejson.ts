import { BSON, type Document, Long } from 'mongodb';

const { EJSON } = BSON;

import { ExtractError } from '../errors.js';
import type { EjsonMode } from '../plan/model.js';

const SAFE = Long.fromNumber(Number.MAX_SAFE_INTEGER);
const NEG_SAFE = Long.fromNumber(Number.MIN_SAFE_INTEGER);

/**
 * bson's relaxed EJSON writes every Int64 as a JS number, which silently rounds values beyond 2^53. We keep
 * such values exact by writing them in canonical form (`{"$numberLong": "…"}`), which every EJSON reader
 * accepts in relaxed mode too. Dates outside JavaScript's range cannot survive deserialization: refuse them
 * rather than write `NaN` (the raw writer handles them exactly).
 */
function fixRelaxed(value: unknown, relaxed: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new ExtractError(
        'FAILED',
        "a document holds a date outside JavaScript's range, which the jsonstream writer cannot write exactly; use --writer fast",
      );
    }
    return value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = fixRelaxed(value[i], relaxed);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const bsontype = (value as { _bsontype?: string })._bsontype;
  if (bsontype === 'Long') {
    const long = value as Long;
    return relaxed && (long.greaterThan(SAFE) || long.lessThan(NEG_SAFE)) ? { $numberLong: long.toString() } : value;
  }
  if (bsontype !== undefined) return value;
  let out: Document | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Document)[key];
    const f = fixRelaxed(v, relaxed);
    if (f !== v) (out ??= { ...(value as Document) })[key] = f;
  }
  return out ?? value;
}

/** The document as a plain JSON-ready object in Extended JSON v2 (what JSONStream stringifies). */
export function toEjsonObject(doc: Document, mode: EjsonMode): Document {
  const relaxed = mode === 'relaxed';
  return EJSON.serialize(fixRelaxed(doc, relaxed), { relaxed }) as Document;
}

/** The document as Extended JSON v2 text: the reference output every faster writer must match byte for byte. */
export function toEjsonText(doc: Document, mode: EjsonMode): string {
  const relaxed = mode === 'relaxed';
  return EJSON.stringify(fixRelaxed(doc, relaxed), { relaxed });
}
