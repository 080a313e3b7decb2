#!/usr/bin/env node
// Benchmark: mongo-parallel-extract side by side with mongoexport, on the same data and server, in one run.
//
//   npm run bench                 full run (builds first)
//   npm run bench -- --quick      the short run (< 3 minutes here)
//   node bench/run.js [--quick] [--docs N] [--rounds N] [--no-node22] [--no-variants] [--no-extract-all]
//                     [--server-pid PID] [--results DIR]
//
// Server: $MONGO_URI if set (then --server-pid or $BENCH_SERVER_PID gives the server's CPU), else a private
// FerretDB v1.24.2 (scripts/ferretdb.js) with its data in /dev/shm.
//
// Contenders, run alternating (round r starts at contender r), one warm-up round discarded, medians of the rest:
//   mongoexport     the Go tool from mongo-tools (scripts/mongoexport.js), --jsonArray: a JSON array, relaxed EJSON,
//                   exactly what extract-all writes by default
//   single-cursor   bench/baseline-single-cursor.js: one process, one cursor → EJSON → JSONStream → file
//   drain           bench/drain.js: read every document raw and discard it (the ceiling for any client)
//   extract-all     at --concurrency 1 and 2 (with as many batches) and at its defaults, under Node 20 and Node 22
//   mpe-export      mongoexport's own command line (the same arguments, --jsonArray -o FILE): one file, like it
// plus, at least once each, canonical EJSON (mongoexport and extract-all), --gzip and --merge FILE (extract-all; the
// merge's own seconds from its summary), mpe-export in two batches, and CSV of the same 13 columns (nested fields,
// an array index) by mongoexport and by mpe-export, and extract-all into S3 (versitygw on loopback, when built).
// Every run is checked: the documents in its output are counted and their _ids checksummed against the dataset.
//
// Results: bench/results/latest.json and latest.md (also printed).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { ensureNode22 } from '../scripts/node22.js';
import { ensureDataset, expectedIdChecksum } from './generate.js';
import { detectCpuMethod, measureCommand, settle, startupMs } from './lib/measure.js';
import { computeTargets, deriveMarginal, plainDefaults, renderMarkdown } from './lib/report.js';
import { batchFiles, verifyCsv, verifyFiles } from './lib/verify.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const tmpDir = path.join(benchDir, 'tmp');
const DB = 'mpe_bench';
const SEED = 42;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => {
  const k = argv.indexOf(`--${name}`);
  return k >= 0 ? argv[k + 1] : undefined;
};
const quick = flag('quick');
const resultsDir = path.resolve(value('results') ?? path.join(benchDir, 'results'));
const external = Boolean(process.env.MONGO_URI);

// Sizes. On the FerretDB test server every document read costs the server ~0.35 ms of CPU (1 KB; ~0.13 ms at 200 B,
// ~3 ms at 16 KB), and every range query and the plan's _id walk read the whole collection, so one extract-all run
// reads it three times or more: a full run at the issue's 1 M documents would take many hours there. These sizes keep
// the full run near 25 minutes on FerretDB; the main set is as large as that allows (30,000: at 15,000, each
// tool's fixed cost — process start-up, planning — still weighed on its CPU per document as much as its work). Against $MONGO_URI (a real MongoDB) the full run uses 1 M × 1 KB,
// 1 M × 200 B and 30 k × 16 KB with 2 rounds (not tried here: no MongoDB server can be installed on this machine).
const SIZES = quick
  ? { main: 2_000, variants: { '16k': 100 }, many: 10_000 }
  : external
    ? { main: 1_000_000, variants: { '200b': 1_000_000, '16k': 30_000 }, many: 10_000 }
    : { main: 30_000, variants: { '200b': 30_000, '16k': 800 }, many: 10_000 };
const config = {
  mode: quick ? 'quick' : 'full',
  mainDocs: Number(value('docs') ?? SIZES.main),
  variants: flag('no-variants') ? {} : SIZES.variants,
  rounds: Number(value('rounds') ?? (quick ? 2 : external ? 2 : 3)),
  /** quick: the warm-up runs each tool once (per Node), not every contender */
  warmupEveryContender: !quick,
  /** canonical/gzip contenders in every measured round (full) or only the first (quick) */
  extrasEveryRound: !quick,
  overheadReps: quick ? 5 : 21,
  manyBatchesDocs: SIZES.many,
  manyBatchesStopAfterSec: Number(value('many-seconds') ?? (quick ? 10 : 600)),
  /** one extract-batch over 1,000,000 small documents: the child's peak RSS for a 1 M-document batch (full runs) */
  millionBatch: !quick && !flag('no-million'),
  node22: !flag('no-node22'),
};

// ---------------------------------------------------------------------------------------------- helpers

const log = (s) => process.stderr.write(`${s}\n`);
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const round = (x, d = 3) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
const toMiB = (kib) => (kib === null || kib === undefined ? null : round(kib / 1024, 1));
const rmrf = (p) => fs.rmSync(p, { recursive: true, force: true, maxRetries: 3 });

async function startServer() {
  if (external) {
    const pid = Number(value('server-pid') ?? process.env.BENCH_SERVER_PID) || null;
    return {
      uri: process.env.MONGO_URI,
      pid,
      kind: 'external ($MONGO_URI)',
      note: pid
        ? `server CPU from /proc/${pid}`
        : 'server CPU not measured: pass --server-pid (or BENCH_SERVER_PID) for a local server',
      stop: async () => {},
    };
  }
  const { startFerretDB, FERRETDB_VERSION } = await import('../scripts/ferretdb.js');
  // data in memory: the disk of this shared machine is busy with others' work; reads are served from memory either way
  const shm =
    fs.existsSync('/dev/shm') && fs.statfsSync('/dev/shm').bavail * fs.statfsSync('/dev/shm').bsize > 8 * 1024 * MiB;
  const savedTmp = process.env.TMPDIR;
  if (shm) process.env.TMPDIR = '/dev/shm';
  let server;
  try {
    server = await startFerretDB();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  return {
    uri: server.uri,
    pid: server.pid,
    kind: `FerretDB ${FERRETDB_VERSION} (SQLite backend, data in ${shm ? '/dev/shm' : os.tmpdir()})`,
    note: "FerretDB scans the whole collection for every range query (no _id pushdown): server-bound figures, not MongoDB's",
    stop: () => server.stop(),
  };
}

// ---------------------------------------------------------------------------------------------- contenders

/**
 * A contender: what runs and how its output is checked. `make(outBase)` returns { cmd, args, env, out } where out is
 * a file or a directory (extract-all) or null (drain, which reports its count on stdout).
 */
function contenders(ctx, ds, { extras, node22, minimal, node22DefaultOnly = false }) {
  const list = [];
  const env = { ...process.env, MONGO_URI: ctx.uri };
  const common = { dataset: ds.name, docs: ds.docs };
  if (ctx.mongoexport.bin) {
    for (const ejson of extras ? ['relaxed', 'canonical'] : ['relaxed']) {
      list.push({
        ...common,
        id: `mongoexport${ejson === 'canonical' ? ' canonical' : ''}`,
        tool: 'mongoexport',
        node: null,
        concurrency: 1,
        ejson,
        gzip: false,
        extra: ejson !== 'relaxed',
        make: (out) => ({
          cmd: ctx.mongoexport.bin,
          args: [
            '--config',
            ctx.mongoexportConfig,
            '--db',
            DB,
            '--collection',
            ds.collection,
            '--jsonArray',
            '--quiet',
            '--out',
            `${out}.json`,
            ...(ejson === 'canonical' ? ['--jsonFormat', 'canonical'] : []),
          ],
          env,
          out: `${out}.json`,
        }),
      });
    }
  }
  if (ctx.mongoexport.bin && extras) list.push(csvContender(ctx, ds, env, 'mongoexport'));
  if (ctx.mpeExport.available) {
    list.push(mpeExportContender(ctx, ds, env, { id: 'mpe-export', flags: [] }));
    if (extras) {
      // the same collection in two batches: the parallel path whatever the planner's default batch size
      const half = String(Math.ceil(ds.docs / 2));
      list.push(mpeExportContender(ctx, ds, env, { id: 'mpe-export 2 batches', flags: ['--batch-size', half], c: 2 }));
      list.push(csvContender(ctx, ds, env, 'mpe-export'));
    }
  }
  if (!minimal) {
    list.push({
      ...common,
      id: 'single-cursor',
      tool: 'single-cursor',
      node: ctx.node20.version,
      concurrency: 1,
      ejson: 'relaxed',
      gzip: false,
      make: (out) => ({
        cmd: process.execPath,
        args: [
          path.join(benchDir, 'baseline-single-cursor.js'),
          '--db',
          DB,
          '--collection',
          ds.collection,
          '--out',
          `${out}.json`,
        ],
        env,
        out: `${out}.json`,
      }),
    });
  }
  list.push({
    ...common,
    id: 'drain',
    tool: 'drain',
    node: ctx.node20.version,
    concurrency: 1,
    ejson: null,
    gzip: false,
    make: () => ({
      cmd: process.execPath,
      args: [path.join(benchDir, 'drain.js'), '--db', DB, '--collection', ds.collection],
      env,
      out: null,
    }),
  });
  if (ctx.extractAll.available) {
    const nodes = [{ bin: process.execPath, version: ctx.node20.version, tag: '' }];
    if (node22 && ctx.node22.bin) nodes.push({ bin: ctx.node22.bin, version: ctx.node22.version, tag: ' node22' });
    for (const n of nodes) {
      const shapes = minimal || (n.tag && node22DefaultOnly) ? [{ c: null }] : [{ c: 1 }, { c: 2 }, { c: null }];
      for (const { c } of shapes) {
        const flags = c === null ? [] : ['--concurrency', String(c), '--batches', String(c)];
        list.push(eaContender(ctx, ds, env, n, c, flags, { ejson: 'relaxed', gzip: false }));
      }
      if (extras && !n.tag) {
        list.push(
          eaContender(ctx, ds, env, n, null, ['--ejson', 'canonical'], {
            ejson: 'canonical',
            gzip: false,
            extra: true,
          }),
        );
        list.push(eaContender(ctx, ds, env, n, null, ['--gzip'], { ejson: 'relaxed', gzip: true, extra: true }));
        list.push(eaContender(ctx, ds, env, n, null, [], { ejson: 'relaxed', gzip: false, extra: true, merge: true }));
        if (ctx.s3)
          list.push(eaContender(ctx, ds, env, n, null, [], { ejson: 'relaxed', gzip: false, extra: true, s3: true }));
        // issue 16: the server's count of every batch's range after it is written
        list.push(
          eaContender(ctx, ds, env, n, null, ['--check-counts', 'on'], {
            ejson: 'relaxed',
            gzip: false,
            extra: true,
            named: 'check-counts',
          }),
        );
        // issue 16: every batch's cursor killed on the server once (bench/lib/kill-cursor.cjs), read on in the batch;
        // beside c2, its shape: a collection in one batch is read without bounds, and such a batch restarts whole
        list.push(
          eaContender(ctx, ds, env, n, 2, ['--concurrency', '2', '--batches', '2'], {
            ejson: 'relaxed',
            gzip: false,
            extra: true,
            named: 'cursor killed',
            envMore: killCursorEnv(),
          }),
        );
      }
      if (extras && n.tag) {
        // zstd needs Node 22.15+: zstd and gzip side by side on Node 22 (CPU per document, size)
        list.push(eaContender(ctx, ds, env, n, null, ['--gzip'], { ejson: 'relaxed', gzip: true, extra: true }));
        list.push(
          eaContender(ctx, ds, env, n, null, ['--compress', 'zstd'], {
            ejson: 'relaxed',
            gzip: false,
            extra: true,
            zstd: true,
          }),
        );
      }
    }
  }
  return list;
}

/** A preload that has the server kill each batch process's first find cursor after its 50th document. */
const killCursorEnv = () => ({
  NODE_OPTIONS: `--require ${path.join(benchDir, 'lib', 'kill-cursor.cjs')}`,
  MPE_BENCH_BATCH_BUNDLE: path.join(repoRoot, 'dist', 'bundle', 'batch.cjs'),
});

/** The CSV columns both tools export in the CSV contenders: nested fields, an array index, numbers and dates. */
const CSV_FIELDS =
  '_id,n,name,email,age,score,balance,active,createdAt,address.city,address.geo.lat,tags.0,prefs.notify.email';

/** mongoexport's command line, run by mongoexport or by mpe-export (the same arguments). */
function exportArgs(ctx, ds, out, more) {
  return [
    '--config',
    ctx.mongoexportConfig,
    '--db',
    DB,
    '--collection',
    ds.collection,
    '--quiet',
    '--out',
    out,
    ...more,
  ];
}

function mpeExportContender(ctx, ds, env, { id, flags, c = null }) {
  return {
    dataset: ds.name,
    docs: ds.docs,
    id,
    tool: 'mpe-export',
    node: ctx.node20.version,
    concurrency: c ?? ctx.extractAll.defaultConcurrency,
    defaults: flags.length === 0,
    ejson: 'relaxed',
    gzip: false,
    extra: flags.length > 0,
    make: (out) => ({
      cmd: process.execPath,
      args: [
        path.join(repoRoot, 'bin', 'mpe-export.js'),
        ...exportArgs(ctx, ds, `${out}.json`, ['--jsonArray', ...flags]),
      ],
      env,
      out: `${out}.json`,
    }),
  };
}

/** CSV of the same columns, by mongoexport or mpe-export. */
function csvContender(ctx, ds, env, tool) {
  const bin = tool === 'mongoexport' ? ctx.mongoexport.bin : process.execPath;
  const pre = tool === 'mongoexport' ? [] : [path.join(repoRoot, 'bin', 'mpe-export.js')];
  return {
    dataset: ds.name,
    docs: ds.docs,
    id: `${tool} csv`,
    tool,
    node: tool === 'mongoexport' ? null : ctx.node20.version,
    concurrency: tool === 'mongoexport' ? 1 : ctx.extractAll.defaultConcurrency,
    defaults: false,
    ejson: null,
    csv: true,
    gzip: false,
    extra: true,
    make: (out) => ({
      cmd: bin,
      args: [...pre, ...exportArgs(ctx, ds, `${out}.csv`, ['--type', 'csv', '--fields', CSV_FIELDS])],
      env,
      out: `${out}.csv`,
    }),
  };
}

function eaContender(
  ctx,
  ds,
  env,
  n,
  c,
  flags,
  { ejson, gzip, extra = false, merge = false, s3 = false, zstd = false, named = '', envMore = {} },
) {
  const label = c === null ? 'default' : `c${c}`;
  const variant = named
    ? ` ${named}`
    : ejson === 'canonical'
      ? ' canonical'
      : gzip
        ? ' gzip'
        : zstd
          ? ' zstd'
          : merge
            ? ' --merge'
            : s3
              ? ' s3'
              : '';
  return {
    dataset: ds.name,
    docs: ds.docs,
    id: `extract-all ${label}${variant}${n.tag}`,
    tool: 'extract-all',
    node: n.version,
    concurrency: c ?? ctx.extractAll.defaultConcurrency,
    defaults: c === null,
    ejson,
    gzip,
    extra,
    merge,
    s3,
    zstd,
    ...(named ? { variant: named } : {}),
    make: (out) => ({
      cmd: n.bin,
      args: [
        path.join(repoRoot, 'bin', 'extract-all.js'),
        '--db',
        DB,
        '--collection',
        ds.collection,
        '--out',
        // into versitygw on loopback, whose objects are plain files under its directory: verified there
        s3 ? `s3://${ctx.s3.bucket}/${path.basename(out)}/` : out,
        '--quiet',
        '--summary',
        `${out}.summary.json`,
        ...(merge ? ['--merge', `${out}.json`] : []),
        ...flags,
      ],
      env: { ...env, ...(s3 ? ctx.s3.env : {}), ...envMore },
      out: merge ? `${out}.json` : s3 ? path.join(ctx.s3.data, ctx.s3.bucket, path.basename(out)) : out,
      summary: `${out}.summary.json`,
    }),
  };
}

/** One measured run of a contender, verified. */
async function runOnce(ctx, k, roundNo) {
  const slug = `${k.dataset}-${k.id}`.replace(/[^a-z0-9]+/gi, '_');
  fs.mkdirSync(path.join(tmpDir, 'out'), { recursive: true });
  const outBase = path.join(tmpDir, 'out', `${slug}-r${roundNo}`);
  rmrf(outBase);
  rmrf(`${outBase}.json`);
  rmrf(`${outBase}.csv`);
  const job = k.make(outBase);
  const m = await measureCommand(job.cmd, job.args, {
    env: job.env,
    cwd: repoRoot,
    logPrefix: path.join(tmpDir, 'logs', `${slug}-r${roundNo}`),
    serverPid: ctx.serverPid,
    cpuMethod: ctx.cpuMethod,
    timeoutMs: 30 * 60_000,
  });
  const sample = {
    round: roundNo,
    ok: m.ok,
    wallSeconds: round(m.wallSeconds),
    cpuSeconds: round(m.cpuSeconds, 2),
    serverCpuSeconds: round(m.serverCpuSeconds, 2),
    peakRssMiB: toMiB(
      m.childPeakKiB === null ? Math.max(m.orchestratorPeakKiB ?? 0, m.treeMaxRssKiB ?? 0) : m.orchestratorPeakKiB,
    ),
    childPeakRssMiB: toMiB(m.childPeakKiB),
    treeMaxRssMiB: toMiB(m.treeMaxRssKiB),
    childProcesses: m.childProcesses,
    docs: null,
    bytes: null,
    error: null,
  };
  if (!m.ok) sample.error = `exit ${m.signal ?? m.exitCode}${m.timedOut ? ' (timed out)' : ''}: ${m.stderrTail}`;
  try {
    if (m.ok && job.out === null) {
      const r = JSON.parse(fs.readFileSync(m.stdoutFile, 'utf8'));
      sample.docs = r.docs;
      sample.bytes = r.bytes;
      if (r.docs !== k.docs) sample.error = `read ${r.docs} documents, the collection holds ${k.docs}`;
    } else if (m.ok) {
      const files = k.tool === 'extract-all' && !k.merge ? batchFiles(job.out) : [job.out];
      const v = k.csv ? await verifyCsv(job.out) : await verifyFiles(files);
      sample.docs = v.docs;
      sample.bytes = v.fileBytes;
      if (v.docs !== k.docs) sample.error = `wrote ${v.docs} documents, the collection holds ${k.docs}`;
      else if (v.idChecksum !== ctx.expectedIds.get(k.dataset))
        sample.error = `the _ids written are not the collection's (checksum ${v.idChecksum})`;
      if (job.summary) {
        const s = JSON.parse(fs.readFileSync(job.summary, 'utf8'));
        sample.planningSeconds = s.planningSeconds ?? null;
        sample.mergeSeconds = s.merged?.seconds ?? null;
        sample.batches = s.batches?.total ?? null;
        sample.toolSeconds = s.seconds ?? null;
        if (s.docs !== k.docs && !sample.error)
          sample.error = `its summary says ${s.docs} documents, the collection holds ${k.docs}`;
        if (s.batches?.failed && !sample.error) sample.error = `${s.batches.failed} batches failed`;
        sample.cursorResumes = s.cursorResumes ?? 0;
        sample.retries = s.retries ?? 0;
        if (k.variant === 'cursor killed' && !sample.error && sample.cursorResumes < (s.batches?.total ?? 1))
          sample.error = `${sample.cursorResumes} cursor resumes for ${s.batches?.total} batches: the kill did not happen`;
        if (k.variant === 'cursor killed' && !sample.error && sample.retries > 0)
          sample.error = `${sample.retries} whole-batch retries: a killed cursor was not read on in its batch`;
      }
    }
  } catch (err) {
    sample.error = `verification failed: ${err.message}`;
  }
  if (sample.error) sample.ok = false;
  // mpe-export writes no summary: its batches are not known here
  if (!sample.batches) sample.batches = k.tool === 'extract-all' || k.tool === 'mpe-export' ? null : 1;
  rmrf(outBase);
  rmrf(`${outBase}.json`);
  rmrf(`${outBase}.csv`);
  rmrf(`${outBase}.summary.json`);
  if (k.s3) rmrf(job.out);
  return sample;
}

async function runRounds(ctx, _ds, list, rounds, label) {
  const samples = new Map(list.map((k) => [k.id, []]));
  for (let r = 0; r <= rounds; r++) {
    const warm = r === 0;
    const seen = new Set();
    const order = list
      .map((_, i) => list[(i + r) % list.length])
      .filter((k) => !k.extra || config.extrasEveryRound || r === 1)
      .filter((k) => {
        if (!warm || config.warmupEveryContender) return true;
        // a short warm-up: each program once per Node (page cache, server caches), the extras not at all
        const key = `${k.tool} ${k.node}`;
        if (k.extra || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    log(`${label}: ${warm ? 'warm-up round' : `round ${r}/${rounds}`} (${order.map((k) => k.id).join(', ')})`);
    for (const k of order) {
      const s = await runOnce(ctx, k, r);
      log(
        `  ${k.id.padEnd(34)} ${s.ok ? 'ok  ' : 'FAIL'} ${String(s.wallSeconds).padStart(7)} s  ${String(Math.round(k.docs / s.wallSeconds)).padStart(6)} docs/s  cpu ${s.cpuSeconds} s  server ${s.serverCpuSeconds} s  rss ${s.peakRssMiB}${s.childPeakRssMiB !== null ? `/${s.childPeakRssMiB}` : ''} MiB${s.error ? `  ${s.error.split('\n')[0]}` : ''}`,
      );
      if (!warm) samples.get(k.id).push(s);
      else if (!s.ok) samples.get(k.id).push({ ...s, warmup: true });
    }
  }
  return list.map((k) => summarize(k, samples.get(k.id)));
}

function summarize(k, samples) {
  const measured = samples.filter((s) => !s.warmup);
  const good = measured.filter((s) => s.ok);
  const failed = samples.filter((s) => !s.ok);
  const wall = median(good.map((s) => s.wallSeconds));
  const bytes = median(good.map((s) => s.bytes));
  const cpu = median(good.map((s) => s.cpuSeconds));
  const walls = good.map((s) => s.wallSeconds);
  return {
    id: k.id,
    dataset: k.dataset,
    tool: k.tool,
    node: k.node,
    concurrency: k.concurrency,
    defaults: k.defaults ?? false,
    ejson: k.ejson,
    gzip: k.gzip,
    batches: median(good.map((s) => s.batches)),
    docs: k.docs,
    ok: failed.length === 0 && good.length > 0,
    rounds: good.length,
    wallSeconds: round(wall),
    docsPerSecond: wall ? Math.round(k.docs / wall) : null,
    mbPerSecond: wall && bytes ? round(bytes / 1e6 / wall, 2) : null,
    outputBytes: bytes,
    cpuSeconds: round(cpu, 2),
    cpuMicrosPerDoc: cpu !== null ? round((cpu * 1e6) / k.docs, 1) : null,
    serverCpuSeconds: round(median(good.map((s) => s.serverCpuSeconds)), 2),
    peakRssMiB: median(good.map((s) => s.peakRssMiB)),
    childPeakRssMiB: median(good.map((s) => s.childPeakRssMiB)),
    planningSeconds: round(median(good.map((s) => s.planningSeconds)), 3),
    ...(k.s3 ? { s3: true } : {}),
    ...(k.zstd ? { zstd: true } : {}),
    ...(k.merge ? { merge: true, mergeSeconds: round(median(good.map((s) => s.mergeSeconds)), 3) } : {}),
    ...(k.csv ? { csv: true } : {}),
    ...(k.variant ? { variant: k.variant } : {}),
    ...(k.variant ? { cursorResumes: median(good.map((s) => s.cursorResumes)) } : {}),
    wallSpread: walls.length > 1 ? round((Math.max(...walls) - Math.min(...walls)) / wall, 3) : null,
    samples: samples.map(
      ({
        round: r,
        ok,
        wallSeconds,
        cpuSeconds,
        serverCpuSeconds,
        peakRssMiB,
        childPeakRssMiB,
        treeMaxRssMiB,
        childProcesses,
        error,
        warmup,
      }) => ({
        round: r,
        ok,
        wallSeconds,
        cpuSeconds,
        serverCpuSeconds,
        peakRssMiB,
        childPeakRssMiB,
        treeMaxRssMiB,
        childProcesses,
        ...(warmup ? { warmup } : {}),
        ...(error ? { error } : {}),
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------------------- fixed costs

/**
 * Variables this machine's environment sets that change how long Node takes to start, and that users' machines
 * seldom have: NODE_EXTRA_CA_CERTS makes Node 20 read and parse a CA bundle at every start (~90 ms here; Node 22
 * reads it on first TLS use). They are left out of every fixed-cost measurement — the bare start, the driver floor
 * and the empty batch alike — since adding the same constant to both sides of a ratio only flatters it.
 */
const START_NOISE = ['NODE_EXTRA_CA_CERTS'];

/**
 * Median ms, alternating, for each Node: a bare `node -e 0`; the driver floor (bench/floor: the official driver
 * loaded as every command is, connect, one find, close — the least any batch process that uses this driver can
 * take); and extract-batch on an empty _id range, started exactly as extract-all starts a batch.
 */
async function fixedCosts(ctx) {
  const { childCommand } = await import('../dist/src/orchestrator/child.js');
  const { bundle } = await import('../scripts/bundle.js');
  await bundle(path.join(benchDir, 'floor', 'driver-floor.cjs'), path.join(tmpDir, 'driver-floor.cjs'));
  const out = {};
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !START_NOISE.includes(k)));
  const env = { ...base, MONGO_URI: ctx.uri };
  const removed = START_NOISE.filter((k) => process.env[k] !== undefined);
  const dir = path.join(tmpDir, 'overhead');
  fs.mkdirSync(dir, { recursive: true });
  const nodes = [{ key: '20', bin: process.execPath, version: ctx.node20.version }];
  if (ctx.node22.bin) nodes.push({ key: '22', bin: ctx.node22.bin, version: ctx.node22.version });
  for (const n of nodes) {
    // the data sets were just written: their writeback and the server's own work would land on whichever
    // sample happened to run then (a batch fsyncs its file; the floor does not)
    const settled = await settle();
    const bare = [];
    const floor = [];
    const batch = [];
    let error = null;
    let floorError = null;
    for (let i = 0; i <= config.overheadReps; i++) {
      const b = await startupMs(n.bin, ['-e', '0'], { env: base });
      const f = await startupMs(n.bin, [path.join(benchDir, 'floor', 'launch.cjs'), DB, ctx.overheadCollection], {
        env,
        cwd: repoRoot,
      });
      if (!f.ok) floorError = `the driver floor failed: ${f.stderr}`;
      const file = path.join(dir, `empty-${n.key}-${i}.json`);
      // exactly how extract-all starts a batch process (src/orchestrator/child.ts), with this Node
      const [, args] = childCommand([
        '--db',
        DB,
        '--collection',
        ctx.overheadCollection,
        '--min',
        '1000',
        '--max',
        '2000',
        '--out',
        file,
        '--quiet',
      ]);
      const e = await startupMs(n.bin, args, { env, cwd: repoRoot });
      if (!e.ok) error = `extract-batch on an empty range failed: ${e.stderr}`;
      else {
        const v = await verifyFiles([file]);
        if (v.docs !== 0) error = `extract-batch on an empty range wrote ${v.docs} documents`;
      }
      if (i > 0) {
        // the first round warms the page cache and writes the code caches; it is discarded
        bare.push(b.ms);
        floor.push(f.ms);
        batch.push(e.ms);
      }
    }
    out[n.key] = {
      node: n.version,
      bareNodeStartMs: round(median(bare), 1),
      driverFloorMs: floorError ? null : round(median(floor), 1),
      perBatchOverheadMs: error ? null : round(median(batch), 1),
      bareSamplesMs: bare.map((x) => round(x, 1)),
      driverFloorSamplesMs: floor.map((x) => round(x, 1)),
      batchSamplesMs: batch.map((x) => round(x, 1)),
      envRemoved: removed,
      settled,
      ...(error ? { error } : {}),
      ...(floorError ? { floorError } : {}),
    };
    log(
      `fixed costs, Node ${n.version}: bare node start ${out[n.key].bareNodeStartMs} ms, driver floor ${out[n.key].driverFloorMs ?? floorError} ms, empty batch ${out[n.key].perBatchOverheadMs ?? error} ms`,
    );
  }
  rmrf(dir);
  return out;
}

/**
 * One batch of 1,000,000 documents, run as extract-all runs a batch (childCommand): the child's peak RSS and
 * the output checked. Small documents, so the FerretDB test server serves them in about a minute.
 */
async function millionBatch(ctx, ds) {
  const { childCommand } = await import('../dist/src/orchestrator/child.js');
  const file = path.join(tmpDir, 'million.json');
  rmrf(file);
  const [, args] = childCommand(['--db', DB, '--collection', ds.collection, '--out', file, '--quiet']);
  const m = await measureCommand(process.execPath, args, {
    env: { ...process.env, MONGO_URI: ctx.uri },
    cwd: repoRoot,
    logPrefix: path.join(tmpDir, 'logs', 'million'),
    serverPid: ctx.serverPid,
    cpuMethod: ctx.cpuMethod,
    timeoutMs: 20 * 60_000,
  });
  const v = m.ok ? await verifyFiles([file]) : null;
  rmrf(file);
  const ok = m.ok && v?.docs === ds.docs && v?.idChecksum === ctx.expectedIds.get(ds.name);
  const res = {
    ok,
    docs: ds.docs,
    avgBsonBytes: ds.avgBsonBytes,
    wallSeconds: round(m.wallSeconds),
    cpuSeconds: round(m.cpuSeconds, 2),
    peakRssMiB: toMiB(m.orchestratorPeakKiB),
    ...(ok ? {} : { error: m.ok ? `output check failed: ${v?.docs} documents` : m.stderrTail }),
  };
  log(`1 M-document batch: ${ok ? 'ok' : 'FAILED'}, ${res.wallSeconds} s, peak RSS ${res.peakRssMiB} MiB`);
  return res;
}

/** The orchestrator of a 10,000-batch plan: extract-plan in full, then extract-all for a bounded time. */
async function manyBatches(ctx, ds) {
  const res = { batchesRequested: 10_000, collectionDocs: ds.docs, plan: null, run: null };
  const env = { ...process.env, MONGO_URI: ctx.uri };
  const planDir = path.join(tmpDir, 'many-plan');
  rmrf(planDir);
  const planBin = path.join(repoRoot, 'bin', 'extract-plan.js');
  if (fs.existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'extract-plan.js'))) {
    const m = await measureCommand(
      process.execPath,
      [planBin, '--db', DB, '--collection', ds.collection, '--out', planDir, '--batch-size', '1', '--quiet'],
      {
        env,
        cwd: repoRoot,
        logPrefix: path.join(tmpDir, 'logs', 'many-plan'),
        serverPid: ctx.serverPid,
        cpuMethod: ctx.cpuMethod,
        timeoutMs: 10 * 60_000,
      },
    );
    let batches = null;
    try {
      batches = JSON.parse(fs.readFileSync(path.join(planDir, 'plan.json'), 'utf8')).batches.length;
    } catch {
      // no plan
    }
    res.plan = {
      ok: m.ok,
      batches,
      wallSeconds: round(m.wallSeconds),
      cpuSeconds: round(m.cpuSeconds, 2),
      peakRssMiB: toMiB(Math.max(m.orchestratorPeakKiB ?? 0, m.treeMaxRssKiB ?? 0)),
      ...(m.ok ? {} : { error: m.stderrTail }),
    };
    log(
      `10,000-batch plan: extract-plan ${m.ok ? 'ok' : 'FAILED'}, ${batches} batches, ${res.plan.wallSeconds} s, peak RSS ${res.plan.peakRssMiB} MiB`,
    );
  } else {
    res.plan = { ok: false, error: 'dist/src/cli/extract-plan.js is missing' };
  }
  rmrf(planDir);
  if (!ctx.extractAll.available) {
    res.run = { ok: false, error: ctx.extractAll.why };
    return res;
  }
  const outDir = path.join(tmpDir, 'many-run');
  rmrf(outDir);
  const m = await measureCommand(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'extract-all.js'),
      '--db',
      DB,
      '--collection',
      ds.collection,
      '--out',
      outDir,
      '--batch-size',
      '1',
      '--quiet',
    ],
    {
      env,
      cwd: repoRoot,
      logPrefix: path.join(tmpDir, 'logs', 'many-run'),
      serverPid: ctx.serverPid,
      cpuMethod: ctx.cpuMethod,
      stopAfterMs: config.manyBatchesStopAfterSec * 1000,
      timeoutMs: 30 * 60_000,
      // the orchestrator's RSS as batches finish: a curve whose slope says whether it keeps what it finished
      series: { everyMs: quick ? 1000 : 3000, probe: () => ({ batchesDone: countBatchFiles(outDir) }) },
    },
  );
  let batches = null;
  let done = 0;
  try {
    batches = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8')).batches.length;
    done = batchFiles(outDir).length;
  } catch {
    // no plan
  }
  const finished = m.exitCode === 0 && !m.stoppedEarly;
  res.run = {
    ok: finished || (m.stoppedEarly && batches !== null),
    complete: finished,
    batches,
    batchesDone: done,
    wallSeconds: round(m.wallSeconds),
    stoppedAfterSeconds: m.stoppedEarly ? config.manyBatchesStopAfterSec : null,
    orchestratorPeakRssMiB: toMiB(m.orchestratorPeakKiB),
    ...rssSlope(m.series ?? []),
    rssSeries: (m.series ?? []).map((x) => [x.seconds, toMiB(x.rssKiB), x.batchesDone]),
    childPeakRssMiB: toMiB(m.childPeakKiB),
    leftoverProcesses: m.leftovers,
    ...(finished || m.stoppedEarly ? {} : { error: m.stderrTail }),
  };
  log(
    `10,000-batch run: ${batches} batches planned, ${done} done in ${res.run.wallSeconds} s${m.stoppedEarly ? ' (stopped: bounded run)' : ''}, orchestrator peak RSS ${res.run.orchestratorPeakRssMiB} MiB, RSS slope ${res.run.rssSlopeMiBPer1000Batches ?? '?'} MiB per 1,000 batches over its second half`,
  );
  rmrf(outDir);
  return res;
}

/**
 * The throttle's accuracy (bench/throttle.js, on this run's server): extract-all at --max-docs-per-second over
 * 4 × J batches, the output's bytes sampled every 100 ms; the highest rate over any 5 s against the limit.
 */
async function throttleRun(ctx) {
  const args = ['--docs', quick ? '2000' : '4000', '--limit', '400', '--concurrency', '2', '--no-save'];
  const r = spawnSync(process.execPath, [path.join(benchDir, 'throttle.js'), ...args], {
    env: { ...process.env, MONGO_URI: ctx.uri },
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  try {
    const res = { ok: true, ...JSON.parse(r.stdout) };
    log(`throttle: at most ${res.max5sRate} docs/s in any 5 s at a limit of ${res.limit} (${res.max5sRatio} ×)`);
    return res;
  } catch {
    return {
      ok: false,
      error: `bench/throttle.js exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`,
    };
  }
}

/** Batch files in `dir` now (0 before it exists). */
function countBatchFiles(dir) {
  try {
    return batchFiles(dir).length;
  } catch {
    return 0;
  }
}

/**
 * The orchestrator's RSS against the batches it has finished, over the second half of the run (the first is
 * planning and warm-up): the least-squares slope in MiB per 1,000 batches, and the RSS at both ends of that half.
 * Flat (about 0) when nothing is kept per finished batch.
 */
function rssSlope(series) {
  const half = series.filter((x) => x.batchesDone > 0).slice(-Math.floor(series.length / 2));
  if (half.length < 4 || half.at(-1).batchesDone - half[0].batchesDone < 20) return { rssSlopeMiBPer1000Batches: null };
  const n = half.length;
  const mx = half.reduce((a, x) => a + x.batchesDone, 0) / n;
  const my = half.reduce((a, x) => a + x.rssKiB, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const x of half) {
    sxy += (x.batchesDone - mx) * (x.rssKiB - my);
    sxx += (x.batchesDone - mx) ** 2;
  }
  return {
    rssSlopeMiBPer1000Batches: round(((sxy / sxx) * 1000) / 1024, 2),
    rssSecondHalfMiB: [toMiB(half[0].rssKiB), toMiB(half.at(-1).rssKiB)],
    rssSecondHalfBatches: [half[0].batchesDone, half.at(-1).batchesDone],
  };
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  fs.mkdirSync(tmpDir, { recursive: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  rmrf(path.join(tmpDir, 'logs'));
  rmrf(path.join(tmpDir, 'out'));
  const unavailable = [];
  const loadBefore = os.loadavg();

  const cpuMethod = detectCpuMethod();
  if (cpuMethod.kind !== 'gnu-time')
    log(`CPU: GNU time unavailable (${cpuMethod.why}); using /proc/<wrapper>/stat cutime+cstime`);

  const ctx = {
    cpuMethod,
    node20: { version: process.versions.node },
    node22: {},
    mongoexport: {},
    extractAll: {},
    mpeExport: {},
    expectedIds: new Map(),
  };

  // mongoexport
  try {
    const { ensureMongoexport, MONGOEXPORT_VERSION, MONGOEXPORT_VERSION_STRING } = await import(
      '../scripts/mongoexport.js'
    );
    ctx.mongoexport = {
      bin: await ensureMongoexport({ log: (s) => process.stderr.write(s) }),
      version: `${MONGOEXPORT_VERSION_STRING} (mongo-tools ${MONGOEXPORT_VERSION})`,
    };
  } catch (err) {
    ctx.mongoexport = { why: err.message };
    unavailable.push({ what: 'mongoexport', why: err.message });
    log(`mongoexport not available: ${err.message}`);
  }

  // extract-all / extract-batch
  const have = (f) => fs.existsSync(path.join(repoRoot, 'dist', 'src', 'cli', f));
  if (have('extract-all.js') && !flag('no-extract-all')) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'extract-all.js'), '--help'], {
      encoding: 'utf8',
    });
    const m = /--concurrency[^\n]*default: (\d+)/.exec(r.stdout ?? '');
    ctx.extractAll = { available: true, defaultConcurrency: m ? Number(m[1]) : os.availableParallelism() };
  } else {
    ctx.extractAll = {
      available: false,
      why: flag('no-extract-all')
        ? 'not available: skipped (--no-extract-all)'
        : 'not available: dist/src/cli/extract-all.js is missing (run npm run build once extract-all has landed)',
    };
    unavailable.push({ what: 'extract-all', why: ctx.extractAll.why });
    log(`extract-all ${ctx.extractAll.why}`);
  }
  ctx.mpeExport = { available: ctx.extractAll.available && have('mpe-export.js') && Boolean(ctx.mongoexport.bin) };
  const haveBatch = have('extract-batch.js');
  if (!haveBatch) unavailable.push({ what: 'perBatchOverheadMs', why: 'dist/src/cli/extract-batch.js is missing' });

  // Node 22
  if (config.node22) {
    const n22 = ensureNode22();
    if (n22.bin) {
      ctx.node22 = n22;
      process.env.BENCH_NODE22 = n22.bin; // verify.js reads zstd files with it when this Node cannot
    } else {
      ctx.node22 = { why: n22.why };
      unavailable.push({ what: 'Node 22', why: n22.why });
      log(`Node 22 not available: ${n22.why}`);
    }
  }

  // server and data
  const server = await startServer();
  ctx.uri = server.uri;
  ctx.serverPid = server.pid;
  log(`server: ${server.kind}${server.pid ? `, pid ${server.pid}` : ''}`);
  // S3: versitygw on loopback (scripts/versitygw.js), when it is built
  try {
    const vgw = await import('../scripts/versitygw.js');
    const why = vgw.versityUnavailable();
    if (why) throw new Error(why);
    const store = await vgw.startVersity();
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      endpoint: store.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: store.accessKey, secretAccessKey: store.secretKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    client.destroy();
    ctx.s3 = { bucket: 'bench', env: store.env, data: store.data, stop: () => store.stop() };
    log(`S3: versitygw on ${store.endpoint}`);
  } catch (err) {
    unavailable.push({ what: 'S3 (versitygw)', why: err.message });
    log(`S3 not available: ${err.message}`);
  }
  const cleanup = async () => {
    await server.stop().catch(() => {});
    await ctx.s3?.stop().catch(() => {});
  };
  process.once('SIGINT', () => cleanup().finally(() => process.exit(130)));
  process.once('SIGTERM', () => cleanup().finally(() => process.exit(143)));

  let results;
  try {
    if (ctx.mongoexport.bin) {
      ctx.mongoexportConfig = path.join(tmpDir, 'mongoexport.yaml');
      fs.writeFileSync(ctx.mongoexportConfig, `uri: ${JSON.stringify(ctx.uri)}\n`, { mode: 0o600 });
      fs.chmodSync(ctx.mongoexportConfig, 0o600);
    }
    const client = new MongoClient(ctx.uri);
    await client.connect();
    const datasets = [];
    const genLog = (s) => log(s);
    const add = async (variant, docs) => {
      const collection = `${variant}_${docs}`;
      const r = await ensureDataset(client, { db: DB, collection, docs, variant, seed: SEED, log: genLog });
      const ds = {
        name: `${variant} × ${docs}`,
        variant,
        collection,
        docs,
        avgBsonBytes: r.avgBsonBytes,
        generatedSeconds: round(r.seconds, 1),
        regenerated: r.regenerated,
      };
      ctx.expectedIds.set(ds.name, expectedIdChecksum(SEED, docs));
      datasets.push(ds);
      return ds;
    };
    const main = await add('1k', config.mainDocs);
    const variantSets = [];
    for (const [variant, docs] of Object.entries(config.variants)) variantSets.push(await add(variant, docs));
    const many = ctx.extractAll.available || have('extract-plan.js') ? await add('tiny', config.manyBatchesDocs) : null;
    const million = config.millionBatch && haveBatch ? await add('tiny', 1_000_000) : null;
    // one document: what each contender costs before it reads anything (start-up, connect, planning, children)
    const one = await add('tiny', 1);
    // one document, for empty-range batches
    ctx.overheadCollection = 'overhead_one';
    const oc = client.db(DB).collection(ctx.overheadCollection);
    if ((await oc.countDocuments({})) !== 1) {
      await oc.drop().catch(() => {});
      await oc.insertOne({ _id: 1 });
    }
    await client.close();

    // fixed costs first: nothing else is running
    const fixed = haveBatch ? await fixedCosts(ctx) : {};

    // main dataset: every contender
    const runs = [];
    runs.push(
      ...(await runRounds(
        ctx,
        main,
        contenders(ctx, main, { extras: true, node22: true, minimal: false, node22DefaultOnly: quick }),
        config.rounds,
        `main ${main.name}`,
      )),
    );
    // variants: mongoexport, drain and extract-all at its defaults (one batch of the whole set: the child's peak RSS)
    for (const ds of variantSets) {
      runs.push(
        ...(await runRounds(
          ctx,
          ds,
          contenders(ctx, ds, { extras: false, node22: false, minimal: true }),
          Math.max(1, config.rounds - 1),
          ds.name,
        )),
      );
    }
    // the same contenders on one document: their fixed costs, subtracted for the marginal CPU per document
    const fixedRuns = await runRounds(
      ctx,
      one,
      contenders(ctx, one, { extras: false, node22: true, minimal: false, node22DefaultOnly: quick }),
      Math.max(1, config.rounds - 1),
      'fixed costs (1 document)',
    );
    runs.push(...fixedRuns);
    deriveMarginal(runs);
    const manyRes = many ? await manyBatches(ctx, many) : null;
    const millionRes = million ? await millionBatch(ctx, million) : null;
    const throttleRes = ctx.extractAll.available && !flag('no-throttle') ? await throttleRun(ctx) : null;

    const loadAfter = os.loadavg();
    results = {
      generatedAt: new Date().toISOString(),
      mode: config.mode,
      command: `node bench/run.js ${argv.join(' ')}`.trim(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      dataset: {
        docs: main.docs,
        avgBsonBytes: main.avgBsonBytes,
        variant: main.variant,
        collection: `${DB}.${main.collection}`,
        seed: SEED,
      },
      datasets,
      sizesNote: external
        ? "against $MONGO_URI the issue's sizes (1 M × 1 KB; 200 B and 16 KB variants sized to keep the run near 25 minutes)"
        : "on the FerretDB test server every extract-all batch and plan reads the whole collection, whose server CPU per document the Server line below gives, so the issue's 1 M documents would take hours; these sizes keep the full run near 25 minutes" +
          (quick ? ' (quick: under 3 minutes)' : ''),
      server: { kind: server.kind, note: server.note },
      machine: {
        cores: os.availableParallelism(),
        cpu: os.cpus()[0]?.model ?? null,
        memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
        node: { 20: ctx.node20.version, 22: ctx.node22.version ?? null },
        mongoexport: ctx.mongoexport.version ?? null,
        cpuMethod:
          cpuMethod.kind === 'gnu-time'
            ? `GNU time (${cpuMethod.version}): user+sys of the waited process tree`
            : `/proc/<sh wrapper>/stat cutime+cstime (${cpuMethod.why})`,
        rssMethod: '/proc/<pid>/status VmHWM of every process of the tree, sampled every 50 ms',
        loadAverage: { before: loadBefore.map((x) => round(x, 2)), after: loadAfter.map((x) => round(x, 2)) },
        date: new Date().toISOString(),
      },
      config,
      runs,
      perBatchOverheadMs: fixed['20']?.perBatchOverheadMs ?? null,
      bareNodeStartMs: fixed['20']?.bareNodeStartMs ?? null,
      fixedCosts: fixed,
      planningSeconds:
        runs.find((r) => r.dataset === main.name && plainDefaults(ctx.node20.version)(r))?.planningSeconds ?? null,
      manyBatches: manyRes,
      millionBatch: millionRes,
      throttle: throttleRes,
      unavailable,
    };
    results.noise = noiseOf(results);
    results.targets = computeTargets(results);
  } finally {
    await cleanup();
  }

  // latest.* is the last run of either mode; <mode>.* keeps the last run of each
  const md = renderMarkdown(results);
  for (const name of ['latest', config.mode]) {
    fs.writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
    fs.writeFileSync(path.join(resultsDir, `${name}.md`), md);
  }
  process.stdout.write(`\n${md}`);
  log(
    `\nwrote ${path.relative(process.cwd(), resultsDir) || '.'}/latest.{json,md} and ${config.mode}.{json,md} (${results.durationSeconds} s)`,
  );
  const failed = results.runs.filter((r) => !r.ok);
  if (failed.length) {
    log(`${failed.length} contender(s) failed verification or exited non-zero: ${failed.map((r) => r.id).join(', ')}`);
    process.exitCode = 1;
  }
}

function noiseOf(results) {
  const spreads = results.runs
    .filter((r) => r.wallSpread !== null)
    .map((r) => ({ id: `${r.dataset} ${r.id}`, spread: r.wallSpread }));
  const values = spreads.map((s) => s.spread);
  const worst = spreads.sort((a, b) => b.spread - a.spread)[0];
  const spreadOf = (field) =>
    results.runs
      .map((r) => r.samples.filter((s) => s.ok && !s.warmup).map((s) => s[field]))
      .filter((xs) => xs.length > 1 && median(xs))
      .map((xs) => (Math.max(...xs) - Math.min(...xs)) / median(xs));
  const serverSpreads = spreadOf('serverCpuSeconds');
  return {
    wallSpreadMedian: round(median(values), 3),
    wallSpreadMax: worst ? round(worst.spread, 3) : null,
    wallSpreadMaxContender: worst?.id ?? null,
    serverCpuSpreadMedian: round(median(serverSpreads), 3),
    cpuSpreadMedian: round(median(spreadOf('cpuSeconds')), 3),
    loadAverage: results.machine.loadAverage,
    note:
      "spread = (max − min) / median of one contender's wall seconds over the measured rounds. " +
      `This is a shared 2-core machine (other sessions' builds and tests run beside the benchmark; load average ${results.machine.loadAverage.before[0]} before, ${results.machine.loadAverage.after[0]} after): ` +
      "read differences smaller than the spread as noise. CPU seconds (the tool's own, from the kernel) vary far less than wall seconds.",
  };
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
