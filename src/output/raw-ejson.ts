import { BSON } from '../driver.js';
import { decimal128Text, formatDouble } from './go-format.js';

/**
 * Raw BSON → Extended JSON v2, without deserializing into JS objects: the encoder reads the BSON bytes and writes
 * UTF-8 JSON bytes straight into a Buffer (`writeEjson`, used by the writers); `rawToEjson` wraps it for callers
 * that want a string.
 *
 * The bytes are mongoexport's (mongo-tools over the Go driver's Extended JSON writer), which follow the
 * specification and its BSON corpus:
 * - field order and duplicate field names as stored; array keys ignored; no whitespace;
 * - doubles as Go's shortest `%G` with `.0` added when there is neither `.` nor an exponent (`10.0`, `-0.0`,
 *   `123456.0`, `1.234567E+06`, `1E-05`); canonical wraps the same text in `$numberDouble`;
 * - relaxed dates as ISO strings from 1970 to 9999 (UTC), the fraction without trailing zeros (`.1Z`), others as
 *   `{"$numberLong"}` milliseconds, exactly, whatever their range;
 * - strings and names escaped as Go does: `"` `\` and C0 controls (`\n`-style where JSON has one, else `\u00xx`),
 *   U+2028/U+2029 as `\u2028`/`\u2029`, everything else raw UTF-8; every byte that does not start a valid UTF-8
 *   sequence becomes `\ufffd` (counted; an error when `strictUtf8`);
 * - DBRef-shaped documents as plain documents; DBPointer as `$dbPointer`, undefined as `$undefined`; regex options
 *   sorted; binary subtypes as two lowercase hex digits.
 *
 * Deliberate differences from mongoexport (README "Output"): with `wrapLongs` (the native commands' default), a
 * relaxed Int64 beyond ±(2^53-1) is written `{"$numberLong":"…"}` (a JSON number would silently round for every
 * JavaScript reader); a DBPointer's namespace and a regex's options are escaped like any string (mongoexport writes
 * them raw, which can make invalid JSON).
 */

type FastBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
};

const { BSONError } = BSON;

/** Where `writeEjson` appends: it writes at `pos` and moves to a bigger copy of `buf` when the text does not fit. */
export interface EjsonTarget {
  buf: Buffer;
  pos: number;
  /** Strings and field names with invalid UTF-8 written so far (each as `\ufffd` per bad byte). */
  invalidUtf8?: number;
}

/** Make room for n more bytes at `t.pos`, moving to a bigger copy of `t.buf` (at least twice the size) if need be. */
export function roomIn(t: EjsonTarget, n: number): void {
  if (t.pos + n <= t.buf.length) return;
  const next = Buffer.allocUnsafe(Math.max(2 * t.buf.length, t.pos + n));
  t.buf.copy(next, 0, 0, t.pos);
  t.buf = next;
}

export interface EjsonOptions {
  /** Relaxed Int64 beyond ±(2^53-1) as `{"$numberLong":"…"}` instead of a bare number (default true). */
  wrapLongs?: boolean;
  /** Invalid UTF-8 is an error instead of `\ufffd`. */
  strictUtf8?: boolean;
}

/** A string or name that is not valid UTF-8, with --strict-utf8. */
export class InvalidUtf8Error extends Error {
  override name = 'InvalidUtf8Error';
}

// Encoder state. The encoder is synchronous and not re-entrant; `writeEjson` sets these and reads them back.
let B: Buffer = Buffer.alloc(0); // input
let P = 0; // input position
let O: Buffer = Buffer.alloc(0); // output
let Q = 0; // output position
let RELAXED = true;
let WRAP_LONGS = true;
let STRICT_UTF8 = false;
let BAD_UTF8 = 0;

// ---------------------------------------------------------------------------------------------------------
// Tables

/** Byte classes: 0 = copied as is (0x20..0x7f except `"` and `\`), 1 = escaped, 2 = part of a multi-byte character. */
const CLS = new Uint8Array(256);
for (let b = 0; b < 256; b++) CLS[b] = b >= 0x80 ? 2 : b < 0x20 || b === 0x22 || b === 0x5c ? 1 : 0;

/** Lowercase hex digit codes (`\u001f`, ObjectId hex and binary subtypes are lowercase). */
const HEXC = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));

const MAX_SAFE_HI = 0x200000; // an int64 is within ±(2^53-1) iff its high word is in (-2^21, 2^21), or -2^21 with low ≠ 0
const DAY_MS = 86400000;
const ISO_END = 253402300800000; // first ms of year 10000: relaxed dates are ISO strings in [0, ISO_END)
/** Room guaranteed before each element: enough for any fixed-size value with its wrapper. */
const ELEMENT_ROOM = 256;

// ---------------------------------------------------------------------------------------------------------
// Output

/** Make room for n more bytes. Typed arrays drop out-of-bounds writes silently: every write needs room first. */
function room(n: number): void {
  if (Q + n > O.length) grow(n);
}

function grow(n: number): void {
  const next = Buffer.allocUnsafe(Math.max(O.length * 2, Q + n, 4096));
  O.copy(next, 0, 0, Q);
  O = next;
}

/** ASCII text (the caller made room). */
function ascii(s: string): void {
  const o = O;
  let q = Q;
  for (let k = 0; k < s.length; k++) o[q++] = s.charCodeAt(k);
  Q = q;
}

/** An integer |n| < 2^53 in decimal (no string made). */
function integer(n: number): void {
  const o = O;
  let q = Q;
  if (n < 0) {
    o[q++] = 0x2d;
    n = -n;
  }
  if (n < 10) {
    o[q] = 0x30 + n;
    Q = q + 1;
    return;
  }
  const small = n < 2147483648;
  let len = 1;
  for (let t = n; t >= 10; t = small ? (t / 10) | 0 : Math.floor(t / 10)) len++;
  q += len;
  Q = q;
  let t = n;
  while (t >= 10) {
    const d = small ? (t / 10) | 0 : Math.floor(t / 10);
    o[--q] = 0x30 + (t - d * 10);
    t = d;
  }
  o[--q] = 0x30 + t;
}

function corrupt(msg: string): Error {
  return new BSONError(msg);
}

// ---------------------------------------------------------------------------------------------------------
// Input

function int32(i: number): number {
  return B[i]! | (B[i + 1]! << 8) | (B[i + 2]! << 16) | (B[i + 3]! << 24);
}

function uint32(i: number): number {
  return (B[i]! | (B[i + 1]! << 8) | (B[i + 2]! << 16)) + B[i + 3]! * 0x1000000;
}

/** Length of the well-formed UTF-8 sequence at i (lead byte >= 0x80), or 0 if it is not one (Go's utf8.DecodeRune). */
function utf8Seq(i: number, end: number): number {
  const b0 = B[i]!;
  if (b0 < 0xc2 || b0 > 0xf4) return 0;
  if (i + 1 >= end) return 0;
  const b1 = B[i + 1]!;
  if (b0 < 0xe0) return (b1 & 0xc0) === 0x80 ? 2 : 0;
  if (b0 === 0xe0 ? b1 < 0xa0 || b1 > 0xbf : b0 === 0xed ? b1 < 0x80 || b1 > 0x9f : (b1 & 0xc0) !== 0x80) return 0;
  if (b0 >= 0xf0 && (b0 === 0xf0 ? b1 < 0x90 : b0 === 0xf4 ? b1 > 0x8f : false)) return 0;
  if (i + 2 >= end || (B[i + 2]! & 0xc0) !== 0x80) return 0;
  if (b0 < 0xf0) return 3;
  if (i + 3 >= end || (B[i + 3]! & 0xc0) !== 0x80) return 0;
  return 4;
}

/** An escape for byte c < 0x20, `"` or `\` at o[q]; returns the new q. */
function shortEscape(o: Buffer, q: number, c: number): number {
  o[q++] = 0x5c;
  if (c === 0x22 || c === 0x5c) o[q++] = c;
  else if (c === 0x0a)
    o[q++] = 0x6e; // n
  else if (c === 0x0d)
    o[q++] = 0x72; // r
  else if (c === 0x09)
    o[q++] = 0x74; // t
  else if (c === 0x08)
    o[q++] = 0x62; // b
  else if (c === 0x0c)
    o[q++] = 0x66; // f
  else {
    o[q++] = 0x75; // u00XX
    o[q++] = 0x30;
    o[q++] = 0x30;
    o[q++] = HEXC[c >> 4]!;
    o[q++] = HEXC[c & 15]!;
  }
  return q;
}

/** `\ufffd` or `\u2028`/`\u2029` (last hex digit `d`) at o[q]; returns the new q. */
function uEscape(o: Buffer, q: number, a: number, b: number, c: number, d: number): number {
  o[q] = 0x5c;
  o[q + 1] = 0x75;
  o[q + 2] = a;
  o[q + 3] = b;
  o[q + 4] = c;
  o[q + 5] = d;
  return q + 6;
}

/**
 * The bytes [s, e) as a JSON string, escaped as Go's Extended JSON writer does. Invalid UTF-8: `\ufffd` for
 * every byte that does not start a valid sequence (counted), or an error with --strict-utf8.
 */
function str(s: number, e: number): void {
  room(6 * (e - s) + 3); // worst case \ufffd or \u00XX per byte, quotes, and the ':' key() adds
  // Locals, not the module state, in the hot loop.
  const b = B;
  const o = O;
  let q = Q;
  o[q++] = 0x22;
  // Most strings are plain ASCII: copy the plain prefix, natively when long.
  let i = s;
  if (e - s > 64) {
    while (i < e && CLS[b[i]!] === 0) i++;
    b.copy(o, q, s, i);
    q += i - s;
  } else {
    for (let c = 0; i < e && CLS[(c = b[i]!)] === 0; i++) o[q++] = c;
  }
  let bad = false;
  while (i < e) {
    const c = b[i]!;
    const k = CLS[c]!;
    if (k === 0) {
      o[q++] = c;
      i++;
    } else if (k === 1) {
      q = shortEscape(o, q, c);
      i++;
    } else {
      const n = utf8Seq(i, e);
      if (n === 0) {
        if (STRICT_UTF8) throw new InvalidUtf8Error('a string or field name is not valid UTF-8');
        bad = true;
        q = uEscape(o, q, 0x66, 0x66, 0x66, 0x64); // \ufffd
        i++;
      } else if (n === 3 && c === 0xe2 && b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) {
        q = uEscape(o, q, 0x32, 0x30, 0x32, b[i + 2] === 0xa8 ? 0x38 : 0x39); // \u2028, \u2029
        i += 3;
      } else {
        o[q++] = c;
        o[q++] = b[i + 1]!;
        if (n > 2) o[q++] = b[i + 2]!;
        if (n > 3) o[q++] = b[i + 3]!;
        i += n;
      }
    }
  }
  if (bad) BAD_UTF8++;
  o[q++] = 0x22;
  Q = q;
}

/** The BSON string (int32 length, bytes, NUL) at P: returns its byte range [start, end) and moves P past it. */
let STR_START = 0;
function bsonString(): number {
  const len = int32(P);
  const start = P + 4;
  if (len <= 0 || len > B.length - start || B[start + len - 1] !== 0) throw corrupt('bad string length in bson');
  P = start + len;
  STR_START = start;
  return start + len - 1;
}

// ---------------------------------------------------------------------------------------------------------
// Values

function pad2(o: Buffer, q: number, n: number): void {
  o[q] = 0x30 + ((n / 10) | 0);
  o[q + 1] = 0x30 + (n % 10);
}

/** RFC 3339 in UTC with the milliseconds' trailing zeros dropped (Go's `2006-01-02T15:04:05.999Z07:00`); 0 <= ms < ISO_END. */
function isoDate(ms: number): void {
  const days = Math.floor(ms / DAY_MS); // < 2^22
  let rem = ms - days * DAY_MS; // < 2^27: int32 math below
  // civil_from_days (H. Hinnant), for 0 <= days < 2932897
  const z = days + 719468;
  const era = (z / 146097) | 0;
  const doe = z - era * 146097;
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36524) | 0) - ((doe / 146096) | 0)) / 365) | 0;
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0));
  const mp = ((5 * doy + 2) / 153) | 0;
  const d = doy - (((153 * mp + 2) / 5) | 0) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  let t = (rem / 1000) | 0;
  const milli = rem - t * 1000;
  rem = t;
  t = (rem / 60) | 0;
  const sec = rem - t * 60;
  rem = t;
  t = (rem / 60) | 0;
  const min = rem - t * 60;
  const hour = t;
  const o = O;
  let q = Q;
  pad2(o, q, (y / 100) | 0);
  pad2(o, q + 2, y % 100);
  o[q + 4] = 0x2d; // -
  pad2(o, q + 5, m);
  o[q + 7] = 0x2d;
  pad2(o, q + 8, d);
  o[q + 10] = 0x54; // T
  pad2(o, q + 11, hour);
  o[q + 13] = 0x3a; // :
  pad2(o, q + 14, min);
  o[q + 16] = 0x3a;
  pad2(o, q + 17, sec);
  q += 19;
  if (milli !== 0) {
    o[q++] = 0x2e; // .
    o[q++] = 0x30 + ((milli / 100) | 0);
    if (milli % 100 !== 0) {
      o[q++] = 0x30 + (((milli / 10) | 0) % 10);
      if (milli % 10 !== 0) o[q++] = 0x30 + (milli % 10);
    }
  }
  o[q] = 0x5a; // Z
  Q = q + 1;
}

function dateValue(): void {
  const lo = uint32(P);
  const hi = int32(P + 4);
  const at = P;
  P += 8;
  if (hi < MAX_SAFE_HI && hi > -MAX_SAFE_HI) {
    const ms = hi * 4294967296 + lo; // exact
    if (RELAXED && ms >= 0 && ms < ISO_END) {
      ascii('{"$date":"');
      isoDate(ms);
      ascii('"}');
    } else {
      ascii('{"$date":{"$numberLong":"');
      integer(ms);
      ascii('"}}');
    }
    return;
  }
  ascii('{"$date":{"$numberLong":"' + B.readBigInt64LE(at) + '"}}');
}

function int64Value(): void {
  const lo = uint32(P);
  const hi = int32(P + 4);
  const at = P;
  P += 8;
  if (hi < MAX_SAFE_HI && (hi > -MAX_SAFE_HI || (hi === -MAX_SAFE_HI && lo !== 0))) {
    const n = hi * 4294967296 + lo; // exact
    if (RELAXED) {
      integer(n);
    } else {
      ascii('{"$numberLong":"');
      integer(n);
      ascii('"}');
    }
  } else if (RELAXED && !WRAP_LONGS) {
    ascii('' + B.readBigInt64LE(at));
  } else {
    ascii('{"$numberLong":"' + B.readBigInt64LE(at) + '"}');
  }
}

function doubleValue(): void {
  const v = B.readDoubleLE(P);
  P += 8;
  if (v - v !== 0) {
    // NaN (any payload) and ±Infinity, in both modes
    ascii(
      Number.isNaN(v)
        ? '{"$numberDouble":"NaN"}'
        : v > 0
          ? '{"$numberDouble":"Infinity"}'
          : '{"$numberDouble":"-Infinity"}',
    );
  } else if (RELAXED) {
    ascii(formatDouble(v));
  } else {
    ascii('{"$numberDouble":"');
    ascii(formatDouble(v));
    ascii('"}');
  }
}

function base64(s: number, e: number): void {
  const need = 4 * Math.ceil((e - s) / 3);
  if (Q + need + 64 > O.length) grow(need + 64);
  if (e - s > 96) {
    Q += O.write((B as FastBuffer).base64Slice(s, e), Q, 'latin1');
    return;
  }
  let i = s;
  for (; i + 2 < e; i += 3) {
    const n = (B[i]! << 16) | (B[i + 1]! << 8) | B[i + 2]!;
    O[Q++] = B64[n >> 18]!;
    O[Q++] = B64[(n >> 12) & 63]!;
    O[Q++] = B64[(n >> 6) & 63]!;
    O[Q++] = B64[n & 63]!;
  }
  if (i + 1 === e) {
    const n = B[i]! << 16;
    O[Q++] = B64[n >> 18]!;
    O[Q++] = B64[(n >> 12) & 63]!;
    O[Q++] = 0x3d;
    O[Q++] = 0x3d;
  } else if (i + 2 === e) {
    const n = (B[i]! << 16) | (B[i + 1]! << 8);
    O[Q++] = B64[n >> 18]!;
    O[Q++] = B64[(n >> 12) & 63]!;
    O[Q++] = B64[(n >> 6) & 63]!;
    O[Q++] = 0x3d;
  }
}

function binaryValue(): void {
  let len = int32(P);
  const total = len;
  const sub = B[P + 4]!;
  P += 5;
  if (len < 0) throw corrupt('Negative binary type element size found');
  if (len > B.byteLength) throw corrupt('Binary type size larger than document size');
  if (sub === 2 && total > 4) {
    // the old binary subtype: its data carries a length of its own, which is not part of the value
    len = int32(P);
    P += 4;
    if (len !== total - 4) throw corrupt('Binary type with subtype 0x02 has an inner size that does not match');
  }
  const start = P;
  P += len;
  if (P > B.length) throw corrupt('Binary type size larger than document size');
  ascii('{"$binary":{"base64":"');
  base64(start, P);
  ascii('","subType":"');
  O[Q++] = HEXC[sub >> 4]!;
  O[Q++] = HEXC[sub & 15]!;
  ascii('"}}');
}

function oidHex(i: number): void {
  const b = B;
  const o = O;
  let q = Q;
  for (let k = i; k < i + 12; k++) {
    const c = b[k]!;
    o[q++] = HEXC[c >> 4]!;
    o[q++] = HEXC[c & 15]!;
  }
  Q = q;
}

/** A cstring at P: returns its end (the NUL's index) and moves P past it. */
function cstringEnd(): number {
  const i = B.indexOf(0, P);
  if (i < 0) throw corrupt('Bad BSON Document: illegal CString');
  P = i + 1;
  return i;
}

function regexValue(): void {
  const ps = P;
  const pe = cstringEnd();
  const os = P;
  const oe = cstringEnd();
  ascii('{"$regularExpression":{"pattern":');
  str(ps, pe);
  room(16);
  ascii(',"options":');
  if (oe - os > 1) {
    // sorted by code point, as the Go driver sorts them; escaped like any string
    let ascii7 = true;
    for (let i = os; i < oe; i++) if (B[i]! >= 0x80) ascii7 = false;
    const sorted = ascii7
      ? Buffer.from(B.subarray(os, oe)).sort()
      : Buffer.from(
          Array.from((B as FastBuffer).utf8Slice(os, oe))
            .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!) // not .sort(): UTF-16 order puts 😀 before ａ
            .join(''),
          'utf8',
        );
    const saved = B;
    B = sorted;
    try {
      str(0, sorted.length);
    } finally {
      B = saved;
    }
  } else {
    str(os, oe);
  }
  room(2);
  ascii('}}');
}

function dbPointerValue(): void {
  const end = bsonString();
  const start = STR_START;
  if (P + 12 > B.length) throw corrupt('corrupt bson message');
  ascii('{"$dbPointer":{"$ref":');
  str(start, end);
  room(ELEMENT_ROOM);
  ascii(',"$id":{"$oid":"');
  oidHex(P);
  ascii('"}}}');
  P += 12;
}

function codeWithScopeValue(): void {
  const start = P;
  const total = int32(P);
  P += 4;
  if (total < 4 + 4 + 4 + 1) throw corrupt('code_w_scope total size shorter minimum expected length');
  const end = bsonString();
  const scopeSize = int32(P);
  if (scopeSize < 5 || scopeSize > B.length - P) throw corrupt('bad scope document size in code_w_scope');
  if (start + total < P + scopeSize) throw corrupt('code_w_scope total size is too short, truncating scope');
  if (start + total > P + scopeSize) throw corrupt('code_w_scope total size is too long, clips outer document');
  ascii('{"$code":');
  str(STR_START, end);
  room(16);
  ascii(',"$scope":');
  documentValue(false);
  room(1);
  O[Q++] = 0x7d;
}

/** `{"$code":…}` or `{"$symbol":…}` around the string at P. */
function wrappedString(head: string): void {
  const end = bsonString();
  ascii(head);
  str(STR_START, end);
  room(1);
  O[Q++] = 0x7d;
}

/** One element's value of BSON type `t` at P; moves P past it. The caller made ELEMENT_ROOM bytes of room. */
function value(t: number): void {
  switch (t) {
    case 0x01:
      return doubleValue();
    case 0x02: {
      const end = bsonString();
      return str(STR_START, end);
    }
    case 0x03:
      return documentValue(false);
    case 0x04:
      return documentValue(true);
    case 0x05:
      return binaryValue();
    case 0x06:
      return ascii('{"$undefined":true}');
    case 0x07:
      if (P + 12 > B.length) throw corrupt('corrupt bson message');
      ascii('{"$oid":"');
      oidHex(P);
      P += 12;
      return ascii('"}');
    case 0x08: {
      const b = B[P++];
      if (b === 1) return ascii('true');
      if (b === 0) return ascii('false');
      throw corrupt('illegal boolean type value');
    }
    case 0x09:
      return dateValue();
    case 0x0a:
      return ascii('null');
    case 0x0b:
      return regexValue();
    case 0x0c:
      return dbPointerValue();
    case 0x0d:
      return wrappedString('{"$code":');
    case 0x0e:
      return wrappedString('{"$symbol":');
    case 0x0f:
      return codeWithScopeValue();
    case 0x10: {
      const n = int32(P);
      P += 4;
      if (RELAXED) return integer(n);
      ascii('{"$numberInt":"');
      integer(n);
      return ascii('"}');
    }
    case 0x11: {
      const i = uint32(P);
      const ts = uint32(P + 4);
      P += 8;
      ascii('{"$timestamp":{"t":');
      integer(ts);
      ascii(',"i":');
      integer(i);
      return ascii('}}');
    }
    case 0x12:
      return int64Value();
    case 0x13: {
      const start = P;
      P += 16;
      if (P > B.length) throw corrupt('corrupt bson message');
      return ascii('{"$numberDecimal":"' + decimal128Text(B, start) + '"}');
    }
    case 0xff:
      return ascii('{"$minKey":1}');
    case 0x7f:
      return ascii('{"$maxKey":1}');
    default:
      throw corrupt(`Detected unknown BSON type ${t.toString(16)}`);
  }
}

/** The field name (cstring) at P as `"name":`. */
function key(): void {
  const b = B;
  const s = P;
  let e = s;
  while (b[e] !== 0) e++; // the root document ends in NUL (checked), so this stops inside the buffer
  P = e + 1;
  str(s, e);
  O[Q++] = 0x3a; // str() made room for it
}

/** The embedded document or array at P (its int32 size first); moves P past it. */
function documentValue(array: boolean): void {
  const start = P;
  const size = int32(P);
  const end = start + size;
  if (size < 5 || end > B.length || B[end - 1] !== 0) {
    throw corrupt(array ? 'bad embedded array length in bson' : 'bad embedded document length in bson');
  }
  P += 4;
  room(ELEMENT_ROOM);
  O[Q++] = array ? 0x5b : 0x7b;
  let t = B[P++]!;
  while (t !== 0) {
    if (array) {
      while (B[P++] !== 0); // array keys are ignored: elements are written in order
    } else {
      key();
      room(ELEMENT_ROOM);
    }
    value(t);
    if (P >= end) throw corrupt(array ? 'corrupted array bson' : 'Bad BSON Document: object not properly terminated');
    t = B[P++]!;
    room(ELEMENT_ROOM);
    if (t !== 0) O[Q++] = 0x2c;
  }
  O[Q++] = array ? 0x5d : 0x7d;
  if (P !== end) throw corrupt(array ? 'corrupted array bson' : 'Bad BSON Document: object not properly terminated');
}

// ---------------------------------------------------------------------------------------------------------
// API

function asBuffer(bson: Uint8Array): Buffer {
  return Buffer.isBuffer(bson) ? bson : Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength);
}

/**
 * Append one raw BSON document (as the driver returns it with `raw: true`) as Extended JSON v2 to
 * `target.buf` at `target.pos`, then advance `target.pos` (and `target.invalidUtf8`). When the text does not fit,
 * `target.buf` is replaced by a bigger buffer holding the same first `pos` bytes. On error, `target` is left as it
 * was.
 */
export function writeEjson(
  bson: Uint8Array,
  mode: 'relaxed' | 'canonical',
  target: EjsonTarget,
  options: EjsonOptions = {},
): void {
  const buf = asBuffer(bson);
  if (buf.length < 5) throw corrupt('corrupt bson message < 5 bytes long');
  const size = buf.readInt32LE(0);
  if (size < 5) throw corrupt(`bson size must be >= 5, is ${size}`);
  if (buf.length !== size) throw corrupt(`buffer length ${buf.length} must === bson size ${size}`);
  if (buf[size - 1] !== 0) throw corrupt("One object, sized correctly, with a spot for an EOO, but the EOO isn't 0x00");
  B = buf;
  P = 0;
  O = target.buf;
  Q = target.pos;
  RELAXED = mode === 'relaxed';
  WRAP_LONGS = options.wrapLongs !== false;
  STRICT_UTF8 = options.strictUtf8 === true;
  BAD_UTF8 = 0;
  try {
    documentValue(false);
    target.buf = O;
    target.pos = Q;
    if (BAD_UTF8 > 0) target.invalidUtf8 = (target.invalidUtf8 ?? 0) + BAD_UTF8;
  } finally {
    B = EMPTY; // hold no reference to the caller's buffers
    O = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
const SCRATCH_SIZE = 64 * 1024;
const scratch: EjsonTarget = { buf: Buffer.allocUnsafe(SCRATCH_SIZE), pos: 0 };

/** One raw BSON document as Extended JSON v2 text (see writeEjson). */
export function rawToEjson(bson: Uint8Array, mode: 'relaxed' | 'canonical', options: EjsonOptions = {}): string {
  scratch.pos = 0;
  try {
    writeEjson(bson, mode, scratch, options);
    return (scratch.buf as FastBuffer).utf8Slice(0, scratch.pos);
  } finally {
    if (scratch.buf.length > 16 * SCRATCH_SIZE) scratch.buf = Buffer.allocUnsafe(SCRATCH_SIZE); // don't keep a huge one
  }
}
