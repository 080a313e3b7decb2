import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import { BSON, type Document } from 'mongodb';
import { EXACT_READ } from '../../src/db/read-options.js';
import { ExtractError } from '../../src/errors.js';
import { createFastSink } from '../../src/output/fast-writer.js';
import { rawToEjson } from '../../src/output/raw-ejson.js';
import { createDocSink, type DocSink, jsonStreamUnavailable, type SinkTotals } from '../../src/output/writers.js';
import type { OutputOptions } from '../../src/plan/model.js';
import { benchFields, edgeDocs, encodeDoc, generateCorpus, V } from '../fixtures/bson-corpus.js';

interface Written {
  bytes: Buffer;
  result: SinkTotals;
  waits: number;
}

/**
 * Write docs through a sink into a collector that keeps every chunk it is given, without copying: if a writer
 * reused memory it had handed over, the collected bytes would show it.
 */
async function writeAll(make: (dest: Writable) => DocSink, docs: Iterable<unknown>, slow = false): Promise<Written> {
  const chunks: Buffer[] = [];
  const dest = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      if (slow) setImmediate(cb);
      else cb();
    },
  });
  const sink = make(dest);
  let waits = 0;
  for (const doc of docs) {
    if (!sink.write(doc as Document)) {
      waits++;
      await sink.drained();
    }
  }
  const result = await sink.end();
  return { bytes: Buffer.concat(chunks), result, waits };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const corpus = generateCorpus();
const edges = edgeDocs().map((e) => e.bson);

/** Documents a JavaScript object can hold exactly: what the jsonstream writer accepts. */
function holdable(docs: readonly Buffer[]): Buffer[] {
  return docs.filter((d) => {
    try {
      return Buffer.from(BSON.serialize(BSON.deserialize(d, { ...EXACT_READ, validation: { utf8: false } }))).equals(d);
    } catch {
      return false;
    }
  });
}

/** zstd in node:zlib: Node 22.15 and later. */
const unzstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const OPTIONS: OutputOptions[] = [];
for (const format of ['json', 'ndjson'] as const) {
  for (const ejson of ['relaxed', 'canonical'] as const) {
    for (const gzip of [false, true]) OPTIONS.push({ format, ejson, gzip });
    // zstd where this Node has it (22.15+)
    if (unzstd) OPTIONS.push({ format, ejson, gzip: false, zstd: true });
  }
}
const label = (o: OutputOptions): string => `${o.format}/${o.ejson}${o.gzip ? '/gzip' : o.zstd ? '/zstd' : ''}`;
test('zstd: every format and mode below, where this Node has it', (t) => {
  if (!unzstd) t.skip(`this Node (${process.versions.node}) has no zstd in node:zlib: the zstd cases do not run`);
});

/**
 * The file a writer must produce, uncompressed: each document's encoding (test/output/raw-ejson.test.ts and the
 * oracles check those), framed as JSONStream frames an array (`[\n`, `\n,\n`, `\n]\n`; `[\n\n]\n` when empty) or
 * one per line.
 */
function expectedText(output: OutputOptions, raw: readonly Buffer[]): Buffer {
  const texts = raw.map((d) => rawToEjson(d, output.ejson));
  if (output.format === 'ndjson') return Buffer.from(texts.map((t) => `${t}\n`).join(''), 'utf8');
  return Buffer.from(texts.length === 0 ? '[\n\n]\n' : `[\n${texts.join('\n,\n')}\n]\n`, 'utf8');
}

function assertFile(output: OutputOptions, written: Written, raw: readonly Buffer[], what: string): void {
  const a = output.gzip ? gunzipSync(written.bytes) : output.zstd ? unzstd!(written.bytes) : written.bytes;
  const e = expectedText(output, raw);
  if (!a.equals(e)) {
    let i = 0;
    while (i < a.length && a[i] === e[i]) i++;
    assert.fail(
      `${label(output)} ${what}: files differ at ${i} (of ${e.length}/${a.length}${output.gzip || output.zstd ? ' uncompressed' : ''}):\n` +
        `  expected …${JSON.stringify(e.subarray(Math.max(0, i - 40), i + 40).toString())}\n  actual   …${JSON.stringify(a.subarray(Math.max(0, i - 40), i + 40).toString())}`,
    );
  }
  assert.equal(written.result.bytes, written.bytes.length, `${label(output)} ${what}: reported bytes`);
  assert.equal(written.result.sha256, sha(written.bytes), `${label(output)} ${what}: reported sha256`);
}

async function assertFast(output: OutputOptions, raw: Buffer[], what: string): Promise<void> {
  assertFile(output, await writeAll((dest) => createFastSink(dest, output), raw), raw, what);
}

for (const output of OPTIONS) {
  test(`${label(output)}: the corpus and edge documents, framed`, async () => {
    // gzip is the slow part: a quarter of the corpus still spans several 1 MB chunks.
    const docs = [...edges, ...(output.gzip || output.zstd ? corpus.slice(0, 5000) : corpus)];
    await assertFast(output, docs, `${docs.length} documents`);
  });

  test(`${label(output)}: no document, one document, and documents bigger than a chunk`, async () => {
    await assertFast(output, [], 'empty');
    await assertFast(output, [encodeDoc(benchFields(0))], 'one document');
    await assertFast(output, [encodeDoc([])], 'one empty document');
    const big = encodeDoc([
      ['s', V.string('x"é\n'.repeat(400_000))],
      ['b', V.binary(0, Buffer.alloc(300_000, 7))],
    ]);
    const small = corpus.slice(0, 50);
    await assertFast(output, [...small, big, ...small, big, big, ...small], 'big documents');
  });
}

test('file bytes are what was written, in order, with a slow destination (backpressure)', async () => {
  const docs = Array.from({ length: 20000 }, (_, i) => encodeDoc(benchFields(i)));
  for (const output of [OPTIONS[0]!, OPTIONS[1]!]) {
    const actual = await writeAll((dest) => createFastSink(dest, output), docs.slice(0, 3000), true);
    assertFile(output, actual, docs.slice(0, 3000), 'slow destination');
    const many = await writeAll((dest) => createFastSink(dest, output), docs, true);
    assert.ok(many.waits > 0, 'write() asked the caller to wait at least once');
    assert.equal(many.result.bytes, many.bytes.length);
  }
});

test('writing to files (chunks reused once written): the same files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fast-writer-'));
  try {
    for (const output of OPTIONS.filter((o) => o.ejson === 'relaxed')) {
      const docs = [...edges, ...(output.gzip || output.zstd ? corpus.slice(0, 3000) : corpus)];
      const path = join(dir, `fast-${label(output).replace(/\//g, '-')}`);
      const dest = createWriteStream(path, { highWaterMark: 1 << 20 });
      const sink = createFastSink(dest, output);
      for (const doc of docs) if (!sink.write(doc)) await sink.drained();
      const result = await sink.end();
      assertFile(output, { bytes: await readFile(path), result, waits: 0 }, docs, 'file');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('plain (deserialized) documents are accepted too: serialized back, the same output', async () => {
  for (const output of OPTIONS) {
    // documents a JavaScript object holds exactly (no repeated names, names like "2" in numeric order, …)
    const raw = holdable(corpus).slice(0, 300);
    assert.ok(raw.length === 300);
    const mixed = raw.map((d, i) => (i % 2 ? d : BSON.deserialize(d, EXACT_READ)));
    assertFile(output, await writeAll((dest) => createFastSink(dest, output), mixed), raw, 'mixed');
  }
});

test('invalid UTF-8: written as \\ufffd and counted; with strictUtf8 the sink fails, naming the document', async () => {
  const bad = encodeDoc([
    ['_id', V.int32(7)],
    ['s', V.string(Uint8Array.from([0x61, 0xff]))],
  ]);
  for (const output of [OPTIONS[0]!, OPTIONS[7]!]) {
    const w = await writeAll((dest) => createFastSink(dest, output), [encodeDoc(benchFields(1)), bad, bad]);
    assert.equal(w.result.invalidUtf8, 2);
    assertFile(output, w, [encodeDoc(benchFields(1)), bad, bad], 'invalid UTF-8');
    const dest = new Writable({ write: (_c, _e, cb) => cb() });
    const sink = createFastSink(dest, { ...output, strictUtf8: true });
    assert.equal(sink.write(encodeDoc(benchFields(1))), true);
    assert.equal(sink.write(bad), false);
    const refusal =
      /document 2 of the batch \(_id \{"\$numberInt":"7"\}\) holds a string or field name that is not valid UTF-8/;
    await assert.rejects(sink.drained(), refusal);
    await assert.rejects(sink.end(), refusal);
    await assert.rejects(sink.done, refusal);
  }
});

test('a document that cannot be converted (malformed BSON) fails the sink with its error', async () => {
  const dest = new Writable({ write: (_c, _e, cb) => cb() });
  const sink = createFastSink(dest, OPTIONS[0]!);
  const bad = encodeDoc([['b', V.bool(true)]]);
  bad[bad.length - 2] = 2;
  assert.equal(sink.write(bad), false);
  await assert.rejects(sink.end(), /illegal boolean/);
});

test('--writer jsonstream: the same files as the fast writer for every document a JavaScript object holds', async (t) => {
  const why = jsonStreamUnavailable();
  if (why) {
    assert.throws(
      () => createDocSink(new Writable(), OPTIONS[0]!),
      (err: Error) => err instanceof ExtractError && err.code === 'USAGE' && /Node 22/.test(err.message),
    );
    return t.skip(why);
  }
  const docs = holdable([...edges, ...corpus.slice(0, 3000)]);
  assert.ok(docs.length > 1000, `${docs.length} holdable documents`);
  for (const output of OPTIONS) {
    const written = await writeAll((dest) => createDocSink(dest, output), docs);
    assertFile(output, written, docs, 'jsonstream');
    assertFile(output, await writeAll((dest) => createDocSink(dest, output), []), [], 'jsonstream, empty');
  }
});

test('--writer jsonstream refuses a document a JavaScript object would change, rather than write it differently', async (t) => {
  const why = jsonStreamUnavailable();
  if (why) return t.skip(why);
  const refused = [
    encodeDoc([
      ['b', V.int32(1)],
      ['2', V.int32(2)],
    ]),
    encodeDoc([
      ['a', V.int32(1)],
      ['a', V.int32(2)],
    ]),
    encodeDoc([['s', V.string(Uint8Array.from([0xff]))]]),
    encodeDoc([['p', V.dbPointer('db.c', '65a1b2c3d4e5f60718293a4b')]]),
  ];
  for (const doc of refused) {
    const dest = new Writable({ write: (_c, _e, cb) => cb() });
    const sink = createDocSink(dest, OPTIONS[0]!);
    sink.write(encodeDoc(benchFields(1)));
    sink.write(doc);
    await assert.rejects(
      sink.end(),
      (err: Error) =>
        err instanceof ExtractError &&
        err.code === 'USAGE' &&
        /document 2 of the batch cannot be held exactly/.test(err.message),
    );
  }
});

test('destroy() fails the pipeline', async () => {
  const dest = new Writable({ write: (_c, _e, cb) => cb() });
  const sink = createFastSink(dest, OPTIONS[0]!);
  sink.write(encodeDoc(benchFields(1)));
  sink.destroy(new Error('stop'));
  await assert.rejects(sink.done, /stop/);
  await assert.rejects(sink.end(), /stop/);
});

test('memory stays bounded: 300k documents through the sink grow the RSS by less than 64 MB', async () => {
  // ~400 bytes of text each: 300k of them (~120 MB) would not fit under the bound if the sink accumulated them.
  const variants = Array.from({ length: 64 }, (_, i) =>
    encodeDoc([
      ['_id', V.int32(i)],
      ['s', V.string(`value ${i} `.repeat(40))],
      ['d', V.date(1700000000000 + i)],
    ]),
  );
  // A file stream (chunks are reused once written) with and without gzip, and a stream that is not a file
  // (it gets fresh chunks, which the garbage collector reclaims).
  for (const [gzip, toFile] of [
    [false, true],
    [true, true],
    [false, false],
  ] as const) {
    const output: OutputOptions = { format: 'json', ejson: 'relaxed', gzip };
    let bytes = 0;
    const dest = toFile
      ? createWriteStream('/dev/null').on('data', () => {})
      : new Writable({
          write(chunk: Buffer, _e, cb) {
            bytes += chunk.length;
            cb();
          },
        });
    const sink = createFastSink(dest, output);
    let peak = 0;
    const base = process.memoryUsage().rss;
    for (let i = 0; i < 300_000; i++) {
      if (!sink.write(variants[i & 63]!)) await sink.drained();
      if ((i & 4095) === 0) peak = Math.max(peak, process.memoryUsage().rss - base);
    }
    const result = await sink.end();
    peak = Math.max(peak, process.memoryUsage().rss - base);
    if (toFile) bytes = (dest as WriteStream).bytesWritten;
    assert.equal(result.bytes, bytes);
    assert.ok(bytes > (gzip ? 100_000 : 100_000_000), `wrote ${bytes} bytes`);
    if (process.env.SHOW_RSS) console.log(`gzip ${gzip} file ${toFile}: RSS +${(peak / 1048576).toFixed(1)} MB`);
    assert.ok(peak < 64 * 1024 * 1024, `RSS grew by ${(peak / 1048576).toFixed(1)} MB (gzip ${gzip})`);
  }
});
