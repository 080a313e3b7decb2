import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { BSON, type Document } from 'mongodb';
import { EXACT_READ } from '../../src/db/read-options.js';
import { createFastSink } from '../../src/output/fast-writer.js';
import { createDocSink, type DocSink } from '../../src/output/writers.js';
import type { OutputOptions } from '../../src/plan/model.js';
import { benchFields, edgeDocs, encodeDoc, generateCorpus, V } from '../fixtures/bson-corpus.js';

interface Written {
  bytes: Buffer;
  result: { bytes: number; sha256: string };
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
const deserialized = (docs: Buffer[]): Document[] => docs.map((d) => BSON.deserialize(d, EXACT_READ));

const OPTIONS: OutputOptions[] = [];
for (const format of ['json', 'ndjson'] as const) {
  for (const ejson of ['relaxed', 'canonical'] as const) {
    for (const gzip of [false, true]) OPTIONS.push({ format, ejson, gzip });
  }
}
const label = (o: OutputOptions): string => `${o.format}/${o.ejson}${o.gzip ? '/gzip' : ''}`;

async function assertSameFile(output: OutputOptions, raw: Buffer[], what: string): Promise<void> {
  const expected = await writeAll((dest) => createDocSink(dest, output), deserialized(raw));
  const actual = await writeAll((dest) => createFastSink(dest, output), raw);
  if (!actual.bytes.equals(expected.bytes)) {
    const a = output.gzip ? gunzipSync(actual.bytes) : actual.bytes;
    const e = output.gzip ? gunzipSync(expected.bytes) : expected.bytes;
    let i = 0;
    while (i < a.length && a[i] === e[i]) i++;
    assert.fail(
      `${label(output)} ${what}: files differ at ${i} (of ${e.length}/${a.length}${output.gzip ? ' uncompressed' : ''}):\n` +
        `  expected …${JSON.stringify(e.subarray(Math.max(0, i - 40), i + 40).toString())}\n  actual   …${JSON.stringify(a.subarray(Math.max(0, i - 40), i + 40).toString())}`,
    );
  }
  assert.deepEqual(actual.result, expected.result, `${label(output)} ${what}: reported bytes/sha256`);
  assert.equal(actual.result.bytes, actual.bytes.length);
  assert.equal(actual.result.sha256, sha(actual.bytes));
}

for (const output of OPTIONS) {
  test(`${label(output)}: same file as createDocSink for the corpus and edge documents`, async () => {
    // gzip is the slow part of the reference: a quarter of the corpus still spans several 1 MB chunks.
    const docs = [...edges, ...(output.gzip ? corpus.slice(0, 5000) : corpus)];
    await assertSameFile(output, docs, `${docs.length} documents`);
  });

  test(`${label(output)}: same file for no document, one document, and documents bigger than a chunk`, async () => {
    await assertSameFile(output, [], 'empty');
    await assertSameFile(output, [encodeDoc(benchFields(0))], 'one document');
    await assertSameFile(output, [encodeDoc([])], 'one empty document');
    const big = encodeDoc([
      ['s', V.string('x"é\n'.repeat(400_000))],
      ['b', V.binary(0, Buffer.alloc(300_000, 7))],
    ]);
    const small = corpus.slice(0, 50);
    await assertSameFile(output, [...small, big, ...small, big, big, ...small], 'big documents');
  });
}

test('file bytes are what was written, in order, with a slow destination (backpressure)', async () => {
  const docs = Array.from({ length: 20000 }, (_, i) => encodeDoc(benchFields(i)));
  for (const output of [OPTIONS[0]!, OPTIONS[1]!]) {
    const expected = await writeAll((dest) => createDocSink(dest, output), deserialized(docs.slice(0, 3000)));
    const actual = await writeAll((dest) => createFastSink(dest, output), docs.slice(0, 3000), true);
    assert.ok(actual.bytes.equals(expected.bytes), label(output));
    const many = await writeAll((dest) => createFastSink(dest, output), docs, true);
    assert.ok(many.waits > 0, 'write() asked the caller to wait at least once');
    assert.equal(many.result.bytes, many.bytes.length);
  }
});

test('writing to files (chunks reused once written): same files as createDocSink', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fast-writer-'));
  try {
    for (const output of OPTIONS.filter((o) => o.ejson === 'relaxed')) {
      const docs = [...edges, ...(output.gzip ? corpus.slice(0, 3000) : corpus)];
      const files: Buffer[] = [];
      const reported: { bytes: number; sha256: string }[] = [];
      for (const [name, make] of [
        ['ref', createDocSink],
        ['fast', createFastSink],
      ] as const) {
        const path = join(dir, `${name}-${label(output).replace(/\//g, '-')}`);
        const dest = createWriteStream(path, { highWaterMark: 1 << 20 });
        const sink = make(dest, output);
        for (const doc of name === 'ref' ? deserialized(docs) : docs) if (!sink.write(doc)) await sink.drained();
        reported.push(await sink.end());
        files.push(await readFile(path));
      }
      assert.ok(files[0]!.equals(files[1]!), label(output));
      assert.deepEqual(reported[1], reported[0]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('plain (deserialized) documents are accepted too, with the same output', async () => {
  for (const output of OPTIONS) {
    const raw = corpus.slice(0, 300);
    const expected = await writeAll((dest) => createDocSink(dest, output), deserialized(raw));
    const mixed = raw.map((d, i) => (i % 2 ? d : BSON.deserialize(d, EXACT_READ)));
    const actual = await writeAll((dest) => createFastSink(dest, output), mixed);
    assert.ok(actual.bytes.equals(expected.bytes), label(output));
  }
});

test('a document that cannot be converted fails the sink with its error', async () => {
  for (const output of [OPTIONS[0]!, OPTIONS[7]!]) {
    const dest = new Writable({ write: (_c, _e, cb) => cb() });
    const sink = createFastSink(dest, output);
    assert.equal(sink.write(encodeDoc(benchFields(1))), true);
    const bad = encodeDoc([['s', V.string(Uint8Array.from([0x61, 0xff]))]]);
    assert.equal(sink.write(bad), false);
    await assert.rejects(sink.drained(), /Invalid UTF-8 string in BSON document/);
    await assert.rejects(sink.end(), /Invalid UTF-8 string in BSON document/);
    await assert.rejects(sink.done, /Invalid UTF-8/);
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
