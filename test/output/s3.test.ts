// --out s3://bucket/prefix/ against a real S3-compatible server (versitygw, started by scripts/versitygw.js; or the
// store S3_ENDPOINT names, with the AWS_* credentials of the environment): the whole run, verify, resume, a batch
// killed mid-upload, the user's mistakes, and no credential anywhere it could leak.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DeleteObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BATCH_BUNDLE, binPath, childEnv, runBin, spawnBin } from '../helpers/cli.js';
import { duplicates } from '../helpers/output-dir.js';
import { parseOutput } from '../helpers/read-output.js';
import { explain, extractAll, FAST, sourceArgs } from '../helpers/run.js';
import { withStore } from '../helpers/s3.js';
import { closedPort, withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { make, makeMissing } from '../scale/_support.js';

const tdb = withDb('output_s3');
const S = await withStore('output');
const { unavailable, external } = S;
const BUCKET = S.bucket;
const env = (): Record<string, string> => S.store.env;
const url = S.url;
const names = S.names;
const text = S.text;
const idsUnder = S.idsUnder;

const skipIfNone = (t: { skip(m: string): void }): boolean => {
  if (unavailable) t.skip(`no S3 store: ${unavailable}`);
  return Boolean(unavailable);
};

describe('extract-all --out s3://', () => {
  const N = 500;
  before(async () => {
    if (unavailable) return;
    const docs = Array.from({ length: N }, (_, i) => ({ _id: i, price: i + 0.5, pad: 'x'.repeat(200) }));
    await tdb.db.collection('c').insertMany(docs as never[]);
  });

  test('the whole run: batch objects, records, plan and manifest; verify complete; every document once', async (t) => {
    if (skipIfNone(t)) return;
    const tmp = await tmpDir(t);
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'c', url('run')), '--batch-size', '100', ...FAST],
      join(tmp, 's.json'),
      { env: env() },
    );
    assert.equal(r.exitCode, 0, explain(r));
    assert.equal(r.summary?.docs, N);
    const listed = await names('run');
    assert.deepEqual(
      listed.filter((n) => n.startsWith('batch-')),
      ['batch-00000.json', 'batch-00001.json', 'batch-00002.json', 'batch-00003.json', 'batch-00004.json'],
    );
    assert.equal(listed.filter((n) => n.startsWith('record-')).length, 5);
    assert.ok(listed.includes('plan.json') && listed.includes('manifest.json'), listed.join(' '));
    assert.ok(!listed.includes('.extract.lock'), 'the lock is released');
    const ids = await idsUnder('run');
    assert.equal(ids.length, N);
    assert.deepEqual(duplicates(ids), []);
    assert.match(await text('run/batch-00000.json'), /"price":0\.5/);
    const verify = await runBin('extract-verify', ['--out', url('run'), '--json'], { env: env() });
    assert.equal(verify.exitCode, 0, verify.stderr);
    assert.equal(JSON.parse(verify.stdout).docs, N);
    // no credential in any object or line
    const everything = [r.stderr, verify.stderr, ...(await Promise.all(listed.map((n) => text(`run/${n}`))))].join(
      '\n',
    );
    assert.ok(!everything.includes(S.store.secretKey), 'the secret key appears in the output');
  });

  test('extract-verify sees an object replaced at the same size, and a truncated one; --resume redoes just those', async (t) => {
    if (skipIfNone(t)) return;
    const tmp = await tmpDir(t);
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'c', url('verify')), '--batch-size', '100', ...FAST],
      join(tmp, '1.json'),
      { env: env() },
    );
    assert.equal(r.exitCode, 0, explain(r));
    const one = await text('verify/batch-00001.json');
    await S.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'verify/batch-00001.json',
        Body: one.replace('"pad":"x', '"pad":"y'),
      }),
    );
    await S.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'verify/batch-00003.json', Body: '[' }));
    const verify = await runBin('extract-verify', ['--out', url('verify'), '--json'], { env: env() });
    assert.equal(verify.exitCode, 1, verify.stderr);
    const failed = (JSON.parse(verify.stdout) as { failed: { batch: number; reason: string }[] }).failed;
    assert.deepEqual(
      failed.map((f) => f.batch),
      [1, 3],
      JSON.stringify(failed),
    );
    assert.match(failed[1]!.reason, /bytes/);
    const again = await extractAll(['--out', url('verify'), '--resume', ...FAST], join(tmp, '2.json'), { env: env() });
    assert.equal(again.exitCode, 0, explain(again));
    assert.equal(again.summary?.batches.resumed, 3);
    const ids = await idsUnder('verify');
    assert.equal(ids.length, N);
    assert.deepEqual(duplicates(ids), []);
    assert.equal((await runBin('extract-verify', ['--out', url('verify')], { env: env() })).exitCode, 0);
  });

  test('--merge FILE: the batch objects as one local file, read in ranges (JSON frames dropped)', async (t) => {
    if (skipIfNone(t)) return;
    const tmp = await tmpDir(t);
    const merged = join(tmp, 'all.json');
    const r = await extractAll(
      [...sourceArgs(tdb.name, 'c', url('merge')), '--batch-size', '120', '--merge', merged, ...FAST],
      join(tmp, 's.json'),
      { env: env() },
    );
    assert.equal(r.exitCode, 0, explain(r));
    const out = parseOutput(await readFile(merged), 'all.json');
    assert.deepEqual(
      out.ids.map(Number),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.equal(Number(out.docs[7]!.price), 7.5);
  });

  test('extract-batch --plan s3://…/plan.json runs one batch of the plan, and --skip-done skips it next time', async (t) => {
    if (skipIfNone(t)) return;
    const plan = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', url('array')), '--batch-size', '250'], {
      env: env(),
    });
    assert.equal(plan.exitCode, 0, plan.stderr);
    for (const k of [0, 1]) {
      const b = await runBin('extract-batch', ['--plan', `${url('array')}plan.json`, '--skip-done'], {
        env: { ...env(), SLURM_ARRAY_TASK_ID: String(k) },
      });
      assert.equal(b.exitCode, 0, b.stderr);
    }
    const skip = await runBin('extract-batch', ['--plan', `${url('array')}plan.json`, '--batch', '1', '--skip-done'], {
      env: env(),
    });
    assert.match(skip.stderr, /already done/);
    assert.equal((await runBin('extract-verify', ['--out', url('array')], { env: env() })).exitCode, 0);
    assert.equal((await idsUnder('array')).length, N);
  });

  test('make -j 2 over the fragment extract-plan --emit make writes for s3://; a second make reads nothing from MongoDB', async (t) => {
    if (skipIfNone(t)) return;
    const missing = await makeMissing();
    if (missing) return t.skip(missing);
    const tmp = await tmpDir(t);
    const mk = join(tmp, 'batches.mk');
    const planned = await runBin(
      'extract-plan',
      [...sourceArgs(tdb.name, 'c', url('make')), '--batch-size', '150', '--emit', 'make', '--makefile', mk],
      { env: env() },
    );
    assert.equal(planned.exitCode, 0, planned.stderr);
    const vars = [
      `EXTRACT_BATCH=${process.execPath} ${binPath('extract-batch')}`,
      `EXTRACT_VERIFY=${process.execPath} ${binPath('extract-verify')}`,
    ];
    const first = await make(['-j', '2', '-f', mk, ...vars, 'verify'], childEnv(env()));
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.equal((first.stdout.match(/--batch \d+/g) ?? []).length, 4, first.stdout);
    assert.equal((await idsUnder('make')).length, N);
    // the server gone: a second make still succeeds, every batch skipped as done
    const again = await make(['-f', mk, ...vars], childEnv({ ...env(), MONGO_URI: 'mongodb://127.0.0.1:1/' }));
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal((again.stderr.match(/already done/g) ?? []).length, 4, again.stderr);
  });

  test('one batch run twice at once (an array job retrying a slow task): whole objects, every document once', async (t) => {
    if (skipIfNone(t)) return;
    const planned = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', url('twice')), '--batch-size', '250'], {
      env: env(),
    });
    assert.equal(planned.exitCode, 0, planned.stderr);
    const plan = `${url('twice')}plan.json`;
    const runs = await Promise.all(
      [0, 0, 1].map((k) => runBin('extract-batch', ['--plan', plan, '--batch', String(k)], { env: env() })),
    );
    for (const r of runs) assert.equal(r.exitCode, 0, r.stderr);
    const verify = await runBin('extract-verify', ['--plan', plan, '--json'], { env: env() });
    if (verify.exitCode !== 0) {
      // the two records crossed: seen, and redone
      assert.match(verify.stdout, /ETag differs|checksum differs/);
      const resumed = await extractAll(['--out', url('twice'), '--resume', ...FAST], join(await tmpDir(t), 's.json'), {
        env: env(),
      });
      assert.equal(resumed.exitCode, 0, explain(resumed));
    }
    assert.equal((await runBin('extract-verify', ['--plan', plan], { env: env() })).exitCode, 0);
    const ids = await idsUnder('twice');
    assert.equal(ids.length, N);
    assert.deepEqual(duplicates(ids), []);
  });

  test('mistakes: no such bucket (6), bad credentials (4), a prefix in use (7), --emit make: one line each', async (t) => {
    if (skipIfNone(t)) return;
    const lines = (s: string) => s.trim().split('\n');
    const nobucket = await runBin(
      'extract-all',
      [...sourceArgs(tdb.name, 'c', 's3://no-such-bucket-mpe/x/'), ...FAST],
      {
        env: env(),
      },
    );
    assert.equal(nobucket.exitCode, 6, nobucket.stderr);
    assert.equal(lines(nobucket.stderr).length, 1, nobucket.stderr);
    assert.match(nobucket.stderr, /no such bucket/);
    if (!external) {
      const wrong = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', url('denied')), ...FAST], {
        env: { ...env(), AWS_SECRET_ACCESS_KEY: 'not-the-key' },
      });
      assert.equal(wrong.exitCode, 4, wrong.stderr);
      assert.equal(lines(wrong.stderr).length, 1, wrong.stderr);
      assert.doesNotMatch(wrong.stderr, /not-the-key/);
    }
    await S.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'busy/.extract.lock',
        Body: JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: new Date().toISOString() }),
      }),
    );
    const busy = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', url('busy')), ...FAST], { env: env() });
    assert.equal(busy.exitCode, 7, busy.stderr);
    assert.match(busy.stderr, /in use by another run \(pid 1 on elsewhere/);
    await S.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'busy/.extract.lock' }));
    const make = await runBin('extract-plan', [...sourceArgs(tdb.name, 'c', url('m')), '--emit', 'make'], {
      env: env(),
    });
    assert.equal(make.exitCode, 2, make.stderr);
    assert.deepEqual(await names('m'), [], 'nothing written by a refused run');
    // a store that cannot be reached: exit 1 (retried by extract-all), one line, after the SDK's own retries
    const gone = await runBin('extract-all', [...sourceArgs(tdb.name, 'c', url('gone')), ...FAST], {
      env: { ...env(), AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}` },
    });
    assert.equal(gone.exitCode, 1, gone.stderr);
    assert.equal(lines(gone.stderr).length, 1, gone.stderr);
    assert.match(gone.stderr, /cannot reach the object store/);
  });
});

describe('a batch killed mid-upload', () => {
  before(async () => {
    if (unavailable) return;
    // ~12 MB in one batch: more than one 8 MiB part, so the object goes up as a multipart upload
    const coll = tdb.db.collection('big');
    for (let i = 0; i < 800; i += 100)
      await coll.insertMany(
        Array.from({ length: 100 }, (_, k) => ({ _id: i + k, pad: 'z'.repeat(15_000) })) as never[],
      );
  });

  test('the store killed mid-upload and restarted: the run completes, nothing partial, nothing lost or twice', async (t) => {
    if (skipIfNone(t)) return;
    if (external) return t.skip('S3_ENDPOINT names a store this test cannot restart');
    const tmp = await tmpDir(t);
    const prefix = 'restarted';
    const held = join(tmp, 'held');
    const go = join(tmp, 'go');
    const hold = join(tmp, 'hold.cjs');
    await writeFile(
      hold,
      `if (process.argv.some((a) => a.endsWith('extract-batch.js') || a === 'extract-batch')) {
  const fs = require('node:fs');
  const proto = require(${JSON.stringify(BATCH_BUNDLE)}).FindCursor.prototype;
  const next = proto.next;
  let n = 0;
  proto.next = async function () {
    const d = await next.call(this);
    if (++n === 700 && !fs.existsSync(${JSON.stringify(go)})) {
      fs.writeFileSync(${JSON.stringify(held)}, '');
      while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
    }
    return d;
  };
}
`,
    );
    const run = spawnBin('extract-all', [...sourceArgs(tdb.name, 'big', url(prefix)), ...FAST, '--retries', '5'], {
      env: { ...env(), NODE_OPTIONS: `--require ${hold}` },
      t,
      timeout: 90_000,
    });
    await waitFor(() => existsSync(held), { what: 'the batch to be mid-upload', timeout: 30_000, interval: 20 });
    await S.store.kill!('SIGKILL');
    await writeFile(go, ''); // the batch goes on writing into a store that is gone
    await new Promise((r) => setTimeout(r, 1000));
    await S.store.start!();
    const r = await run.exited;
    assert.equal(r.exitCode, 0, r.stderr);
    const listed = await names(prefix);
    assert.ok(listed.includes('manifest.json'), listed.join(' '));
    const uploads = await S.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    assert.deepEqual(uploads.Uploads ?? [], [], 'no incomplete upload is left');
    const ids = await idsUnder(prefix);
    assert.equal(ids.length, 800);
    assert.deepEqual(duplicates(ids), []);
    assert.equal((await runBin('extract-verify', ['--out', url(prefix)], { env: env() })).exitCode, 0);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    test(`${signal}: no object under the final name; the incomplete upload is aborted (at once, or by the next run)`, async (t) => {
      if (skipIfNone(t)) return;
      const tmp = await tmpDir(t);
      const prefix = `killed-${signal}`;
      const planned = await runBin('extract-plan', [...sourceArgs(tdb.name, 'big', url(prefix)), '--quiet'], {
        env: env(),
      });
      assert.equal(planned.exitCode, 0, planned.stderr);
      // hold the batch once ~10 MB have gone into the upload
      const held = join(tmp, 'held');
      const hold = join(tmp, 'hold.cjs');
      await writeFile(
        hold,
        `const proto = require(${JSON.stringify(BATCH_BUNDLE)}).FindCursor.prototype;
const next = proto.next;
let n = 0;
proto.next = async function () {
  const d = await next.call(this);
  if (++n === 700) {
    require('node:fs').writeFileSync(${JSON.stringify(held)}, '');
    await new Promise(() => setTimeout(() => {}, 1 << 30));
  }
  return d;
};
`,
      );
      const child = spawnBin('extract-batch', ['--plan', `${url(prefix)}plan.json`, '--batch', '0'], {
        env: { ...env(), NODE_OPTIONS: `--require ${hold}` },
        t,
        timeout: 60_000,
      });
      await waitFor(() => existsSync(held), {
        what: 'the batch to be mid-upload',
        timeout: 30_000,
        interval: 20,
        abortIf: () => (child.child.exitCode !== null ? `extract-batch exited: ${child.stderr()}` : undefined),
      });
      const uploads = async () =>
        (await S.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }))).Uploads ?? [];
      await waitFor(async () => (await uploads()).length === 1, {
        what: 'a multipart upload in progress',
        timeout: 30_000,
        interval: 50,
      });
      child.child.kill(signal);
      await child.exited;
      assert.ok(
        !(await names(prefix)).some((n) => n.startsWith('batch-') || n.startsWith('record-')),
        'nothing published',
      );
      if (signal === 'SIGTERM') assert.equal((await uploads()).length, 0, 'SIGTERM aborts the upload');
      const resumed = await extractAll(['--out', url(prefix), '--resume', ...FAST], join(tmp, 's.json'), {
        env: env(),
      });
      assert.equal(resumed.exitCode, 0, explain(resumed));
      assert.equal((await uploads()).length, 0, 'no incomplete upload is left');
      const ids = await idsUnder(prefix);
      assert.equal(ids.length, 800);
      assert.deepEqual(duplicates(ids), []);
    });
  }
});

describe('memory: a batch into S3 holds about what the same batch into a directory holds', () => {
  before(async () => {
    if (unavailable) return;
    // 16 KB documents (~13 MB, a multipart upload) and documents of ~15 MB (near BSON's 16 MiB limit)
    const small = tdb.db.collection('kb16');
    for (let i = 0; i < 800; i += 100)
      await small.insertMany(
        Array.from({ length: 100 }, (_, k) => ({ _id: i + k, pad: 'k'.repeat(16_000) })) as never[],
      );
    const huge = tdb.db.collection('mb16');
    for (let i = 0; i < 3; i++) await huge.insertOne({ _id: i, pad: String(i).repeat(15_000_000) } as never);
  });

  for (const [coll, what] of [
    ['kb16', '16 KB documents'],
    ['mb16', 'documents of 15 MB'],
  ] as const) {
    test(`${what}: peak RSS into S3 within 32 MiB of the same batch into a directory`, async (t) => {
      if (skipIfNone(t)) return;
      const tmp = await tmpDir(t);
      const hwm = join(tmp, 'hwm');
      const probe = join(tmp, 'hwm.cjs');
      await writeFile(
        probe,
        `process.on('exit', () => {
  const fs = require('node:fs');
  const m = /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (process.argv.some((a) => a.endsWith('extract-batch.js'))) fs.writeFileSync(${JSON.stringify(hwm)}, m ? m[1] : '0');
});
`,
      );
      const peak: Record<string, number> = {};
      for (const [where, out] of [
        ['dir', join(tmp, 'out')],
        ['s3', url(`mem-${coll}`)],
      ] as const) {
        const plan = await runBin('extract-plan', [...sourceArgs(tdb.name, coll, out), '--quiet'], { env: env() });
        assert.equal(plan.exitCode, 0, plan.stderr);
        const planFile = where === 's3' ? `${out}plan.json` : join(out, 'plan.json');
        const b = await runBin('extract-batch', ['--plan', planFile, '--batch', '0'], {
          env: { ...env(), NODE_OPTIONS: `--require ${probe}` },
          timeout: 120_000,
        });
        assert.equal(b.exitCode, 0, b.stderr);
        peak[where] = Number(await readFile(hwm, 'utf8')) / 1024;
      }
      t.diagnostic(`peak RSS (VmHWM): directory ${peak.dir!.toFixed(0)} MiB, S3 ${peak.s3!.toFixed(0)} MiB`);
      // issue 15's bound: measured +10–13 (Node 20) and +13–19 (Node 22) with the part writer of src/output/s3-upload.ts
      assert.ok(peak.s3! <= peak.dir! + 32, `S3 ${peak.s3} MiB vs directory ${peak.dir} MiB`);
    });
  }
});
