// The order of the calls that make a file durable, traced at the file-system seam (node:fs/promises, patched for
// this process): a data file and its record are each fsynced before they are renamed into place, the directory is
// fsynced after each rename, and the record is renamed only after the data file is in place.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openAtomic, writeFileAtomic } from '../../src/output/atomic-file.js';
import { batchPath, recordPath } from '../../src/output/layout.js';
import { publishBatch } from '../../src/output/publish.js';
import { makeRecord } from '../../src/output/record.js';
import type { PlanFile } from '../../src/plan/model.js';
import { makePlanFile } from '../../src/plan/plan-file.js';
import { tmpDir } from '../helpers/tmp.js';

const trace: string[] = [];
const paths = new Map<number, string>();
const name = (p: unknown) => basename(String(p)).replace(/\.\d+-[0-9a-f]{8}\.tmp$/, '.tmp');

const originalOpen = fsp.open;
const originalRename = fsp.rename;
let proto: { sync(): Promise<void> } | undefined;
let originalSync: (() => Promise<void>) | undefined;

before(async () => {
  fsp.open = (async (path: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
    const fh = await (originalOpen as (...a: unknown[]) => Promise<fsp.FileHandle>)(path, ...rest);
    paths.set(fh.fd, name(path));
    return fh;
  }) as typeof fsp.open;
  fsp.rename = (async (a: Parameters<typeof fsp.rename>[0], b: Parameters<typeof fsp.rename>[1]) => {
    trace.push(`rename ${name(a)} -> ${name(b)}`);
    return originalRename(a, b);
  }) as typeof fsp.rename;
  const probe = await originalOpen('/dev/null', 'r');
  proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  originalSync = proto.sync;
  proto.sync = function (this: fsp.FileHandle) {
    trace.push(`sync ${paths.get(this.fd)}`);
    return originalSync!.call(this);
  };
  syncBuiltinESMExports();
});

after(() => {
  fsp.open = originalOpen;
  fsp.rename = originalRename;
  if (proto && originalSync) proto.sync = originalSync;
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
