// Case 9: a password in the URI appears in no child's argv, no stderr line, no error, no file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { batchProcesses } from '../helpers/proc.js';
import { sourceArgs, spawnExtractAll } from '../helpers/run.js';
import { closedPort, mongoUri, withDb } from '../helpers/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { faults } from './_support.js';

const tdb = withDb('hardening_secrets');

const RAW = 'Zq9%21Sekr3tPw'; // as written in the URI
const DECODED = 'Zq9!Sekr3tPw';

/** FerretDB (no auth) accepts any user/password with PLAIN; the default SCRAM fails with AuthenticationFailed. */
const withPassword = (uri: string, query = '?authMechanism=PLAIN'): string =>
  uri.replace('mongodb://', `mongodb://mpe:${RAW}@`).replace(/\/?$/, '/') + query;

const leaks = (where: string, text: string): string[] => (text.includes(RAW) || text.includes(DECODED) ? [where] : []);

async function filesLeak(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await readdir(dir))
    out.push(...leaks(`${dir}/${n}`, await readFile(join(dir, n), 'utf8').catch(() => '')));
  return out;
}

test('9: secrets stay out of argv, logs, errors and files', { timeout: 150_000 }, async (t) => {
  await tdb.db
    .collection('c')
    .insertMany(Array.from({ length: 600 }, (_, i) => ({ _id: i, pad: 'z'.repeat(30) })) as never[]);
  const dir = await tmpDir(t, 'mpe-hard-secret-');
  const f = await faults(join(dir, 'fi'));
  const out = join(dir, 'out');
  const good = withPassword(mongoUri());
  const found: string[] = [];

  // 1. a successful run given --uri on the command line (the user's choice); its children must not get it in argv
  const run = spawnExtractAll(
    t,
    [
      '--uri',
      good,
      ...sourceArgs(tdb.name, 'c', out),
      '--batch-size',
      '150',
      '--concurrency',
      '2',
      '--summary',
      join(dir, 's1.json'),
      '--retry-delay',
      '0.05',
    ],
    { env: f.env(['cmdline', 'pause:1']) },
  );
  let seen = 0;
  const poll = setInterval(() => {
    for (const p of batchProcesses()) {
      seen++;
      found.push(...leaks(`argv of extract-batch ${p.pid}`, p.argv.join(' ')));
    }
  }, 10);
  await f.paused(1); // one child is surely alive now: read its argv from outside
  // the detector works: the orchestrator itself was given the password in argv (that is the user's choice)
  assert.equal(leaks('orchestrator', readFileSync(`/proc/${run.pid}/cmdline`, 'utf8')).length, 1);
  const live = batchProcesses().filter((p) => p.argv.includes(join(out, 'plan.json')));
  assert.ok(live.length >= 1, 'a running extract-batch is visible in /proc');
  await f.go(1);
  const r1 = await run.exited;
  clearInterval(poll);
  assert.equal(r1.exitCode, 0, r1.stderr);
  const cmdlines = f.list('cmdline-');
  const total = (JSON.parse(readFileSync(join(dir, 's1.json'), 'utf8')) as { batches: { total: number } }).batches
    .total;
  assert.ok(
    total >= 4 && cmdlines.length >= total,
    `every child recorded its argv (${cmdlines.length} of ${total} batches)`,
  );
  for (const c of cmdlines) found.push(...leaks(`argv of child ${c}`, f.read(c)));
  assert.ok(seen >= 1);
  found.push(...leaks('stderr of a good run', r1.stderr));

  // 2. children that fail to authenticate (SCRAM against a server without it): errors reach summary and stderr
  // make one batch pending (its record gone) so that the resumed run starts a child
  await unlink(join(out, 'record-00001.json'));
  const authFail = await runBin(
    'extract-all',
    ['--out', out, '--resume', '--summary', join(dir, 's3.json'), '--retries', '1', '--retry-delay', '0.05'],
    {
      env: { MONGO_URI: withPassword(mongoUri(), ''), NODE_OPTIONS: undefined },
      timeout: 60_000,
    },
  );
  assert.notEqual(authFail.exitCode, 0, 'authentication fails');
  const s3 = JSON.parse(await readFile(join(dir, 's3.json'), 'utf8'));
  assert.ok(s3.failures.length >= 1 && s3.failures[0].lastError, 'the failure is described');
  found.push(...leaks('stderr of an auth failure', authFail.stderr));

  // 3. a server that is down, with --uri on the command line: planning fails, and a child fails the same way
  const port = await closedPort();
  const down = withPassword(`mongodb://127.0.0.1:${port}`);
  const plan = await runBin(
    'extract-plan',
    ['--uri', down, ...sourceArgs('x', 'y', join(dir, 'p')), '--connect-timeout', '0.5'],
    { env: { NODE_OPTIONS: undefined } },
  );
  assert.equal(plan.exitCode, 3, plan.stderr);
  found.push(...leaks('stderr of extract-plan, server down', plan.stderr));
  const all = await runBin(
    'extract-all',
    [
      '--uri',
      down,
      ...sourceArgs('x', 'y', join(dir, 'q')),
      '--connect-timeout',
      '0.5',
      '--summary',
      join(dir, 's4.json'),
    ],
    {
      env: { NODE_OPTIONS: undefined },
    },
  );
  assert.equal(all.exitCode, 3, all.stderr);
  found.push(...leaks('stderr of extract-all, server down', all.stderr));
  const child = await runBin(
    'extract-batch',
    ['--plan', join(out, 'plan.json'), '--batch', '0', '--uri', down, '--connect-timeout', '0.5'],
    { env: { NODE_OPTIONS: undefined } },
  );
  assert.equal(child.exitCode, 3, child.stderr);
  found.push(...leaks('stderr of extract-batch, server down', child.stderr));
  const resumed = await runBin(
    'extract-all',
    [
      '--out',
      out,
      '--resume',
      '--connect-timeout',
      '0.5',
      '--retries',
      '1',
      '--retry-delay',
      '0.05',
      '--summary',
      join(dir, 's5.json'),
    ],
    {
      env: { MONGO_URI: down, NODE_OPTIONS: undefined },
    },
  );
  assert.equal(resumed.exitCode, 1, resumed.stderr);
  found.push(...leaks('stderr of children, server down', resumed.stderr));
  // a malformed URI holding the password
  const malformed = await runBin(
    'extract-batch',
    ['--plan', join(out, 'plan.json'), '--batch', '0', '--uri', `mongodb://mpe:${RAW}@host:notaport/`],
    { env: { NODE_OPTIONS: undefined } },
  );
  assert.equal(malformed.exitCode, 2, malformed.stderr);
  found.push(...leaks('stderr of a malformed URI', malformed.stderr));

  // every file written: plan, records, manifest, summaries
  found.push(...(await filesLeak(out)), ...(await filesLeak(dir)));
  assert.deepEqual(found, [], 'the password leaked');
});
