// Cheap, independent checks of an export: count the documents in the output files and checksum their _ids.
//
// A document starts with `{"_id":{"$oid":"` right after `[`, `,` or a newline (JSON array from mongoexport or
// JSONStream framing, or NDJSON). Strings escape their quotes, and the benchmark data has no nested `_id`, so
// nothing inside a document matches. The ObjectId hex that follows feeds an order-free checksum (bench/generate.js),
// so a run that writes the right number of documents but duplicates some and drops others still fails.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib, { createGunzip } from 'node:zlib';
import { idChecksum } from '../generate.js';

const PATTERN = Buffer.from('{"_id":{"$oid":"');
const NEED = PATTERN.length + 24;
const OK_BEFORE = new Set([0x5b /* [ */, 0x2c /* , */, 0x0a /* \n */]);

/** Scan a stream of output bytes, feeding the checksum; returns the number of documents and bytes read. */
async function scan(stream, sum) {
  let carry = Buffer.from('\n'); // the file start counts as a line start
  let docs = 0;
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let from = 1; // index 0 is context (the byte before), never a match start
    let keepFrom;
    for (;;) {
      const p = buf.indexOf(PATTERN, from);
      if (p < 0) {
        keepFrom = Math.max(from, buf.length - PATTERN.length + 1) - 1;
        break;
      }
      if (p + NEED > buf.length) {
        keepFrom = p - 1;
        break;
      }
      if (OK_BEFORE.has(buf[p - 1])) {
        docs++;
        sum.add(buf.toString('latin1', p + PATTERN.length, p + NEED));
      }
      from = p + 1;
    }
    carry = buf.subarray(Math.max(0, keepFrom));
  }
  return { docs, bytes };
}

/**
 * A zstd file's text: in this Node when it has zstd (22.15+), else through the Node 22 the benchmark runs
 * (BENCH_NODE22), as a child that decompresses standard input.
 */
function unzstd(file) {
  if (typeof zlib.createZstdDecompress === 'function')
    return fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(zlib.createZstdDecompress());
  const node = process.env.BENCH_NODE22;
  if (!node) throw new Error(`${file}: zstd, and neither this Node nor BENCH_NODE22 can read it`);
  const child = spawn(
    node,
    ['-e', "process.stdin.pipe(require('node:zlib').createZstdDecompress()).pipe(process.stdout)"],
    {
      stdio: [fs.openSync(file, 'r'), 'pipe', 'inherit'],
    },
  );
  return child.stdout;
}

/** Count documents and checksum _ids over files (gzip or zstd by extension). */
export async function verifyFiles(files) {
  const sum = idChecksum();
  let docs = 0;
  let fileBytes = 0;
  for (const f of files) {
    fileBytes += fs.statSync(f).size;
    const stream = f.endsWith('.zst') ? unzstd(f) : fs.createReadStream(f, { highWaterMark: 1 << 20 });
    const r = await scan(f.endsWith('.gz') ? stream.pipe(createGunzip()) : stream, sum);
    docs += r.docs;
  }
  return { docs, fileBytes, idChecksum: sum.value(), files: files.length };
}

/**
 * CSV whose first column is _id: a record starts a line with `ObjectId(` and 24 hex digits (the benchmark's
 * columns hold no newline, so every line is one record; the header line does not match).
 */
export async function verifyCsv(file) {
  const sum = idChecksum();
  let docs = 0;
  let carry = '';
  for await (const chunk of fs.createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop();
    for (const line of lines) {
      const m = /^ObjectId\(([0-9a-f]{24})\)/.exec(line);
      if (m) {
        docs++;
        sum.add(m[1]);
      }
    }
  }
  if (/^ObjectId\(/.test(carry)) throw new Error(`${file}: the last record has no newline`);
  return { docs, fileBytes: fs.statSync(file).size, idChecksum: sum.value(), files: 1 };
}

/** The data files extract-all wrote into dir: batch-*.json / .ndjson, optionally .gz. */
export function batchFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((n) => /^batch-\d+\.(json|ndjson)(\.gz|\.zst)?$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}
