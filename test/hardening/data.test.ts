// Cases 7 (live writes) and 8 (hostile names).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { spawnBin } from '../helpers/cli.js';
import { outputIds, recordsHold, tmpFilesIn } from '../helpers/output-dir.js';
import { readJson, sourceArgs } from '../helpers/run.js';
import { withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { FAST, faults } from './_support.js';

const tdb = withDb('hardening_data');

const OUTPUT_NAME = /^(batch-\d{5,}\.json|record-\d{5,}\.json|plan\.json|manifest\.json)$/;

async function exportTo(
  t: { after(fn: () => unknown): void },
  db: string,
  coll: string,
  out: string,
  more: string[] = [],
  env: Record<string, string> = {},
) {
  const summaryPath = `${out}.summary.json`;
  const r = await spawnBin('extract-all', [...sourceArgs(db, coll, out), '--summary', summaryPath, ...FAST, ...more], {
    t,
    env,
    timeout: 90_000,
  }).exited;
  return { ...r, summary: await readJson(summaryPath).catch(() => undefined) };
}

/** Create db.coll with a few documents, or say why the server refuses the name. */
async function tryCreate(client: MongoClient, db: string, coll: string): Promise<string | undefined> {
  try {
    await client
      .db(db)
      .collection(coll)
      .insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, v: 'é☃' })) as never[]);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

describe('data', { timeout: 200_000 }, () => {
  test('8: hostile database and collection names → paths stay inside --out; plan and summary name them exactly', async (t) => {
    const client = tdb.client;
    const dir = await tmpDir(t, 'mpe-hard-names-');
    const candidates: [string, string][] = [
      [tdb.name, 'a/../../b c%2F%00x ☃ ünï'],
      [tdb.name, '../..'],
      [tdb.name, '/etc/passwd'],
      [tdb.name, '%s%n%x ~ `id` "q" \'q\' back\\slash'],
      [tdb.name, 'x/..'],
      [tdb.name, '%s%n%x ~ `id` back\\slash %2e%2e%2f'],
      [tdb.name, '..'],
      [`${tdb.name}/x`, 'c'],
      [`${tdb.name} %`, 'c'],
      [`${tdb.name}é`, 'c'],
    ];
    // near the length limit: MongoDB allows 255 bytes for "db.collection"; find what this server takes
    const longDb = `mpe_long_${'d'.repeat(54)}`.slice(0, 63);
    for (const len of [255 - longDb.length - 1, 240, 235, 200, 120])
      candidates.push([longDb, `${'ç'.repeat(10)}${'n'.repeat(len - 20)}`]);
    const accepted: [string, string][] = [];
    const refused: string[] = [];
    let longDone = false;
    for (const [db, coll] of candidates) {
      if (db === longDb && longDone) continue;
      const why = await tryCreate(client, db, coll);
      if (why)
        refused.push(
          `${JSON.stringify(db)}.${JSON.stringify(coll.slice(0, 40))} (${Buffer.byteLength(coll)} bytes): ${why}`,
        );
      else {
        accepted.push([db, coll]);
        if (db === longDb) longDone = true;
      }
    }
    t.after(() =>
      client
        .db(longDb)
        .dropDatabase()
        .catch(() => {}),
    );
    t.diagnostic(`server refused: ${refused.join(' | ')}`);
    assert.ok(accepted.length >= 4, `enough hostile names accepted: ${accepted.map((a) => a.join('.')).join(', ')}`);
    assert.ok(longDone, 'a long namespace was accepted');

    let i = 0;
    for (const [db, coll] of accepted) {
      const parent = join(dir, `run-${i++}`);
      const out = join(parent, 'out');
      const r = await exportTo(t, db, coll, out, ['--batch-size', '12', '--concurrency', '2']);
      assert.equal(r.exitCode, 0, `${db}.${coll}: ${r.stderr}`);
      assert.deepEqual(r.summary.source, { db, collection: coll }, 'the summary names the source exactly');
      const plan = await readJson(join(out, 'plan.json'));
      assert.deepEqual(plan.source, { db, collection: coll }, 'the plan names the source exactly');
      const manifest = await readJson(join(out, 'manifest.json'));
      assert.deepEqual(manifest.source, { db, collection: coll });
      // nothing outside --out: the parent holds only out and the summary we asked for
      assert.deepEqual((await readdir(parent)).sort(), ['out', 'out.summary.json']);
      const names = await readdir(out);
      assert.deepEqual(
        names.filter((n) => !OUTPUT_NAME.test(n)),
        [],
        'only batch-/record- files, plan and manifest',
      );
      const ids = await outputIds(out);
      assert.equal(ids.keys.length, 30);
      assert.deepEqual(ids.dups, []);
      assert.deepEqual(await tmpFilesIn(out), []);
    }
    // the layout is deterministic: the same names whatever the source
    const first = (await readdir(join(dir, 'run-0', 'out'))).sort();
    const last = (await readdir(join(dir, `run-${accepted.length - 1}`, 'out'))).sort();
    assert.deepEqual(first, last);
  });

  test('7: live inserts, updates and deletes during the run → no _id twice; every document that always existed is present', async (t) => {
    const coll = tdb.db.collection<{ _id: number; v: number; pad: string }>('live');
    // even _ids exist at the start; the writer inserts odd ones (inside every range) and ones beyond the end
    const N = 3000;
    await coll.insertMany(Array.from({ length: N }, (_, i) => ({ _id: 2 * i, v: 0, pad: 'l'.repeat(60) })));
    const deleted = new Set<number>();
    const inserted = new Set<number>();
    let updates = 0;
    let stop = false;
    const writer = (async () => {
      let k = 0;
      while (!stop) {
        k++;
        const odd = 2 * ((k * 7919) % N) + 1;
        if (!inserted.has(odd)) {
          inserted.add(odd);
          await coll.insertOne({ _id: odd, v: 1, pad: 'i' });
        }
        await coll.insertOne({ _id: 10 * N + k, v: 1, pad: 'e' });
        inserted.add(10 * N + k);
        const victim = 2 * ((k * 104729) % N);
        deleted.add(victim); // counted as deleted before the delete is sent
        await coll.deleteOne({ _id: victim });
        await coll.updateMany(
          { _id: { $in: [2 * ((k * 31) % N), 2 * ((k * 17) % N)] } },
          { $inc: { v: 1 }, $set: { pad: 'u'.repeat(k % 200) } },
        );
        updates++;
      }
    })();
    const dir = await tmpDir(t, 'mpe-hard-live-');
    const out = join(dir, 'out');
    const f = await faults(join(dir, 'fi'));
    let r: Awaited<ReturnType<typeof exportTo>> | undefined;
    try {
      const run = exportTo(t, tdb.name, 'live', out, ['--batch-size', '500', '--concurrency', '2'], f.env(['pause:1']));
      // batch 1 is held mid-stream (its cursor open) while the writer does at least 10 more rounds
      await f.paused(1, 30_000);
      const from = updates;
      await waitFor(() => updates >= from + 10, {
        what: 'writes while batch 1 streams',
        timeout: 30_000,
        interval: 20,
      });
      await f.go(1);
      r = await run;
    } finally {
      stop = true;
      await writer;
    }
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(
      updates >= 10 && deleted.size >= 10,
      `writes overlapped the run (${updates} update rounds, ${deleted.size} deletes, ${inserted.size} inserts)`,
    );
    t.diagnostic(
      `during the run: ${inserted.size} inserts, ${deleted.size} deletes, ${updates} update rounds; exported ${r.summary.docs} (planned ${r.summary.expectedDocs})`,
    );
    const ids = await outputIds(out);
    assert.deepEqual(ids.dups, [], 'no _id twice');
    const present = new Set(ids.keys);
    const missing: number[] = [];
    for (let i = 0; i < N; i++) if (!deleted.has(2 * i) && !present.has(`number:${2 * i}`)) missing.push(2 * i);
    assert.deepEqual(missing, [], 'every document that existed throughout the run is present');
    for (const k of present) {
      const id = Number(k.slice('number:'.length));
      assert.ok((id % 2 === 0 && id < 2 * N) || inserted.has(id), `unknown _id ${k}`);
    }
    assert.deepEqual(
      (await recordsHold(out)).filter((x) => !x.ok),
      [],
    );
  });
});

describe('invalid UTF-8 (as MongoDB stores it; injected into the raw documents a batch reads)', () => {
  test('never stops an export: written as \\ufffd, counted in every record and the summary; --strict-utf8 fails the batch naming the document', async (t) => {
    const coll = tdb.db.collection('badutf8');
    await coll.insertMany(
      Array.from({ length: 60 }, (_, i) => ({ _id: i, s: `ab${i % 3 === 0 ? 'xx' : 'yy'}cd` })) as never[],
    );
    const dir = await tmpDir(t, 'mpe-hard-utf8-');
    const f = await faults(join(dir, 'fi'));
    const out = join(dir, 'out');
    const r = await exportTo(
      t,
      tdb.name,
      'badutf8',
      out,
      ['--batch-size', '20', '--format', 'ndjson'],
      f.env(['badutf8']),
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.summary.invalidUtf8, 20, 'one bad string in every third document');
    assert.equal(r.summary.docs, 60);
    assert.match(r.stderr, /20 string\(s\) or field name\(s\) were not valid UTF-8/);
    const records = (await readdir(out)).filter((n) => n.startsWith('record-'));
    let counted = 0;
    for (const rec of records) counted += (await readJson(join(out, rec))).invalidUtf8;
    assert.equal(counted, 20);
    const manifest = await readJson(join(out, 'manifest.json'));
    assert.equal(manifest.invalidUtf8, 20);
    const ids = await outputIds(out);
    assert.equal(ids.keys.length, 60);
    assert.deepEqual(
      await recordsHold(out),
      records.map((_, i) => ({ batch: i, ok: true })),
    );

    const strictOut = join(dir, 'strict');
    const s = await exportTo(
      t,
      tdb.name,
      'badutf8',
      strictOut,
      ['--batch-size', '20', '--strict-utf8', '--retries', '0'],
      f.env(['badutf8']),
    );
    assert.equal(s.exitCode, 1, s.stderr);
    assert.equal(s.summary.batches.failed, s.summary.batches.total);
    assert.match(
      s.summary.failures[0].lastError,
      /document \d+ of the batch \(_id \{"\$numberInt":"\d+"\}\) holds a string or field name that is not valid UTF-8; --strict-utf8 refuses it/,
    );
  });
});
