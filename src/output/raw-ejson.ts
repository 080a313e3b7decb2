import { BSON } from 'mongodb';

/**
 * Raw BSON → Extended JSON v2, without deserializing into JS objects: the encoder reads the BSON bytes and
 * writes UTF-8 JSON bytes straight into a Buffer (`writeEjson`, used by the fast writer); `rawToEjson` wraps it
 * for callers that want a string.
 *
 * The output is byte-identical to `toEjsonText(BSON.deserialize(bson, EXACT_READ), mode)` (src/output/ejson.ts)
 * for every document on which that reference is defined and right. Where the reference loses data, this
 * encoder keeps it instead; the differences are deliberate:
 *
 * 1. Field order. JS objects list integer-like keys ("0", "2", "10", … up to 2^32-2) first, in numeric order,
 *    so the reference turns `{b: 1, "2": 1, a: 1}` into `{"2":1,"b":1,"a":1}`. We keep the stored BSON order.
 * 2. Duplicate field names (legal in BSON, rare). A JS object keeps one key (first position, last value);
 *    we write every element as stored.
 * 3. Dates outside JavaScript's range (|ms| > 8.64e15): the reference cannot represent them (ejson.ts throws;
 *    bson alone would write "NaN"); we write `{"$date":{"$numberLong":"<exact int64>"}}` in both modes.
 * 4. Inside a DBRef (`{$ref, $id, …}` or a dbPointer) and inside a javascriptWithScope scope, ejson.ts's
 *    relaxed-mode fix-up does not reach, so the reference writes an Int64 beyond ±(2^53-1) as a rounded number
 *    and an out-of-range date as `{"$numberLong":"NaN"}`; we keep both exact, as everywhere else.
 * 5. A DBRef whose `$id` is `false` or `""` makes bson skip Extended JSON for the DBRef's other fields (they go
 *    through `toJSON`, losing types); we write them as Extended JSON like every other DBRef.
 * 6. Well-formed BSON the reference refuses (throws on): vector binaries (subtype 9) that bson's validator
 *    rejects are written as plain `$binary`; regex options outside "ilmsux" are written sorted like valid ones.
 *
 * Everything else mirrors bson 7's deserializer (with EXACT_READ) + EJSON.stringify: number formatting, relaxed
 * dates as ISO strings for 1970..9999, DBRef detection and the `$ref: "db.coll"` split, dbPointer written as a
 * DBRef, undefined as null, regex options sorted, JSON string escaping, invalid UTF-8 in string values throwing
 * the same BSONError while field names and regexes decode it to U+FFFD, and errors for malformed BSON.
 */

type FastBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
};

const { BSONError, Decimal128 } = BSON;

/** Where `writeEjson` appends: it writes at `pos` and moves to a bigger copy of `buf` when the text does not fit. */
export interface EjsonTarget {
  buf: Buffer;
  pos: number;
}

// Encoder state. The encoder is synchronous and not re-entrant; `writeEjson` sets these and reads them back.
let B: Buffer = Buffer.alloc(0); // input
let P = 0; // input position
let O: Buffer = Buffer.alloc(0); // output
let Q = 0; // output position
let RELAXED = true;

// ---------------------------------------------------------------------------------------------------------
// Tables

/** Byte classes: 0 = copied as is (0x20..0x7f except `"` and `\`), 1 = escaped, 2 = part of a multi-byte character. */
const CLS = new Uint8Array(256);
for (let b = 0; b < 256; b++) CLS[b] = b >= 0x80 ? 2 : b < 0x20 || b === 0x22 || b === 0x5c ? 1 : 0;

/** Lowercase hex digit codes (JSON.stringify writes `\u001f`, ObjectId hex is lowercase). */
const HEXC = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));

const MAX_SAFE_HI = 0x200000; // an int64 is within ±(2^53-1) iff its high word is in (-2^21, 2^21), or -2^21 with low ≠ 0
const DAY_MS = 86400000;
const ISO_END = 253402300800000; // first ms of year 10000: relaxed dates are ISO strings in [0, ISO_END)
const JS_DATE_MAX = 8.64e15;
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

/** An integer |n| < 2^53 in decimal, as String(n) writes it (no string made). */
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
  if (n < 2147483648) {
    let len = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) len++;
    q += len;
    Q = q;
    let t = n;
    while (t >= 10) {
      const d = (t / 10) | 0;
      o[--q] = 0x30 + (t - d * 10);
      t = d;
    }
    o[--q] = 0x30 + t;
    return;
  }
  let len = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) len++;
  q += len;
  Q = q;
  let t = n;
  while (t >= 10) {
    const d = Math.floor(t / 10);
    o[--q] = 0x30 + (t - d * 10);
    t = d;
  }
  o[--q] = 0x30 + t;
}

/** Any JS string as JSON text (JSON.stringify) in UTF-8. */
function jsonText(s: string): void {
  const text = JSON.stringify(s);
  if (Q + 3 * text.length > O.length) grow(3 * text.length);
  Q += O.write(text, Q, 'utf8');
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

/** Length of the well-formed UTF-8 sequence at i (lead byte >= 0x80), or 0 if it is not one. */
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

/**
 * The bytes [s, e) as a JSON string. Printable ASCII and well-formed multi-byte UTF-8 are copied, other ASCII
 * is escaped exactly as JSON.stringify does. Invalid UTF-8 throws bson's error when `fatal` (string values);
 * otherwise (field names, regexes) it is decoded to U+FFFD like bson does, through JSON.stringify.
 */
function str(s: number, e: number, fatal: boolean): void {
  room(6 * (e - s) + 3); // worst case \u00XX per byte, quotes, and the ':' key() adds
  // Locals, not the module state, in the hot loop.
  const b = B;
  const o = O;
  const q0 = Q;
  let q = q0;
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
  while (i < e) {
    const c = b[i]!;
    const k = CLS[c]!;
    if (k === 0) {
      o[q++] = c;
      i++;
    } else if (k === 1) {
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
      i++;
    } else {
      const n = utf8Seq(i, e);
      if (n === 0) {
        if (fatal) throw new BSONError('Invalid UTF-8 string in BSON document');
        Q = q0;
        jsonText((b as FastBuffer).utf8Slice(s, e));
        return;
      }
      o[q++] = c;
      o[q++] = b[i + 1]!;
      if (n > 2) o[q++] = b[i + 2]!;
      if (n > 3) o[q++] = b[i + 3]!;
      i += n;
    }
  }
  o[q++] = 0x22;
  Q = q;
}

/** Decode a string value's bytes to a JS string, throwing bson's error on invalid UTF-8. */
function decodeChecked(s: number, e: number): string {
  const text = (B as FastBuffer).utf8Slice(s, e);
  if (text.includes('\ufffd')) {
    for (let i = s; i < e; ) {
      if (B[i]! < 0x80) i++;
      else {
        const n = utf8Seq(i, e);
        if (n === 0) throw new BSONError('Invalid UTF-8 string in BSON document');
        i += n;
      }
    }
  }
  return text;
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

/** bson's relaxed date: `toISOString()` without `.000` when the milliseconds are 0; 0 <= ms < ISO_END. */
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
    o[q] = 0x2e; // .
    o[q + 1] = 0x30 + ((milli / 100) | 0);
    pad2(o, q + 2, milli % 100);
    q += 4;
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
    if (ms <= JS_DATE_MAX && ms >= -JS_DATE_MAX) {
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
  }
  ascii('{"$date":{"$numberLong":"' + B.readBigInt64LE(at) + '"}}'); // beyond JS dates: exact (deliberate)
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
  } else {
    ascii('{"$numberLong":"' + B.readBigInt64LE(at) + '"}'); // relaxed too: a JS number would round it
  }
}

function doubleValue(): void {
  const v = B.readDoubleLE(P);
  P += 8;
  if (RELAXED) {
    if (v - v === 0)
      ascii('' + v); // finite; -0 prints as 0, like JSON.stringify
    else
      ascii(
        Number.isNaN(v)
          ? '{"$numberDouble":"NaN"}'
          : v > 0
            ? '{"$numberDouble":"Infinity"}'
            : '{"$numberDouble":"-Infinity"}',
      );
  } else if (v === 0 && 1 / v < 0) {
    ascii('{"$numberDouble":"-0.0"}');
  } else {
    ascii('{"$numberDouble":"');
    ascii(Number.isInteger(v) ? v.toFixed(1) : '' + v);
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
  if (sub === 2) {
    len = int32(P);
    P += 4;
    if (len < 0) throw corrupt('Negative binary type element size found for subtype 0x02');
    if (len > total - 4) throw corrupt('Binary type with subtype 0x02 contains too long binary size');
    if (len < total - 4) throw corrupt('Binary type with subtype 0x02 contains too short binary size');
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
  str(ps, pe, false);
  room(16);
  ascii(',"options":');
  if (oe - os > 1) {
    jsonText((B as FastBuffer).utf8Slice(os, oe).split('').sort().join(''));
  } else {
    str(os, oe, false);
  }
  room(2);
  ascii('}}');
}

/** A DBRef as bson writes it: a `$ref` of exactly "db.coll" splits into `$db` and `$ref`; `$db` only when non-empty. */
function dbRefHead(collection: string, db: string | undefined): string | undefined {
  const parts = collection.split('.');
  if (parts.length === 2) {
    db = parts[0]!;
    collection = parts[1]!;
  }
  room(8);
  ascii('{"$ref":');
  jsonText(collection);
  room(8);
  ascii(',"$id":');
  room(ELEMENT_ROOM);
  return db;
}

function dbRefDb(db: string | undefined): void {
  if (db) {
    room(8);
    ascii(',"$db":');
    jsonText(db);
  }
}

function dbPointerValue(): void {
  const end = bsonString();
  const ns = decodeChecked(STR_START, end);
  if (P + 12 > B.length) throw corrupt('corrupt bson message');
  const db = dbRefHead(ns, undefined);
  ascii('{"$oid":"');
  oidHex(P);
  ascii('"}');
  P += 12;
  dbRefDb(db);
  room(1);
  O[Q++] = 0x7d;
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
  str(STR_START, end, true);
  room(16);
  ascii(',"$scope":');
  documentValue(SCOPE);
  room(1);
  O[Q++] = 0x7d;
}

const OBJECT = 0;
const ARRAY = 1;
const SCOPE = 2; // a plain object that bson never turns into a DBRef (a code_w_scope's scope)

/** One element's value of BSON type `t` at P; moves P past it. The caller made ELEMENT_ROOM bytes of room. */
function value(t: number): void {
  switch (t) {
    case 0x01:
      return doubleValue();
    case 0x02: {
      const end = bsonString();
      return str(STR_START, end, true);
    }
    case 0x03:
      return documentValue(OBJECT);
    case 0x04:
      return documentValue(ARRAY);
    case 0x05:
      return binaryValue();
    case 0x06: // undefined: bson writes null
    case 0x0a:
      return ascii('null');
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
    case 0x0b:
      return regexValue();
    case 0x0c:
      return dbPointerValue();
    case 0x0d: {
      const end = bsonString();
      ascii('{"$code":');
      str(STR_START, end, true);
      room(1);
      O[Q++] = 0x7d;
      return;
    }
    case 0x0e: {
      const end = bsonString();
      ascii('{"$symbol":');
      str(STR_START, end, true);
      room(1);
      O[Q++] = 0x7d;
      return;
    }
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
      return ascii('{"$numberDecimal":"' + new Decimal128(B.subarray(start, P)).toString() + '"}');
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
  str(s, e, false);
  O[Q++] = 0x3a; // str() made room for it
}

/** Is the cstring at `i` exactly `$ref`, `$id` or `$db`? */
function isDbRefKey(i: number): boolean {
  const a = B[i + 1];
  const b = B[i + 2];
  const c = B[i + 3];
  if (a === 0x72 /* r */) return b === 0x65 && c === 0x66 && B[i + 4] === 0;
  if (a === 0x69 /* i */) return b === 0x64 && c === 0;
  if (a === 0x64 /* d */) return b === 0x62 && c === 0;
  return false;
}

function isProtoKey(i: number): boolean {
  // "__proto__\0"
  return (
    B[i] === 0x5f &&
    B[i + 1] === 0x5f &&
    B[i + 2] === 0x70 &&
    B[i + 3] === 0x72 &&
    B[i + 4] === 0x6f &&
    B[i + 5] === 0x74 &&
    B[i + 6] === 0x6f &&
    B[i + 7] === 0x5f &&
    B[i + 8] === 0x5f &&
    B[i + 9] === 0
  );
}

/** The embedded document or array at P (its int32 size first); moves P past it. */
function documentValue(kind: number): void {
  const start = P;
  const size = int32(P);
  const end = start + size;
  if (size < 5 || end > B.length || B[end - 1] !== 0) {
    throw corrupt(kind === ARRAY ? 'bad embedded array length in bson' : 'bad embedded document length in bson');
  }
  P += 4;
  const q0 = Q;
  room(ELEMENT_ROOM);
  let t = B[P++]!;
  if (kind === ARRAY) {
    O[Q++] = 0x5b;
    while (t !== 0) {
      while (B[P++] !== 0); // array keys are ignored: bson numbers elements in order
      value(t);
      if (P >= end) throw corrupt('corrupted array bson');
      t = B[P++]!;
      room(ELEMENT_ROOM);
      if (t !== 0) O[Q++] = 0x2c;
    }
    O[Q++] = 0x5d;
    if (P !== end) throw corrupt('corrupted array bson');
    return;
  }
  // DBRef detection as in bson: the `$`-keys decide; one outside $ref/$id/$db rules it out for good.
  let dbref = 0; // 0: no $-key yet, 1: possible, 2: ruled out
  O[Q++] = 0x7b;
  while (t !== 0) {
    if (B[P] === 0x24 && dbref !== 2) dbref = isDbRefKey(P) ? 1 : 2;
    key();
    room(ELEMENT_ROOM);
    value(t);
    if (P >= end) throw corrupt('Bad BSON Document: object not properly terminated');
    t = B[P++]!;
    room(ELEMENT_ROOM);
    if (t !== 0) O[Q++] = 0x2c;
  }
  O[Q++] = 0x7d;
  if (P !== end) throw corrupt('Bad BSON Document: object not properly terminated');
  if (dbref === 1 && kind === OBJECT) {
    dbRef(start, end, q0);
    P = end;
  }
}

/**
 * Rewrite the document [start, end), already written at q0, the way bson writes a DBRef, if it is DBRef-like:
 * `$id` present and not null/undefined, `$ref` a string, `$db` absent or a string (last duplicate wins).
 */
function dbRef(start: number, _end: number, q0: number): void {
  const q1 = Q;
  let refAt = -1;
  let idAt = -1;
  let idType = 0;
  let dbAt = -1;
  let dbType = 0;
  let refType = 0;
  // Locate the $-fields; values are written (then dropped) just to step over them.
  P = start + 4;
  for (;;) {
    const t = B[P++]!;
    if (t === 0) break;
    const k = P;
    const special = B[k] === 0x24 && isDbRefKey(k);
    while (B[P++] !== 0);
    const at = P;
    room(ELEMENT_ROOM);
    value(t);
    Q = q1;
    if (special) {
      if (B[k + 1] === 0x72) {
        refAt = at;
        refType = t;
      } else if (B[k + 1] === 0x69) {
        idAt = at;
        idType = t;
      } else {
        dbAt = at;
        dbType = t;
      }
    }
  }
  if (idAt < 0 || idType === 0x0a || idType === 0x06 || refType !== 0x02 || (dbAt >= 0 && dbType !== 0x02)) return;
  Q = q0;
  P = refAt;
  let e = bsonString();
  const collection = decodeChecked(STR_START, e);
  let db: string | undefined;
  if (dbAt >= 0) {
    P = dbAt;
    e = bsonString();
    db = decodeChecked(STR_START, e);
  }
  db = dbRefHead(collection, db);
  P = idAt;
  value(idType);
  dbRefDb(db);
  // The other fields in stored order. bson copies them with Object.assign, which drops a `__proto__` field.
  P = start + 4;
  for (;;) {
    const t = B[P++]!;
    if (t === 0) break;
    const k = P;
    if ((B[k] === 0x24 && isDbRefKey(k)) || isProtoKey(k)) {
      while (B[P++] !== 0);
      const q = Q;
      room(ELEMENT_ROOM);
      value(t);
      Q = q;
      continue;
    }
    room(1);
    O[Q++] = 0x2c;
    key();
    room(ELEMENT_ROOM);
    value(t);
  }
  room(1);
  O[Q++] = 0x7d;
}

// ---------------------------------------------------------------------------------------------------------
// API

function asBuffer(bson: Uint8Array): Buffer {
  return Buffer.isBuffer(bson) ? bson : Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength);
}

/**
 * Append one raw BSON document (as the driver returns it with `raw: true`) as Extended JSON v2 to
 * `target.buf` at `target.pos`, then advance `target.pos`. When the text does not fit, `target.buf` is replaced
 * by a bigger buffer holding the same first `pos` bytes. On error, `target` is left as it was.
 */
export function writeEjson(bson: Uint8Array, mode: 'relaxed' | 'canonical', target: EjsonTarget): void {
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
  try {
    documentValue(OBJECT);
    target.buf = O;
    target.pos = Q;
  } finally {
    B = EMPTY; // hold no reference to the caller's buffers
    O = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
const SCRATCH_SIZE = 64 * 1024;
const scratch: EjsonTarget = { buf: Buffer.allocUnsafe(SCRATCH_SIZE), pos: 0 };

/**
 * One raw BSON document (as the driver returns it with `raw: true`) as Extended JSON v2 text, identical to
 * `toEjsonText(BSON.deserialize(bson, EXACT_READ), mode)` except where that reference is wrong (see above).
 */
export function rawToEjson(bson: Uint8Array, mode: 'relaxed' | 'canonical'): string {
  scratch.pos = 0;
  try {
    writeEjson(bson, mode, scratch);
    return (scratch.buf as FastBuffer).utf8Slice(0, scratch.pos);
  } finally {
    if (scratch.buf.length > 16 * SCRATCH_SIZE) scratch.buf = Buffer.allocUnsafe(SCRATCH_SIZE); // don't keep a huge one
  }
}
