// The order of the calls that make a file durable, traced at the file-system seam (node:fs/promises, patched for
// this process): a data file and its record are each fsynced before they are renamed into place, the directory is
// fsynced after each rename, and the record is renamed only after the data file is in place. The same seam injects
// failures (an fsync, a write, opening the directory) to show what is left behind when a step fails: never a
// partial file under the final name, never a temporary file, never an open descriptor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fsp, { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { ExtractError } from '../../src/errors.js';
import {
  HashCounter,
  openAtomic,
  removeStaleTemps,
  TMP_FILE,
  tmpNameFor,
  writeFileAtomic,
} from '../../src/output/atomic-file.js';
import { batchPath, recordPath } from '../../src/output/layout.js';
import { publishBatch } from '../../src/output/publish.js';
import { makeRecord } from '../../src/output/record.js';
import type { PlanFile } from '../../src/plan/model.js';
import { makePlanFile } from '../../src/plan/plan-file.js';
import { tmpDir } from '../helpers/tmp.js';

const trace: string[] = [];
const paths = new Map<number, string>();
const name = (p: unknown) => basename(String(p)).replace(/\.\d+-[0-9a-f]{8}\.tmp$/, '.tmp');

/** Failures to inject, by the traced name of the file (temporary names without their pid and random part). */
const faults: { open?: string; sync?: string; writeFile?: string; error?: NodeJS.ErrnoException } = {};
const fault = (kind: 'open' | 'sync' | 'writeFile', file: string | undefined): NodeJS.ErrnoException | undefined =>
  faults[kind] !== undefined && faults[kind] === file ? (faults.error ?? errno('EIO', 'i/o error')) : undefined;
const errno = (code: string, message: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${message}`), { code });
const clearFaults = () => {
  for (const k of Object.keys(faults)) delete faults[k as keyof typeof faults];
};

const originalOpen = fsp.open;
const originalRename = fsp.rename;
type Proto = { sync(): Promise<void>; writeFile(...a: unknown[]): Promise<void> };
let proto: Proto | undefined;
let originalSync: (() => Promise<void>) | undefined;
let originalWriteFile: ((...a: unknown[]) => Promise<void>) | undefined;

before(async () => {
  fsp.open = (async (path: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
    const failed = fault('open', name(path));
    if (failed) throw failed;
    const fh = await (originalOpen as (...a: unknown[]) => Promise<fsp.FileHandle>)(path, ...rest);
    const file = name(path);
    paths.set(fh.fd, file);
    // close is an own property of each FileHandle (not on its prototype): traced here, per handle
    const close = fh.close;
    fh.close = () => {
      trace.push(`close ${file}`);
      return close.call(fh);
    };
    return fh;
  }) as typeof fsp.open;
  fsp.rename = (async (a: Parameters<typeof fsp.rename>[0], b: Parameters<typeof fsp.rename>[1]) => {
    trace.push(`rename ${name(a)} -> ${name(b)}`);
    return originalRename(a, b);
  }) as typeof fsp.rename;
  const probe = await originalOpen('/dev/null', 'r');
  proto = Object.getPrototypeOf(probe) as Proto;
  await probe.close();
  originalSync = proto.sync;
  originalWriteFile = proto.writeFile;
  proto.sync = function (this: fsp.FileHandle) {
    const file = paths.get(this.fd);
    trace.push(`sync ${file}`);
    const failed = fault('sync', file);
    return failed ? Promise.reject(failed) : originalSync!.call(this);
  };
  proto.writeFile = function (this: fsp.FileHandle, ...a: unknown[]) {
    const failed = fault('writeFile', paths.get(this.fd));
    return failed ? Promise.reject(failed) : originalWriteFile!.apply(this, a);
  };
  syncBuiltinESMExports();
});

after(() => {
  fsp.open = originalOpen;
  fsp.rename = originalRename;
  if (proto && originalSync && originalWriteFile) {
    proto.sync = originalSync;
    proto.writeFile = originalWriteFile;
  }
  syncBuiltinESMExports();
});

const plan: PlanFile = makePlanFile({
  source: { db: 'd', collection: 'c' },
  query: null,
  fields: null,
  output: { format: 'json', ejson: 'relaxed', gzip: false },
  expectedDocs: 1,
  method: { name: 'single', batchSize: 1, idClasses: {}, keysRead: 0, seconds: 0, notes: [] },
  batches: [{ index: 0, class: 'all', types: [], estimatedDocs: 1 }],
});

/** Index of the first trace line matching `re` after position `from`. */
function at(re: RegExp, from = 0): number {
  const i = trace.findIndex((l, k) => k >= from && re.test(l));
  assert.ok(i >= 0, `no ${re} in the trace (after ${from}):\n${trace.join('\n')}`);
  return i;
}

describe('durability: the order of fsync and rename', () => {
  test('a small file (plan, record, manifest): fsync, rename, then fsync of its directory', async (t) => {
    const dir = await tmpDir(t);
    trace.length = 0;
    await writeFileAtomic(join(dir, 'plan.json'), '{}\n');
    const sync = at(/^sync \.plan\.json\.tmp$/);
    const rename = at(/^rename \.plan\.json\.tmp -> plan\.json$/);
    const dirSync = at(new RegExp(`^sync ${basename(dir)}$`), rename);
    assert.ok(sync < rename && rename < dirSync, trace.join('\n'));
  });

  test('a batch: data fsynced, renamed, directory fsynced; only then the record, fsynced before its own rename', async (t) => {
    const dir = await tmpDir(t);
    trace.length = 0;
    const file = await openAtomic(batchPath(dir, plan, 0));
    await file.handle.writeFile('[\n{}\n]\n');
    await publishBatch(dir, plan, 0, file, () => makeRecord(plan, 0, { docs: 1, bytes: 7, sha256: 'x', seconds: 0 }));
    const data = basename(batchPath(dir, plan, 0));
    const record = basename(recordPath(dir, plan, 0));
    const dataRename = at(new RegExp(`^rename \\.${data}\\.tmp -> ${data}$`));
    const lastDataSync = trace
      .map((l, i) => (l === `sync .${data}.tmp` ? i : -1))
      .filter((i) => i >= 0 && i < dataRename);
    assert.ok(lastDataSync.length > 0, `the data file was not fsynced before its rename:\n${trace.join('\n')}`);
    const dirAfterData = at(new RegExp(`^sync ${basename(dir)}$`), dataRename);
    const recordSync = at(new RegExp(`^sync \\.${record}\\.tmp$`), dirAfterData);
    const recordRename = at(new RegExp(`^rename \\.${record}\\.tmp -> ${record}$`), recordSync);
    at(new RegExp(`^sync ${basename(dir)}$`), recordRename);
    assert.ok(dataRename < dirAfterData && dirAfterData < recordSync && recordSync < recordRename, trace.join('\n'));
  });
});

/** Inject `f` for this test only. */
function inject(t: { after(fn: () => unknown): void }, f: typeof faults): void {
  Object.assign(faults, f);
  t.after(clearFaults);
}

const count = (line: string) => trace.filter((l) => l === line).length;

/** An error that must be the ExtractError `code` with exactly `message`. */
const extractError = (code: string, message: string, global?: boolean) => (err: unknown) => {
  assert.ok(err instanceof ExtractError, `not an ExtractError: ${String(err)}`);
  assert.equal(err.code, code);
  assert.equal(err.message, message);
  if (global !== undefined) assert.equal(err.global, global);
  return true;
};

/** A pid no process has now: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid && child.pid > 0);
  return child.pid;
}

describe('temporary names', () => {
  test("tmpNameFor: a hidden file beside the final one, with the writer's pid and 8 random hex digits", () => {
    const final = join('/some/dir', 'batch-00001.json.gz');
    const tmp = tmpNameFor(final);
    assert.equal(dirname(tmp), '/some/dir');
    const m = TMP_FILE.exec(basename(tmp));
    assert.ok(m, `${basename(tmp)} does not match TMP_FILE`);
    assert.equal(m[1], 'batch-00001.json.gz');
    assert.equal(m[2], String(process.pid));
    assert.match(basename(tmp), new RegExp(`^\\.batch-00001\\.json\\.gz\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
    assert.notEqual(tmpNameFor(final), tmp);
  });

  test('TMP_FILE takes the final name and the pid out of a temporary name', () => {
    const cases: [string, string, string][] = [
      ['.a.1-0123abcd.tmp', 'a', '1'],
      ['.ab.123-ffffffff.tmp', 'ab', '123'],
      ['.plan.json.4242-deadbeef.tmp', 'plan.json', '4242'],
      ['..hidden.77-00000000.tmp', '.hidden', '77'],
    ];
    for (const [file, final, pid] of cases) {
      const m = TMP_FILE.exec(file);
      assert.ok(m, `${file} should match`);
      assert.deepEqual([m[1], m[2]], [final, pid], file);
    }
  });

  test('TMP_FILE matches nothing else (a final name, a foreign .tmp, a bad pid or random part)', () => {
    for (const file of [
      'a.1-0123abcd.tmp',
      'x.a.1-0123abcd.tmp',
      '.a.1-0123abcd.tmp.bak',
      '.a.1-0123abcd.tmpx',
      '.a.1-0123abcd',
      '.a.x-0123abcd.tmp',
      '.a.-0123abcd.tmp',
      '.a.1-0123ABCD.tmp',
      '.a.1-0123abc.tmp',
      '.a.1-0123abcde.tmp',
      '.a.1-0123abcg.tmp',
      '..1-0123abcd.tmp',
      '.a.tmp',
      'plan.json',
    ]) {
      assert.equal(TMP_FILE.exec(file), null, `${file} should not match`);
    }
  });
});

describe('HashCounter', () => {
  test('passes every byte on unchanged, and counts and hashes them', async () => {
    const chunks = [Buffer.from('[\n{"a":1}'), Buffer.from(',\n'), Buffer.from('{"é":"ü"}\n]\n')];
    const counter = new HashCounter();
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      counter,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    const all = Buffer.concat(chunks);
    assert.deepEqual(Buffer.concat(out), all);
    assert.equal(counter.bytes, all.length);
    assert.equal(counter.hash.digest('hex'), createHash('sha256').update(all).digest('hex'));
  });

  test('nothing passed: 0 bytes and the hash of the empty string', async () => {
    const counter = new HashCounter();
    await pipeline(Readable.from([]), counter, new Writable({ write: (_c, _e, cb) => cb() }));
    assert.equal(counter.bytes, 0);
    assert.equal(counter.hash.digest('hex'), createHash('sha256').digest('hex'));
  });
});

describe('openAtomic', () => {
  test('opening creates only a temporary file beside the final name', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'out.json');
    const file = await openAtomic(final);
    t.after(() => file.abort());
    assert.equal(dirname(file.tmpPath), dir);
    assert.deepEqual(await readdir(dir), [basename(file.tmpPath)]);
    assert.equal(TMP_FILE.exec(basename(file.tmpPath))?.[1], 'out.json');
    assert.ok(file.handle.fd >= 0);
  });

  test('a missing directory is an OUTPUT error naming the final path', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'nope', 'out.json');
    await assert.rejects(openAtomic(final), extractError('OUTPUT', `cannot write ${final}: directory does not exist`));
    assert.deepEqual(await readdir(dir), []);
  });

  test('a stream into the file, then commit: the final file holds the bytes, no temporary file is left', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'batch.ndjson');
    trace.length = 0;
    const file = await openAtomic(final);
    const stream = file.createStream();
    assert.equal(stream.writableHighWaterMark, 1 << 20);
    await pipeline(Readable.from(['{"_id":1}\n', '{"_id":2}\n']), stream);
    assert.ok(file.handle.fd >= 0, 'the stream closed the descriptor that commit() has to fsync');
    assert.deepEqual(await readdir(dir), [basename(file.tmpPath)]);
    await file.commit();
    assert.equal(await readFile(final, 'utf8'), '{"_id":1}\n{"_id":2}\n');
    assert.deepEqual(await readdir(dir), ['batch.ndjson']);
    const sync = at(/^sync \.batch\.ndjson\.tmp$/);
    const close = at(/^close \.batch\.ndjson\.tmp$/, sync);
    at(/^rename \.batch\.ndjson\.tmp -> batch\.ndjson$/, close);
  });

  test('commit closes the descriptor before the rename, once, however often abort follows', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    trace.length = 0;
    const file = await openAtomic(final);
    await file.handle.writeFile('done\n');
    await file.commit();
    assert.equal(file.handle.fd, -1, 'the temporary file is still open after commit');
    const close = at(/^close \.f\.json\.tmp$/);
    assert.ok(close < at(/^rename \.f\.json\.tmp -> f\.json$/), trace.join('\n'));
    await file.abort();
    await file.abort();
    file.abortNow();
    assert.equal(count('close .f.json.tmp'), 1, trace.join('\n'));
    assert.equal(await readFile(final, 'utf8'), 'done\n');
    assert.deepEqual(await readdir(dir), ['f.json']);
  });

  test('abort: the temporary file is closed and removed, and an existing final file is untouched', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    await writeFile(final, 'old\n');
    trace.length = 0;
    const file = await openAtomic(final);
    await file.handle.writeFile('new, partial');
    await file.abort();
    assert.equal(file.handle.fd, -1);
    assert.deepEqual(await readdir(dir), ['f.json']);
    assert.equal(await readFile(final, 'utf8'), 'old\n');
    await file.abort();
    assert.equal(count('close .f.json.tmp'), 1, trace.join('\n'));
    assert.equal(
      trace.some((l) => l.startsWith('rename')),
      false,
    );
  });

  test('abortNow: the temporary file is gone before it returns; a second call does not throw', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    const file = await openAtomic(final);
    t.after(() => file.abort());
    await file.handle.writeFile('partial');
    file.abortNow();
    await assert.rejects(stat(file.tmpPath), { code: 'ENOENT' });
    file.abortNow();
    assert.deepEqual(await readdir(dir), []);
  });

  test('a failed fsync: commit fails, nothing under the final name, the temporary file closed and removed', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    inject(t, { sync: '.f.json.tmp' });
    trace.length = 0;
    const file = await openAtomic(final);
    await file.handle.writeFile('data\n');
    await assert.rejects(file.commit(), (err: unknown) => {
      extractError('FAILED', `writing ${final} failed: EIO: i/o error`, false)(err);
      assert.equal((err as Error & { cause: NodeJS.ErrnoException }).cause.code, 'EIO');
      return true;
    });
    assert.equal(file.handle.fd, -1, 'the temporary file was left open');
    assert.deepEqual(await readdir(dir), []);
    assert.equal(
      trace.some((l) => l.startsWith('rename')),
      false,
      trace.join('\n'),
    );
  });

  test('a full disk at fsync is an OUTPUT error that stops every batch (global)', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    await writeFile(final, 'old\n');
    inject(t, { sync: '.f.json.tmp', error: errno('ENOSPC', 'no space') });
    const file = await openAtomic(final);
    await assert.rejects(file.commit(), extractError('OUTPUT', `cannot write ${final}: no space left on device`, true));
    assert.deepEqual(await readdir(dir), ['f.json']);
    assert.equal(await readFile(final, 'utf8'), 'old\n');
  });

  test('a failed rename (a directory has the final name): OUTPUT error, the temporary file removed', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    await mkdir(final);
    const file = await openAtomic(final);
    await file.handle.writeFile('data\n');
    await assert.rejects(file.commit(), extractError('OUTPUT', `cannot write ${final}: is a directory`));
    assert.deepEqual(await readdir(dir), ['f.json']);
    assert.ok((await stat(final)).isDirectory());
    assert.equal(file.handle.fd, -1);
  });

  test('a directory that cannot be opened for its fsync does not undo the commit', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    inject(t, { open: basename(dir) });
    trace.length = 0;
    const file = await openAtomic(final);
    await file.handle.writeFile('data\n');
    await file.commit();
    assert.equal(await readFile(final, 'utf8'), 'data\n');
    assert.deepEqual(await readdir(dir), ['f.json']);
    assert.equal(count(`sync ${basename(dir)}`), 0, trace.join('\n'));
  });

  test('a file system that refuses to fsync a directory: the commit stands, the directory is closed', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'f.json');
    inject(t, { sync: basename(dir), error: errno('EINVAL', 'invalid argument') });
    trace.length = 0;
    const file = await openAtomic(final);
    await file.handle.writeFile('data\n');
    await file.commit();
    assert.equal(await readFile(final, 'utf8'), 'data\n');
    assert.deepEqual(await readdir(dir), ['f.json']);
    const rename = at(/^rename \.f\.json\.tmp -> f\.json$/);
    at(new RegExp(`^close ${basename(dir)}$`), at(new RegExp(`^sync ${basename(dir)}$`), rename));
  });

  test('after a successful commit the directory handle is closed too', async (t) => {
    const dir = await tmpDir(t);
    trace.length = 0;
    const file = await openAtomic(join(dir, 'f.json'));
    await file.commit();
    const dirSync = at(new RegExp(`^sync ${basename(dir)}$`));
    at(new RegExp(`^close ${basename(dir)}$`), dirSync);
    assert.equal(await readFile(join(dir, 'f.json'), 'utf8'), '');
  });
});

describe('writeFileAtomic', () => {
  test('replaces an existing file with the whole new text, leaving no temporary file', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'record.json');
    await writeFile(final, 'a much longer old text that must not survive in part\n');
    await writeFileAtomic(final, '{"new":true}\n');
    assert.equal(await readFile(final, 'utf8'), '{"new":true}\n');
    assert.deepEqual(await readdir(dir), ['record.json']);
  });

  test('a failed write: OUTPUT error, the old file kept, the temporary file closed and removed', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'record.json');
    await writeFile(final, 'old\n');
    inject(t, { writeFile: '.record.json.tmp', error: errno('ENOSPC', 'no space') });
    trace.length = 0;
    await assert.rejects(
      writeFileAtomic(final, 'new\n'),
      extractError('OUTPUT', `cannot write ${final}: no space left on device`, true),
    );
    assert.equal(await readFile(final, 'utf8'), 'old\n');
    assert.deepEqual(await readdir(dir), ['record.json']);
    assert.equal(count('close .record.json.tmp'), 1, trace.join('\n'));
    assert.equal(
      trace.some((l) => l.startsWith('rename')),
      false,
      trace.join('\n'),
    );
  });

  test('a write failing without an errno is a plain FAILED error with its message', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'record.json');
    inject(t, { writeFile: '.record.json.tmp', error: new Error('boom') });
    await assert.rejects(writeFileAtomic(final, 'x'), extractError('FAILED', `writing ${final} failed: boom`, false));
    assert.deepEqual(await readdir(dir), []);
  });

  test('into a missing directory: OUTPUT error', async (t) => {
    const dir = await tmpDir(t);
    const final = join(dir, 'missing', 'plan.json');
    await assert.rejects(
      writeFileAtomic(final, '{}'),
      extractError('OUTPUT', `cannot write ${final}: directory does not exist`),
    );
  });
});

describe('removeStaleTemps', () => {
  test('removes only the temporary files of writers that are gone, and says how many', async (t) => {
    const dir = await tmpDir(t);
    const dead = deadPid();
    const names = {
      dead1: `.batch-00000.json.${dead}-0123abcd.tmp`,
      dead2: `.plan.json.${dead}-deadbeef.tmp`,
      live: `.batch-00001.json.${process.pid}-0123abcd.tmp`,
      final: 'batch-00000.json',
      foreign: '.batch-00000.json.tmp',
      prefixed: `x.batch-00000.json.${dead}-0123abcd.tmp`,
    };
    for (const n of Object.values(names)) await writeFile(join(dir, n), n);
    assert.equal(await removeStaleTemps(dir), 2);
    assert.deepEqual((await readdir(dir)).sort(), [names.live, names.final, names.foreign, names.prefixed].sort());
    assert.equal(await removeStaleTemps(dir), 0);
  });

  test('a missing directory: nothing to remove', async (t) => {
    const dir = await tmpDir(t);
    assert.equal(await removeStaleTemps(join(dir, 'missing')), 0);
  });

  test('a stale name that cannot be removed is skipped, not counted, and does not stop the others', async (t) => {
    const dir = await tmpDir(t);
    const dead = deadPid();
    await mkdir(join(dir, `.a.json.${dead}-0123abcd.tmp`));
    await writeFile(join(dir, `.b.json.${dead}-0123abcd.tmp`), 'x');
    assert.equal(await removeStaleTemps(dir), 1);
    assert.deepEqual(await readdir(dir), [`.a.json.${dead}-0123abcd.tmp`]);
  });
});
