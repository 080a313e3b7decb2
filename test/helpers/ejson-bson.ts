// Canonical Extended JSON back to BSON bytes, keeping field order and repeated names (the driver's EJSON.parse
// reorders names like "2" and maps dates beyond JavaScript's range to 0): the round-trip check of the writers.
// For tests only; it reads what a canonical writer writes, nothing more.
import { encodeDoc, type Field, V, type Val } from '../fixtures/bson-corpus.js';

type Node =
  | { k: 'obj'; entries: [string, Node][] }
  | { k: 'arr'; items: Node[] }
  | { k: 'str'; v: string }
  | { k: 'num'; text: string }
  | { k: 'lit'; v: boolean | null };

/** A JSON text as a tree that keeps every member in order (repeated names too) and numbers as written. */
export function parseTree(text: string): Node {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): Node => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, Node][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { k: 'obj', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a name');
        const key = str();
        ws();
        if (text[i++] !== ':') fail('expected :');
        entries.push([key, value()]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i++] === '}') return { k: 'obj', entries };
        else fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { k: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i++] === ']') return { k: 'arr', items };
        else fail('expected , or ]');
      }
    }
    if (c === '"') return { k: 'str', v: str() };
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { k: 'lit', v };
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected text');
    i += m[0].length;
    return { k: 'num', text: m[0] };
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return v;
}

const keysOf = (n: Extract<Node, { k: 'obj' }>) => n.entries.map(([k]) => k).join(',');
const get = (n: Node, key: string): Node | undefined =>
  n.k === 'obj' ? n.entries.find(([k]) => k === key)?.[1] : undefined;
const s = (n: Node | undefined): string => {
  if (n?.k !== 'str') throw new Error('expected a string');
  return n.v;
};

function double(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** A canonical Extended JSON value as the BSON value it stands for. */
function toVal(n: Node): Val {
  switch (n.k) {
    case 'str':
      return V.string(n.v);
    case 'lit':
      return n.v === null ? V.null() : V.bool(n.v);
    case 'arr':
      return V.array(...n.items.map(toVal));
    case 'num':
      throw new Error(`a bare number (${n.text}) in canonical Extended JSON`);
    case 'obj':
      return wrapper(n) ?? V.doc(...toFields(n));
  }
}

function wrapper(n: Extract<Node, { k: 'obj' }>): Val | undefined {
  const shape = keysOf(n);
  const one = n.entries[0]?.[1];
  switch (shape) {
    case '$oid':
      return V.oid(s(one));
    case '$numberInt':
      return V.int32(Number(s(one)));
    case '$numberLong':
      return V.int64(BigInt(s(one)));
    case '$numberDouble':
      return V.double(double(s(one)));
    case '$numberDecimal':
      return V.decimal(s(one));
    case '$symbol':
      return V.symbol(s(one));
    case '$code':
      return V.code(s(one));
    case '$code,$scope':
      return V.codeWithScope(s(one), ...toFields(get(n, '$scope') as Extract<Node, { k: 'obj' }>));
    case '$undefined':
      return V.undefined();
    case '$minKey':
      return V.minKey();
    case '$maxKey':
      return V.maxKey();
    case '$date':
      return V.date(BigInt(s(get(one!, '$numberLong'))));
    case '$timestamp':
      return V.timestamp(
        Number((get(one!, 't') as { text: string }).text),
        Number((get(one!, 'i') as { text: string }).text),
      );
    case '$binary': {
      const sub = Number.parseInt(s(get(one!, 'subType')), 16);
      return V.binary(sub, Buffer.from(s(get(one!, 'base64')), 'base64'));
    }
    case '$regularExpression':
      return V.regex(s(get(one!, 'pattern')), s(get(one!, 'options')));
    case '$dbPointer':
      return V.dbPointer(s(get(one!, '$ref')), s(get(get(one!, '$id')!, '$oid')));
    default:
      return undefined;
  }
}

function toFields(n: Extract<Node, { k: 'obj' }>): Field[] {
  return n.entries.map(([k, v]) => [k, toVal(v)] as const);
}

/** A canonical Extended JSON document as BSON bytes. */
export function canonicalToBson(text: string): Buffer {
  const tree = parseTree(text);
  if (tree.k !== 'obj') throw new Error('not a document');
  return encodeDoc(toFields(tree));
}

/**
 * Every element of a raw BSON document, nested documents, arrays and code-with-scope scopes included, in order:
 * `visit(type, name)` with the position of the element's name; true from it stops the walk (walkBson returns true).
 * An unknown type throws: the bytes are not BSON this walker knows.
 */
export function walkBson(raw: Uint8Array, visit: (type: number, name: number) => boolean | undefined): boolean {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const walk = (start: number): boolean => {
    let p = start + 4;
    for (;;) {
      const t = b[p++]!;
      if (t === 0) return false;
      if (visit(t, p)) return true;
      while (b[p++] !== 0);
      const size = () => b.readInt32LE(p);
      switch (t) {
        case 0x01:
        case 0x09:
        case 0x11:
        case 0x12:
          p += 8;
          break;
        case 0x02:
        case 0x0d:
        case 0x0e:
          p += 4 + size();
          break;
        case 0x03:
        case 0x04:
          if (walk(p)) return true;
          p += size();
          break;
        case 0x05:
          p += 5 + size();
          break;
        case 0x06:
        case 0x0a:
        case 0xff:
        case 0x7f:
          break; // no value
        case 0x07:
          p += 12;
          break;
        case 0x08:
          p += 1;
          break;
        case 0x0b:
          while (b[p++] !== 0);
          while (b[p++] !== 0);
          break;
        case 0x0c:
          p += 4 + size() + 12;
          break;
        case 0x0f:
          if (walk(p + 8 + b.readInt32LE(p + 4))) return true;
          p += size();
          break;
        case 0x10:
          p += 4;
          break;
        case 0x13:
          p += 16;
          break;
        default:
          throw new Error(`unknown BSON type 0x${t.toString(16)} at byte ${p - 1}`);
      }
    }
  };
  return walk(0);
}
