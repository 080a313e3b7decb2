import type { OutputOptions } from '../plan/model.js';
import { csvFields, csvHeader } from './raw-csv.js';

/** What a batch file holds around its documents. */
export interface Framing {
  /** Before the first document. */
  open: Buffer;
  /** Between two documents. */
  sep: Buffer;
  /** After each document. */
  after: Buffer;
  /** After the last document. */
  close: Buffer;
  /** The whole file when there is no document. */
  empty: Buffer;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const NONE = Buffer.alloc(0);

/**
 * How mongoexport joins its documents (mongoexport/json.go, csv.go): one per line; `--jsonArray` joins them with `,`;
 * `--pretty` with a newline (`,\n` in an array). A batch file of mpe-export is the documents of its batch joined so,
 * and the final file puts the batch files together the same way (see wholeFile).
 */
function mongoexportSep(output: OutputOptions): { sep: Buffer; after: Buffer } {
  const m = output.mongoexport!;
  if (output.format === 'csv') return { sep: NONE, after: NONE }; // a CSV record ends in its newline
  if (!m.jsonArray && !m.pretty) return { sep: NONE, after: b('\n') };
  if (m.jsonArray) return { sep: b(m.pretty ? ',\n' : ','), after: NONE };
  return { sep: b('\n'), after: NONE };
}

/** The frame of every batch file of a plan. */
export function framingOf(output: OutputOptions): Framing {
  if (output.mongoexport) return { open: NONE, close: NONE, empty: NONE, ...mongoexportSep(output) };
  if (output.format === 'json') {
    // as JSONStream frames an array
    return { open: b('[\n'), sep: b('\n,\n'), after: NONE, close: b('\n]\n'), empty: b('[\n\n]\n') };
  }
  if (output.format === 'csv') {
    const header = csvHeader(csvFields(output.csvFields ?? []));
    return { open: header, sep: NONE, after: NONE, close: NONE, empty: header };
  }
  return { open: NONE, sep: NONE, after: b('\n'), close: NONE, empty: NONE };
}

/** How the pieces of one mongoexport file go together: before, between two non-empty pieces, after; or when empty. */
export interface WholeFile {
  head: Buffer;
  between: Buffer;
  foot: Buffer;
  /** The file when no piece holds a document. */
  empty: Buffer;
}

/** mongoexport's file around its documents (json.go WriteHeader/WriteFooter; the CSV header line). */
export function wholeFile(output: OutputOptions): WholeFile {
  const m = output.mongoexport;
  if (!m) throw new Error('wholeFile: not a mongoexport layout');
  if (output.format === 'csv') {
    const head = m.header ? csvHeader(csvFields(output.csvFields ?? [])) : NONE;
    return { head, between: NONE, foot: NONE, empty: head };
  }
  const { sep } = mongoexportSep(output);
  if (m.jsonArray)
    return { head: b('['), between: sep, foot: b(m.pretty ? ']\n\n' : ']\n'), empty: b(m.pretty ? '[]\n\n' : '[]\n') };
  if (m.pretty) return { head: NONE, between: sep, foot: b('\n'), empty: b('\n') };
  return { head: NONE, between: NONE, foot: NONE, empty: NONE };
}

/** One mongoexport file written in one go (an ordered cursor): its head, documents joined as mongoexport joins them, its foot. */
export function wholeFileFraming(output: OutputOptions): Framing {
  const w = wholeFile(output);
  const { sep, after } = mongoexportSep(output);
  return { open: w.head, sep, after, close: w.foot, empty: w.empty };
}

/**
 * A compact JSON text indented as Go's json.Indent(dst, src, "", "\t") does (mongoexport --pretty): a newline and
 * a tab per level before each member and element, `": "` after names, `{}` and `[]` kept as they are.
 */
export function indentJson(src: Buffer): Buffer {
  const out: number[] = [];
  let depth = 0;
  const newline = () => {
    out.push(0x0a);
    for (let k = 0; k < depth; k++) out.push(0x09);
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x22) {
      const start = i;
      for (i++; src[i] !== 0x22; i++) if (src[i] === 0x5c) i++;
      for (let k = start; k <= i; k++) out.push(src[k]!);
    } else if (c === 0x7b || c === 0x5b) {
      out.push(c);
      const close = c === 0x7b ? 0x7d : 0x5d;
      if (src[i + 1] === close) {
        out.push(close);
        i++;
      } else {
        depth++;
        newline();
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      newline();
      out.push(c);
    } else if (c === 0x2c) {
      out.push(c);
      newline();
    } else if (c === 0x3a) {
      out.push(0x3a, 0x20);
    } else out.push(c);
  }
  return Buffer.from(out);
}
