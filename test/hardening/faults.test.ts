// Cases 1, 2, 3, 5, 10, 11: faults injected into real processes against the real server; outcomes asserted on disk.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BSON, type Db, MongoClient } from 'mongodb';
import type { Summary } from '../../src/orchestrator/summary.js';
import { repoRoot, runBin, spawnBin } from '../helpers/cli.js';
import { outputIds, recordFiles, recordsHold, tmpFilesIn } from '../helpers/output-dir.js';
import { exists, processAlive as running } from '../helpers/proc.js';
import { readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { privateServer } from '../orchestrator/_support.js';
import { FAST, faults } from './_support.js';

const tdb = withDb('hardening_faults');

async function seed(db: Db, coll: string, n: number): Promise<string[]> {
  const docs = Array.from({ length: n }, (_, i) => ({ _id: i, pad: 'x'.repeat(40), i }));
  await db.collection(coll).insertMany(docs as never[]);
  return docs.map((d) => `number:${d._id}`).sort();
}

interface Run {
  exitCode: number | null;
  stderr: string;
  summary: Summary;
}

function startAll(
  t: { after(fn: () => unknown): void },
  db: string,
  coll: string,
  out: string,
  more: string[],
  env: Record<string, string>,
) {
  const summaryPath = `${out}.summary.json`;
  const p = spawnBin('extract-all', [...sourceArgs(db, coll, out), '--summary', summaryPath, ...FAST, ...more], {
    env,
    t,
    timeout: 90_000,
  });
  const done = p.exited.then(
    async (r): Promise<Run> => ({
      exitCode: r.exitCode,
      stderr: r.stderr,
      summary: await readJson(summaryPath).catch(() => undefined),
    }),
  );
  return { p, done, summaryPath };
}

async function assertComplete(out: string, expected: string[], r: Run): Promise<void> {
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.summary?.status, 'complete');
  const ids = await outputIds(out);
  assert.deepEqual(ids.dups, [], 'no _id twice');
  assert.deepEqual(ids.keys.sort(), expected, 'every document exactly once');
  assert.deepEqual(
    (await recordsHold(out)).filter((x) => !x.ok),
    [],
    'every file matches its record',
  );
  assert.deepEqual(await tmpFilesIn(out), [], 'no temporary file left');
  const verify = await runBin('extract-verify', ['--out', out]);
  assert.equal(verify.exitCode, 0, verify.stderr);
}

describe('faults', { timeout: 240_000 }, () => {
  test('2: a hung child is ended by --batch-timeout (SIGTERM; SIGKILL after --grace when ignored), retried, no zombie', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-hang-');
    const expected = await seed(tdb.db, 'hang', 600);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const started = Date.now();
    const run = startAll(
      t,
      tdb.name,
      'hang',
      out,
      ['--batch-size', '200', '--concurrency', '2', '--batch-timeout', '4', '--grace', '1'],
      f.env(['hang-noterm:1', 'hang:2', 'cmdline']),
    );
    // while the run goes on: the SIGTERM-proof child must be gone (not a zombie either) once its retry has started
    const hung = await waitFor(() => f.has('hang-noterm-1.pid') && Number(f.read('hang-noterm-1.pid')), {
      what: 'batch 1 to hang',
      timeout: 30_000,
    });
    // the retry of batch 1 has started only after the hung process was reaped: at that moment it is gone from /proc
    const attemptsOf1 = () => f.list('cmdline-').filter((n) => f.read(n).includes('\0--batch\x001\0')).length;
    await waitFor(() => attemptsOf1() >= 2, { what: 'the retry of batch 1', timeout: 30_000, interval: 10 });
    assert.equal(exists(hung), false, `hung child ${hung} still in /proc (alive or zombie) when its retry started`);
    const r = await run.done;
    await assertComplete(out, expected, r);
    assert.ok(r.summary.retries >= 2, `two hung attempts retried (retries ${r.summary.retries})`);
    assert.equal(exists(hung), false, `hung child ${hung} left behind (zombie or alive)`);
    assert.equal(exists(Number(f.read('hang-2.pid'))), false);
    assert.ok(Date.now() - started < 60_000);
  });

  test('3: the cursor is killed server-side at 90 % of its batch (killCursors) → a new cursor reads on after the last written _id: every document once, none re-read, no batch retry', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-kc-');
    const expected = await seed(tdb.db, 'killcursor', 600);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const run = startAll(
      t,
      tdb.name,
      'killcursor',
      out,
      ['--batch-size', '300', '--concurrency', '2'],
      // replies of 20 documents: at the 270th the server still holds the rest of the batch behind the cursor
      f.env(['pause:0', 'reads:0'], { MPE_FI_PAUSE_AT: '270', MPE_FI_BATCHSIZE: '20' }),
    );
    const { cursorId } = await f.paused(0);
    const killed = await tdb.db.command({ killCursors: 'killcursor', cursors: [BSON.Long.fromString(cursorId)] });
    assert.deepEqual(killed.cursorsKilled.map(String), [cursorId], 'the server killed the batch cursor');
    await f.go(0);
    const r = await run.done;
    await assertComplete(out, expected, r);
    assert.equal(r.summary.retries, 0, `no whole-batch retry: ${r.stderr}`);
    assert.equal(r.summary.cursorResumes, 1, 'one new cursor');
    const records = await Promise.all(recordFiles(await readdir(out)).map((n) => readJson(join(out, n))));
    const record = records.find((x) => x.batch === 0);
    assert.equal(record.cursorResumes, 1, 'the record says the cursor was reopened');
    assert.equal(record.docs, 300);
    const reads = f.list('reads-0-').map((n) => Number(f.read(n)));
    assert.equal(reads.length, 1, 'one process ran batch 0');
    assert.ok(reads[0]! <= 300 + 20, `batch 0 read ${reads[0]} documents for 300: more than one reply re-read`);
    assert.match(r.stderr, /batch 0: 300 documents in [\d.]+ s \(cursor reopened 1×\)/);
  });

  test('3b: a cursor killed again and again: --cursor-retries bounds the new cursors, then the whole batch is retried', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-kc2-');
    const expected = await seed(tdb.db, 'killagain', 300);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const r = await startAll(
      t,
      tdb.name,
      'killagain',
      out,
      ['--batch-size', '150', '--cursor-retries', '2', '--concurrency', '1'],
      // each of the first three cursors of batch 1 (the last: it also takes unseen types) is killed at its 30th
      // document, counted across attempts
      f.env(['kill:1'], { MPE_FI_KILL_AT: '30', MPE_FI_KILLS: '3', MPE_FI_BATCHSIZE: '20' }),
    ).done;
    assert.equal(f.read('kills-1'), '3', 'three cursors were killed');
    await assertComplete(out, expected, r);
    assert.equal(
      r.summary.retries,
      1,
      `the third kill exhausted --cursor-retries 2: one whole-batch retry: ${r.stderr}`,
    );
    assert.match(r.stderr, /attempt 1 failed: .*the cursor was reopened 2 times: --cursor-retries/);
    assert.equal(r.summary.cursorResumes, 0, 'the attempt that finished needed no new cursor');
  });

  test('3d: the server is killed and restarted mid-batch → the batch reconnects and reads on after its last written _id', async (t) => {
    const server = await privateServer(t);
    if ('skip' in server) return t.skip(server.skip);
    const client = await MongoClient.connect(server.uri, { serverSelectionTimeoutMS: 10_000 });
    const expected = await seed(client.db('restart'), 'c', 400).finally(() => client.close());
    const dir = await tmpDir(t, 'mpe-hard-restart-');
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const run = startAll(
      t,
      'restart',
      'c',
      out,
      ['--batch-size', '200', '--concurrency', '1', '--connect-timeout', '10'],
      f.env(['pause:0', 'reads:0'], { MONGO_URI: server.uri, MPE_FI_PAUSE_AT: '150', MPE_FI_BATCHSIZE: '20' }),
    );
    await f.paused(0);
    server.kill('SIGKILL');
    await server.exited;
    await server.restart();
    await f.go(0);
    const r = await run.done;
    await assertComplete(out, expected, r);
    assert.equal(r.summary.retries, 0, `no whole-batch retry: ${r.stderr}`);
    assert.equal(r.summary.cursorResumes, 1);
    const reads = f.list('reads-0-').map((n) => Number(f.read(n)));
    assert.ok(reads.length === 1 && reads[0]! <= 200 + 20, `batch 0 read ${reads} documents for 200`);
  });

  test('3c: --cursor-retries 0: a killed cursor restarts the whole batch, as before', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-kc0-');
    const expected = await seed(tdb.db, 'killnone', 300);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const r = await startAll(
      t,
      tdb.name,
      'killnone',
      out,
      ['--batch-size', '150', '--cursor-retries', '0'],
      f.env(['kill:0'], { MPE_FI_KILL_AT: '50', MPE_FI_BATCHSIZE: '20' }),
    ).done;
    assert.equal(f.read('kills-0'), '1');
    await assertComplete(out, expected, r);
    assert.equal(r.summary.retries, 1);
    assert.equal(r.summary.cursorResumes, 0);
  });

  test('5: a child writing junk to stdout and to the report channel, and one exiting 0 having done nothing', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-junk-');
    const expected = await seed(tdb.db, 'junk', 400);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const r = await startAll(
      t,
      tdb.name,
      'junk',
      out,
      ['--batch-size', '200', '--concurrency', '2'],
      f.env(['junk:0', 'exit0:1']),
    ).done;
    assert.ok(f.has('fired-junk-0') && f.has('fired-exit0-1'), 'faults fired');
    await assertComplete(out, expected, r);
    assert.equal(r.summary.docs, 400, 'fake result lines did not count');
    assert.ok(r.summary.retries >= 1, 'the empty exit 0 was not taken as done');
  });

  test('10: extract-batch rerun by hand while the orchestrator runs the same batch → never a corrupt file', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-hand-');
    const expected = await seed(tdb.db, 'byhand', 600);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const run = startAll(t, tdb.name, 'byhand', out, ['--batch-size', '300', '--concurrency', '2'], f.env(['pause:1']));
    const { pid } = await f.paused(1);
    const before = await tmpFilesIn(out);
    assert.ok(
      before.some((n) => n.includes(`.${pid}-`)),
      `the orchestrator's child has its temporary file open: ${before}`,
    );
    const hand = await runBin('extract-batch', ['--plan', join(out, 'plan.json'), '--batch', '1'], {
      env: { NODE_OPTIONS: undefined },
    });
    assert.equal(hand.exitCode, 0, hand.stderr);
    assert.ok(
      (await tmpFilesIn(out)).some((n) => n.includes(`.${pid}-`)),
      "the by-hand run left the other writer's temporary file alone",
    );
    assert.deepEqual(
      (await recordsHold(out)).filter((x) => !x.ok),
      [],
      'the by-hand file matches its record',
    );
    await f.go(1);
    const r = await run.done;
    await assertComplete(out, expected, r);
  });

  test('1: orchestrator SIGKILLed with a child mid-batch → the rerun takes over, leaves the live orphan alone, ends complete', async (t) => {
    const dir = await tmpDir(t, 'mpe-hard-kill-');
    const expected = await seed(tdb.db, 'killed', 900);
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const first = startAll(
      t,
      tdb.name,
      'killed',
      out,
      ['--batch-size', '300', '--concurrency', '2'],
      f.env(['pause:1']),
    );
    const orphan = (await f.paused(1)).pid;
    first.p.child.kill('SIGKILL');
    const gone = await first.p.exited;
    assert.equal(gone.signal, 'SIGKILL');
    t.after(() => {
      if (running(orphan)) process.kill(orphan, 'SIGKILL');
    });
    assert.ok(running(orphan), 'the child outlived its orchestrator (an orphan)');
    // a temporary file of a writer that is gone (as a killed writer leaves)
    const stale = join(out, `.batch-00002.json.${first.p.pid}-deadbeef.tmp`);
    await writeFile(stale, '[\n{"_id":');

    const rerun = await startAll(t, tdb.name, 'killed', out, ['--resume', '--concurrency', '2'], {}).done;
    // --resume with --db/--collection: same source, accepted
    assert.equal(rerun.exitCode, 0, rerun.stderr);
    assert.equal(rerun.summary.status, 'complete');
    assert.equal(existsSync(stale), false, "the dead writer's temporary file was removed");
    assert.ok(running(orphan), 'the orphan is still paused mid-batch');
    assert.ok(
      (await tmpFilesIn(out)).some((n) => n.includes(`.${orphan}-`)),
      "the live orphan's temporary file was not removed from under it",
    );
    // the orphan now finishes and publishes the same batch a second time: the last publisher's file and record
    // must win together (a document of its range changed meanwhile, so the two files may differ)
    await tdb.db.collection('killed').updateOne({ _id: 550 } as never, { $set: { pad: 'changed after the rerun' } });
    await f.go(1);
    await waitFor(() => !running(orphan), { what: 'the orphan to finish', timeout: 20_000, interval: 20 });
    await assertComplete(out, expected, rerun);
    const record = JSON.parse(await readFile(join(out, 'record-00001.json'), 'utf8'));
    assert.equal(
      record.pid,
      orphan,
      'the orphan published last; its record describes the file on disk (checked above)',
    );
  });

  test('11: the server restarts (gracefully) while a batch streams → the batch reads on after its last written _id, the run completes', async (t) => {
    const { startFerretDB } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'ferretdb.js')).href)) as {
      startFerretDB(): Promise<{ uri: string; restart(): Promise<void>; stop(): Promise<void> }>;
    };
    const server = await startFerretDB();
    t.after(() => server.stop());
    const client = await MongoClient.connect(server.uri);
    const expected = await seed(client.db('net'), 'c', 600).finally(() => client.close());
    const dir = await tmpDir(t, 'mpe-hard-net-');
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const run = startAll(
      t,
      'net',
      'c',
      out,
      ['--batch-size', '300', '--concurrency', '1'],
      f.env(['pause:0'], { MONGO_URI: server.uri }),
    );
    await f.paused(0);
    await server.restart();
    await f.go(0);
    const r = await run.done;
    await assertComplete(out, expected, r);
    assert.equal(r.summary.retries, 0, `no whole-batch retry: ${r.stderr}`);
    assert.ok(r.summary.cursorResumes >= 1, 'the batch cut off by the restart opened a new cursor');
  });
});
