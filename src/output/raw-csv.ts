import { formatGoG } from './go-format.js';
import { type EjsonTarget, roomIn } from './raw-ejson.js';

/**
 * Raw BSON → a CSV row, as mongoexport writes one (mongo-tools 100.12.2: mongoexport/csv.go over the legacy
 * converter of common/bsonutil and common/json, then Go's encoding/csv):
 * - a field is a dotted path; each part picks the first field of that name in a document, or the element at that
 *   index in an array (`strconv.Atoi`: `+1` and `01` mean 1); anything else, or a missing field, is an empty cell;
 *   a trailing `.$` is dropped;
 * - a cell is the value's `%v` text: strings raw, numbers in Go's `%v` (`10`, `1e+06`, `-0`, `+Inf`), `true`,
 *   `ObjectId(hex)`, dates as `2006-01-02T15:04:05.000Z` in UTC (from year 3000 as `{ "$date": … }`), binary as
 *   upper-case hex, `/pattern/options`, code as its text, `$MinKey`, …; null is empty;
 * - documents and arrays in a cell are mongo-tools' legacy JSON, compact (`{"$numberLong":"5"}`, `10.0`,
 *   `{"$binary":"…","$type":"00"}`, `<>&` as `\u003c…`);
 * - quoted when it holds `,` `"` `\r` `\n`, starts with a space character, or is `\.`; rows end in `\n`.
 *
 * Deliberate differences (README): a Symbol is written as its string (mongoexport stops the export on one), a
 * non-canonical Decimal128 as zero (as the specification reads it).
 */

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export interface CsvField {
  /** The name in the header (the field as given, a trailing `.$` dropped). */
  header: string;
  /** The path's parts. */
  parts: string[];
}

/** A field list as mongoexport takes it: names as given (not trimmed), a trailing `.$` dropped. */
export function csvFields(names: readonly string[]): CsvField[] {
  return names.map((name) => {
    const header = name.endsWith('.$') ? name.slice(0, -2) : name;
    return { header, parts: header.split('.') };
  });
}

// ---------------------------------------------------------------------------------------------------------
// CSV (Go's encoding/csv Writer, Comma ',', UseCRLF false)

/** Go's unicode.IsSpace for the first rune of a field (past ASCII). */
const SPACE_START = /^[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** Go's fieldNeedsQuotes for the cell at b[s, e). */
function needsQuotes(b: Buffer, s: number, e: number): boolean {
  if (e === s) return false;
  if (e - s === 2 && b[s] === 0x5c && b[s + 1] === 0x2e) return true; // \.
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0x2c || c === 0x22 || c === 0x0d || c === 0x0a) return true;
  }
  const c0 = b[s]!;
  if (c0 < 0x80) return c0 === 0x20 || (c0 >= 0x09 && c0 <= 0x0d);
  return SPACE_START.test(utf8.decode(b.subarray(s, Math.min(e, s + 4))));
}

/** Append one cell's text (a string as UTF-8, or bytes as they are), quoted as Go's encoding/csv quotes it. */
function putCell(t: EjsonTarget, v: string | Buffer): void {
  const s = t.pos;
  if (typeof v === 'string') {
    roomIn(t, 3 * v.length);
    t.pos += t.buf.write(v, s, 'utf8');
  } else {
    roomIn(t, v.length);
    t.pos += v.copy(t.buf, s);
  }
  if (!needsQuotes(t.buf, s, t.pos)) return;
  const text = Buffer.from(t.buf.subarray(s, t.pos));
  let quotes = 0;
  for (const c of text) if (c === 0x22) quotes++;
  t.pos = s;
  roomIn(t, text.length + quotes + 2);
  const b = t.buf;
  let p = s;
  b[p++] = 0x22;
  for (const c of text) {
    b[p++] = c;
    if (c === 0x22) b[p++] = 0x22;
  }
  b[p++] = 0x22;
  t.pos = p;
}

function putByte(t: EjsonTarget, c: number): void {
  roomIn(t, 1);
  t.buf[t.pos++] = c;
}

/** One CSV record from its cells, with its `\n`. */
export function csvRecord(cells: readonly (string | Buffer)[]): Buffer {
  const t: EjsonTarget = { buf: Buffer.allocUnsafe(64), pos: 0 };
  cells.forEach((cell, i) => {
    if (i > 0) putByte(t, 0x2c);
    putCell(t, cell);
  });
  putByte(t, 0x0a);
  return Buffer.from(t.buf.subarray(0, t.pos));
}

/** The header record. */
export const csvHeader = (fields: readonly CsvField[]): Buffer => csvRecord(fields.map((f) => f.header));

// ---------------------------------------------------------------------------------------------------------
// Reading raw BSON

interface Element {
  type: number;
  /** Offset of the value. */
  at: number;
}

/** The offset just past the value of type `t` at `at`. */
function skip(b: Buffer, t: number, at: number): number {
  switch (t) {
    case 0x01:
    case 0x09:
    case 0x11:
    case 0x12:
      return at + 8;
    case 0x02:
    case 0x0d:
    case 0x0e:
      return at + 4 + b.readInt32LE(at);
    case 0x03:
    case 0x04:
    case 0x0f:
      return at + b.readInt32LE(at);
    case 0x05:
      return at + 5 + b.readInt32LE(at);
    case 0x07:
      return at + 12;
    case 0x08:
      return at + 1;
    case 0x0b: {
      const p = b.indexOf(0, at) + 1;
      return b.indexOf(0, p) + 1;
    }
    case 0x0c:
      return at + 4 + b.readInt32LE(at) + 12;
    case 0x10:
      return at + 4;
    case 0x13:
      return at + 16;
    case 0x06:
    case 0x0a:
    case 0xff:
    case 0x7f:
      return at;
    default:
      throw new Error(`unknown BSON type ${t.toString(16)}`);
  }
}

/** The elements of the document or array at `at`, in order: name bytes and value. */
function* elements(b: Buffer, at: number): Generator<{ name: Buffer } & Element> {
  let p = at + 4;
  for (;;) {
    const type = b[p++]!;
    if (type === 0) return;
    const end = b.indexOf(0, p);
    const name = b.subarray(p, end);
    p = end + 1;
    yield { name, type, at: p };
    p = skip(b, type, p);
  }
}

/** Go's strconv.Atoi for an array index: optional sign, decimal digits; undefined when it is not one. */
function atoi(part: string): number | undefined {
  if (!/^[+-]?\d+$/.test(part)) return undefined;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A path part, ready for matching: its name's bytes, and its array index when it is one. */
interface Step {
  key: Buffer;
  index: number | undefined;
}

/**
 * A field list compiled for rows: each field's steps below the top level, and which fields each top-level name
 * serves (so that a document's top level is read once, whatever the number of fields).
 */
interface RowPlan {
  steps: Step[][];
  /** The top-level name (its UTF-8 bytes read as latin1) → the fields that start with it. */
  top: Map<string, number[]>;
  /** The top-level element each field starts from in the current document: its type (0: none) and offset. */
  types: Uint8Array;
  ats: Int32Array;
}

const plans = new WeakMap<readonly CsvField[], RowPlan>();

function planFor(fields: readonly CsvField[]): RowPlan {
  let plan = plans.get(fields);
  if (plan) return plan;
  const top = new Map<string, number[]>();
  fields.forEach((f, i) => {
    const k = Buffer.from(f.parts[0]!, 'utf8').toString('latin1');
    top.set(k, [...(top.get(k) ?? []), i]);
  });
  plan = {
    steps: fields.map((f) => f.parts.slice(1).map((p) => ({ key: Buffer.from(p, 'utf8'), index: atoi(p) }))),
    top,
    types: new Uint8Array(fields.length),
    ats: new Int32Array(fields.length),
  };
  plans.set(fields, plan);
  return plan;
}

/** Name bytes b[s, e) equal `key`. */
function nameIs(b: Buffer, s: number, e: number, key: Buffer): boolean {
  if (e - s !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[s + i] !== key[i]) return false;
  return true;
}

/** For each field of `plan`, the first top-level element of its name in the document at offset 0. */
function readTop(b: Buffer, plan: RowPlan): void {
  plan.types.fill(0);
  let left = plan.top.size;
  let p = 4;
  while (left > 0) {
    const type = b[p++]!;
    if (type === 0) return;
    const end = b.indexOf(0, p);
    const users = plan.top.get(b.toString('latin1', p, end));
    const at = end + 1;
    if (users && plan.types[users[0]!] === 0) {
      for (const i of users) {
        plan.types[i] = type;
        plan.ats[i] = at;
      }
      left--;
    }
    p = skip(b, type, at);
  }
}

/** From a top-level element, the element the rest of a field's path leads to; undefined where it leads nowhere. */
function descend(b: Buffer, type: number, at: number, steps: readonly Step[]): Element | undefined {
  let cur: Element = { type, at };
  for (const step of steps) {
    if (cur.type !== 0x03 && (cur.type !== 0x04 || step.index === undefined || step.index < 0)) return undefined;
    const byIndex = cur.type === 0x04;
    let p = cur.at + 4;
    let k = 0;
    let next: Element | undefined;
    for (;;) {
      const t = b[p++]!;
      if (t === 0) break;
      const end = b.indexOf(0, p);
      if (byIndex ? k++ === step.index : nameIs(b, p, end, step.key)) {
        next = { type: t, at: end + 1 };
        break;
      }
      p = skip(b, t, end + 1);
    }
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------------------
// Values

const MS_PER_DAY = 86400000;
const FORMATTABLE_BEFORE = 32535215999000; // mongo-tools formats dates as text before this instant (year 3000)

/** Go's `time.Format("2006-01-02T15:04:05.000Z")` of `ms` in UTC, for any int64 milliseconds. */
function dateText(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  const rem = ms - days * MS_PER_DAY;
  // civil_from_days (H. Hinnant)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const year = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  const h = Math.floor(rem / 3600000);
  const min = Math.floor((rem % 3600000) / 60000);
  const s = Math.floor((rem % 60000) / 1000);
  return `${year}-${p2(m)}-${p2(d)}T${p2(h)}:${p2(min)}:${p2(s)}.${String(rem % 1000).padStart(3, '0')}Z`;
}

const int64At = (b: Buffer, at: number): bigint => b.readBigInt64LE(at);

/** A date as milliseconds: a number where exact, else the bigint. */
function dateMs(b: Buffer, at: number): number | bigint {
  const v = int64At(b, at);
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}

function oidHex(b: Buffer, at: number): string {
  return b.toString('hex', at, at + 12);
}

/** The string value (int32 length, bytes, NUL) at `at` as its bytes. */
const stringBytes = (b: Buffer, at: number): Buffer => b.subarray(at + 4, at + 4 + b.readInt32LE(at) - 1);

/** A binary value's data, the old subtype 2's inner length left out. */
function binaryData(b: Buffer, at: number): { sub: number; data: Buffer } {
  const len = b.readInt32LE(at);
  const sub = b[at + 4]!;
  const data = b.subarray(at + 5, at + 5 + len);
  return { sub, data: sub === 2 && len > 4 ? data.subarray(4) : data };
}

/** The regex at `at`: pattern and options bytes. */
function regex(b: Buffer, at: number): { pattern: Buffer; options: Buffer } {
  const pe = b.indexOf(0, at);
  const oe = b.indexOf(0, pe + 1);
  return { pattern: b.subarray(at, pe), options: b.subarray(pe + 1, oe) };
}

/** A cell: the value's `%v` text, or legacy JSON for documents and arrays; null is empty. */
function cell(b: Buffer, e: Element, decimal: (b: Buffer, at: number) => string): string | Buffer {
  const { type: t, at } = e;
  switch (t) {
    case 0x01:
      return formatGoG(b.readDoubleLE(at));
    case 0x02:
    case 0x0e:
      return stringBytes(b, at);
    case 0x03:
    case 0x04:
      return legacy(b, e, decimal);
    case 0x05: {
      const { data } = binaryData(b, at);
      return data.toString('hex').toUpperCase();
    }
    case 0x06:
      return '{ "$undefined": true }';
    case 0x07:
      return `ObjectId(${oidHex(b, at)})`;
    case 0x08:
      return b[at] ? 'true' : 'false';
    case 0x09: {
      const ms = dateMs(b, at);
      if (ms < FORMATTABLE_BEFORE && typeof ms === 'number') return dateText(ms);
      if (ms < FORMATTABLE_BEFORE) return dateText(Number(ms));
      return `{ "$date": { "$numberLong" : "${ms}" }}`;
    }
    case 0x0a:
      return EMPTY;
    case 0x0b: {
      const r = regex(b, at);
      return Buffer.concat([Buffer.from('/'), r.pattern, Buffer.from('/'), r.options]);
    }
    case 0x0c: {
      const ns = stringBytes(b, at);
      const oid = oidHex(b, at + 4 + b.readInt32LE(at));
      return Buffer.concat([Buffer.from('{ "$ref": "'), ns, Buffer.from(`", "$id": ObjectID("${oid}") }`)]);
    }
    case 0x0d:
      return stringBytes(b, at);
    case 0x0f:
      return stringBytes(b, at + 4);
    case 0x10:
      return String(b.readInt32LE(at));
    case 0x11:
      return `{ "$timestamp": { "t": ${b.readUInt32LE(at + 4)}, "i": ${b.readUInt32LE(at)} } }`;
    case 0x12:
      return String(int64At(b, at));
    case 0x13:
      return decimal(b, at);
    case 0xff:
      return '$MinKey';
    case 0x7f:
      return '$MaxKey';
    default:
      throw new Error(`unknown BSON type ${t.toString(16)}`);
  }
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------------------
// mongo-tools' legacy JSON (common/json Marshal, then compact with HTML escaping)

/** A JSON string as mongo-tools' encoder writes it: `\"` `\\` `\n` `\r`, `\u00XX` for other controls, `<>&` and U+2028/9 escaped, invalid UTF-8 as `\ufffd`. */
function legacyString(bytes: Buffer): string {
  let out = '"';
  const text = decodeReplacingEachByte(bytes);
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** UTF-8 decoding with one U+FFFD per byte that starts no valid sequence (Go's rule, not the WHATWG one). */
function decodeReplacingEachByte(bytes: Buffer): string {
  const text = utf8.decode(bytes);
  if (!text.includes('\ufffd')) return text;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = seqLength(bytes, i);
    out += n === 0 ? '\ufffd' : utf8.decode(bytes.subarray(i, i + n));
    i += n === 0 ? 1 : n;
  }
  return out;
}

function seqLength(b: Buffer, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  if (b0 < 0xc2 || b0 > 0xf4 || i + 1 >= b.length) return 0;
  const b1 = b[i + 1]!;
  if (b0 < 0xe0) return (b1 & 0xc0) === 0x80 ? 2 : 0;
  if (b0 === 0xe0 ? b1 < 0xa0 || b1 > 0xbf : b0 === 0xed ? b1 < 0x80 || b1 > 0x9f : (b1 & 0xc0) !== 0x80) return 0;
  if (b0 >= 0xf0 && (b0 === 0xf0 ? b1 < 0x90 : b0 === 0xf4 ? b1 > 0x8f : false)) return 0;
  if (i + 2 >= b.length || (b[i + 2]! & 0xc0) !== 0x80) return 0;
  if (b0 < 0xf0) return 3;
  if (i + 3 >= b.length || (b[i + 3]! & 0xc0) !== 0x80) return 0;
  return 4;
}

/** Go's `%q` of a code string, or undefined where its text would not be JSON (mongo-tools then writes an empty cell). */
function quoteCode(bytes: Buffer): string | undefined {
  const text = decodeReplacingEachByte(bytes);
  if (text.includes('\ufffd') && !bytes.includes(Buffer.from('\ufffd'))) return undefined; // \xNN: not JSON
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) {
      const short: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };
      if (!short[c] || 'av'.includes(short[c]!)) return undefined; // \xNN, \a, \v: not JSON
      out += `\\${short[c]}`;
    } else if (c > 0x7e && !PRINTABLE.test(ch)) {
      if (c > 0xffff) return undefined; // \\UXXXXXXXX: not JSON
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * A DBPointer's namespace and a regex's options go into mongo-tools' JSON raw (`%v`, unescaped): the cell is JSON
 * only when the bytes happen to make a valid JSON string; else mongo-tools writes an empty cell.
 */
function rawJsonString(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c === 0x22) throw new NotJson();
    if (c === 0x5c) {
      const n = bytes[++i];
      if (n === 0x75) {
        if (!/^[0-9a-fA-F]{4}$/.test(bytes.subarray(i + 1, i + 5).toString('latin1'))) throw new NotJson();
        i += 4;
      } else if (n === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(n))) throw new NotJson();
    }
  }
  return compactEscape(`"${utf8.decode(bytes)}"`);
}

/** JSON text after mongo-tools' compact with HTML escaping: `<` `>` `&` and U+2028/9 escaped inside strings too. */
const compactEscape = (text: string): string =>
  text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/** A NumberFloat as mongo-tools marshals it: Go `%g`, `.0` when integral and not in exponent form, `±Infinity`. */
function legacyDouble(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  const s = formatGoG(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

/** The value at `e` as mongo-tools' legacy JSON, compacted (no whitespace outside strings). */
function legacy(b: Buffer, e: Element, decimal: (b: Buffer, at: number) => string): string {
  const { type: t, at } = e;
  switch (t) {
    case 0x01:
      return legacyDouble(b.readDoubleLE(at));
    case 0x02:
    case 0x0e:
      return legacyString(stringBytes(b, at));
    case 0x03: {
      const parts: string[] = [];
      for (const x of elements(b, at)) parts.push(`${legacyString(x.name)}:${legacy(b, x, decimal)}`);
      return `{${parts.join(',')}}`;
    }
    case 0x04: {
      const parts: string[] = [];
      for (const x of elements(b, at)) parts.push(legacy(b, x, decimal));
      return `[${parts.join(',')}]`;
    }
    case 0x05: {
      const { sub } = binaryData(b, at);
      const raw = b.subarray(at + 5, at + 5 + b.readInt32LE(at));
      const data = sub === 2 && raw.length > 4 ? raw.subarray(4) : raw;
      return `{"$binary":"${data.toString('base64')}","$type":"${sub.toString(16).padStart(2, '0')}"}`;
    }
    case 0x06:
      return '{"$undefined":true}';
    case 0x07:
      return `{"$oid":"${oidHex(b, at)}"}`;
    case 0x08:
      return b[at] ? 'true' : 'false';
    case 0x09: {
      const ms = dateMs(b, at);
      return ms < FORMATTABLE_BEFORE ? `{"$date":"${dateText(Number(ms))}"}` : `{"$date":{"$numberLong":"${ms}"}}`;
    }
    case 0x0a:
      return 'null';
    case 0x0b: {
      const r = regex(b, at);
      return `{"$regex":${legacyString(r.pattern)},"$options":${rawJsonString(r.options)}}`;
    }
    case 0x0c: {
      const ns = stringBytes(b, at);
      const oid = oidHex(b, at + 4 + b.readInt32LE(at));
      return `{"$ref":${rawJsonString(ns)},"$id":{"$oid":"${oid}"}}`;
    }
    case 0x0d: {
      const q = quoteCode(stringBytes(b, at));
      if (q === undefined) throw new NotJson();
      return `{"$code":${compactEscape(q)}}`;
    }
    case 0x0f: {
      const q = quoteCode(stringBytes(b, at + 4));
      if (q === undefined) throw new NotJson();
      const scopeAt = at + 4 + 4 + b.readInt32LE(at + 4);
      return `{"$code":${compactEscape(q)},"$scope":${legacy(b, { type: 0x03, at: scopeAt }, decimal)}}`;
    }
    case 0x10:
      return String(b.readInt32LE(at));
    case 0x11:
      return `{"$timestamp":{"t":${b.readUInt32LE(at + 4)},"i":${b.readUInt32LE(at)}}}`;
    case 0x12:
      return `{"$numberLong":"${int64At(b, at)}"}`;
    case 0x13:
      return `{"$numberDecimal":"${decimal(b, at)}"}`;
    case 0xff:
      return '{"$minKey":1}';
    case 0x7f:
      return '{"$maxKey":1}';
    default:
      throw new Error(`unknown BSON type ${t.toString(16)}`);
  }
}

/** A value mongo-tools cannot marshal as JSON: its whole cell is empty. */
class NotJson extends Error {}

/**
 * One raw BSON document as the CSV record of `fields`, appended to `t`. `decimal` formats the Decimal128 at an
 * offset (the Extended JSON encoder's, so both agree).
 */
export function writeCsvRow(
  bson: Uint8Array,
  fields: readonly CsvField[],
  decimal: (b: Buffer, at: number) => string,
  t: EjsonTarget,
): void {
  const b = Buffer.isBuffer(bson) ? bson : Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength);
  const plan = planFor(fields);
  readTop(b, plan);
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) putByte(t, 0x2c);
    const type = plan.types[i]!;
    if (type === 0) continue;
    const steps = plan.steps[i]!;
    const e = steps.length === 0 ? { type, at: plan.ats[i]! } : descend(b, type, plan.ats[i]!, steps);
    if (!e) continue;
    let v: string | Buffer;
    try {
      v = cell(b, e, decimal);
    } catch (err) {
      if (err instanceof NotJson) continue;
      throw err;
    }
    putCell(t, v);
  }
  putByte(t, 0x0a);
}

/** One raw BSON document as the CSV record of `fields`, in a buffer of its own. */
export function csvRow(
  bson: Uint8Array,
  fields: readonly CsvField[],
  decimal: (b: Buffer, at: number) => string,
): Buffer {
  const t: EjsonTarget = { buf: Buffer.allocUnsafe(256), pos: 0 };
  writeCsvRow(bson, fields, decimal, t);
  return Buffer.from(t.buf.subarray(0, t.pos));
}
