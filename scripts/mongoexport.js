#!/usr/bin/env node
// Build (once) and locate mongoexport from the mongo-tools Go module at a pinned version.
//
// Module API:
//   MONGOEXPORT_VERSION                    the pinned module version
//   ensureMongoexport(): Promise<string>   path to the binary; throws an Error that says exactly why not
//
// CLI:
//   node scripts/mongoexport.js install    build (once) and print the binary path
//
// Why this is not a plain `go install`:
// - mongo-tools tags its releases "100.x.y" (no "v"), which are not Go module versions, so the
//   module proxy only knows pseudo-versions. We pin the pseudo-version of a master commit
//   made right after the 100.12.2 release (the newest entry of its CHANGELOG.md).
// - `go install …/mongoexport/main@<ver>` is tried first, but here it fails: the checksum
//   database has no entry for this pseudo-version (the lookup answers 404), and `go install`
//   also reads the module's version list for a deprecation notice, which the proxy answers 403.
// - Fallback: `go mod download` the module with the checksum DB skipped for it alone, check the
//   download against the h1: hash pinned below (so the source is still verified), copy it out of
//   the read-only module cache, delete vendor/ (module zips keep only vendor/modules.txt, which
//   would force -mod=vendor), and `go build` with -mod=mod: every dependency is checked against
//   the module's own go.sum.
// - Build like upstream's buildscript minus its default tags ("gssapi" needs cgo + libkrb5,
//   "failpoints" is test-only): CGO_ENABLED=0, the same -X main.VersionStr/main.GitCommit ldflags.
//   The result is a static, cgo-free binary; Kerberos auth is the only thing missing.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = 'github.com/mongodb/mongo-tools';
const PACKAGE = `${MODULE}/mongoexport/main`;
export const MONGOEXPORT_VERSION = 'v0.0.0-20250715155915-887641268977';
const MODULE_SUM = 'h1:J9wFLko0N7sbovyHahuRw1NyfMUsNhaauLK87wQ3ruc=';
const COMMIT = MONGOEXPORT_VERSION.split('-').pop();
/** What `mongoexport --version` prints on its first line for our build. */
export const MONGOEXPORT_VERSION_STRING = `100.12.2-${COMMIT}`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(repoRoot, '.cache', `mongoexport-${MONGOEXPORT_VERSION}`);
const cachedBin = path.join(cacheDir, 'mongoexport');

const LDFLAGS = `-X main.VersionStr=${MONGOEXPORT_VERSION_STRING} -X main.GitCommit=${COMMIT}`;

function binaryVersionOk(bin) {
  try {
    const out = execFileSync(bin, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    return out.split('\n')[0].trim() === `mongoexport version: ${MONGOEXPORT_VERSION_STRING}`;
  } catch {
    return false;
  }
}

/** Run a command; resolve to { ok, tail } where tail is the last lines of its output. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const tail = out.split('\n').slice(-8).join('\n');
  if (r.error) return { ok: false, tail: `${cmd}: ${r.error.message}`, stdout: r.stdout };
  if (r.status !== 0)
    return { ok: false, tail: `${cmd} ${args.join(' ')} exited ${r.signal ?? r.status}:\n${tail}`, stdout: r.stdout };
  return { ok: true, tail, stdout: r.stdout };
}

function goEnv(extra = {}) {
  return { ...process.env, GOWORK: 'off', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', ...extra };
}

async function tryGoInstall(tmpBin) {
  const gobin = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-mongoexport-gobin-'));
  try {
    const r = run('go', ['install', '-trimpath', '-ldflags', LDFLAGS, `${PACKAGE}@${MONGOEXPORT_VERSION}`], {
      cwd: os.tmpdir(),
      env: goEnv({ GOBIN: gobin }),
      timeout: 15 * 60_000,
    });
    if (!r.ok) return r.tail;
    // the package directory is ".../mongoexport/main", so go install names the binary "main"
    await fsp.copyFile(path.join(gobin, 'main'), tmpBin);
    await fsp.chmod(tmpBin, 0o755);
    return null;
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

/**
 * The pinned mongo-tools source, verified against MODULE_SUM, copied into `work` (writable, vendor/ removed):
 * resolves to its directory, or to an Error saying why not.
 */
async function moduleSource(work, env) {
  const dl = run('go', ['mod', 'download', '-json', `${MODULE}@${MONGOEXPORT_VERSION}`], {
    cwd: os.tmpdir(),
    env,
    timeout: 15 * 60_000,
  });
  let info;
  try {
    info = JSON.parse(dl.stdout);
  } catch {
    return new Error(`go mod download ${MODULE}@${MONGOEXPORT_VERSION} failed: ${dl.tail}`);
  }
  if (info.Error) return new Error(`go mod download ${MODULE}@${MONGOEXPORT_VERSION}: ${info.Error}`);
  if (info.Sum !== MODULE_SUM)
    return new Error(
      `go mod download ${MODULE}@${MONGOEXPORT_VERSION}: hash ${info.Sum} is not the pinned ${MODULE_SUM}`,
    );
  if (!info.Dir || !fs.existsSync(info.Dir))
    return new Error(`go mod download did not report a source dir for ${MODULE}@${MONGOEXPORT_VERSION}`);
  const src = path.join(work, 'src');
  await fsp.cp(info.Dir, src, { recursive: true });
  run('chmod', ['-R', 'u+w', src]);
  fs.rmSync(path.join(src, 'vendor'), { recursive: true, force: true });
  return src;
}

/** `go build` package `pkg` of the pinned source (after `prepare(src)`) into `tmpBin`; null, or why not. */
async function buildFromModuleSource(tmpBin, pkg, prepare = async () => {}) {
  const env = goEnv({ GONOSUMDB: MODULE, GOFLAGS: '-buildvcs=false -mod=mod' });
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-mongoexport-build-'));
  try {
    const src = await moduleSource(work, env);
    if (src instanceof Error) return src.message;
    await prepare(src);
    const b = run('go', ['build', '-trimpath', '-ldflags', LDFLAGS, '-o', tmpBin, pkg], {
      cwd: src,
      env,
      timeout: 15 * 60_000,
    });
    return b.ok ? null : b.tail;
  } finally {
    fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  }
}

const tryBuildFromModuleCache = (tmpBin) => buildFromModuleSource(tmpBin, './mongoexport/main');

const ORACLE_SOURCE = path.join(repoRoot, 'scripts', 'mongoexport-oracle', 'main.go');

/**
 * mongoexport's own per-document output code as a program that reads raw BSON (scripts/mongoexport-oracle/main.go,
 * built inside the same pinned mongo-tools source): the byte oracle of the writer tests, for values no server here
 * can store. Built once per version of main.go into .cache/; throws an Error that says why not.
 */
export async function ensureMongoexportOracle({ log = (s) => process.stderr.write(s) } = {}) {
  if (process.env.MONGOEXPORT_ORACLE_BIN) return path.resolve(process.env.MONGOEXPORT_ORACLE_BIN);
  const code = fs.readFileSync(ORACLE_SOURCE);
  const tag = createHash('sha256').update(code).digest('hex').slice(0, 12);
  const bin = path.join(cacheDir, `mpe-mongoexport-oracle-${tag}`);
  if (fs.existsSync(bin)) return bin;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0)
    throw new Error('the Go toolchain ("go") is not on PATH, so the mongoexport oracle cannot be built');
  log(`building the mongoexport oracle (${MODULE}@${MONGOEXPORT_VERSION}; once, cached in .cache/)…\n`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmpBin = `${bin}.tmp-${process.pid}`;
  try {
    const err = await buildFromModuleSource(tmpBin, './mpe_mongoexport_oracle', async (src) => {
      await fsp.mkdir(path.join(src, 'mpe_mongoexport_oracle'));
      await fsp.writeFile(path.join(src, 'mpe_mongoexport_oracle', 'main.go'), code);
    });
    if (err) throw new Error(`cannot build the mongoexport oracle: ${err}`);
    fs.renameSync(tmpBin, bin);
  } finally {
    fs.rmSync(tmpBin, { force: true });
  }
  return bin;
}

/** Path to a working mongoexport at the pinned version, built once into .cache/. */
export async function ensureMongoexport({ log = (s) => process.stderr.write(s) } = {}) {
  if (process.env.MONGOEXPORT_BIN) {
    const bin = path.resolve(process.env.MONGOEXPORT_BIN);
    if (!fs.existsSync(bin)) throw new Error(`MONGOEXPORT_BIN=${bin} does not exist`);
    return bin;
  }
  if (fs.existsSync(cachedBin) && binaryVersionOk(cachedBin)) return cachedBin;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(
      'the Go toolchain ("go") is not on PATH, so mongoexport cannot be built; set MONGOEXPORT_BIN to an existing mongoexport',
    );
  }
  log(`building mongoexport (${MODULE}@${MONGOEXPORT_VERSION}, ${go.stdout.trim()}; once, cached in .cache/)…\n`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmpBin = path.join(cacheDir, `mongoexport.tmp-${process.pid}-${Date.now()}`);
  try {
    const installErr = await tryGoInstall(tmpBin);
    if (installErr) {
      log(
        `go install failed (${installErr.split('\n').slice(1).join(' ').trim() || installErr}); building from the module cache instead…\n`,
      );
      const buildErr = await tryBuildFromModuleCache(tmpBin);
      if (buildErr) {
        throw new Error(
          `cannot build mongoexport ${MONGOEXPORT_VERSION}.\n  go install: ${installErr.replace(/\n/g, '\n    ')}\n  go build from the module cache: ${buildErr.replace(/\n/g, '\n    ')}`,
        );
      }
    }
    if (!binaryVersionOk(tmpBin))
      throw new Error(`the built ${tmpBin} does not report version ${MONGOEXPORT_VERSION_STRING}`);
    fs.renameSync(tmpBin, cachedBin);
  } finally {
    fs.rmSync(tmpBin, { force: true });
  }
  return cachedBin;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [cmd] = process.argv.slice(2);
  const done = () => (bin) => process.stdout.write(`${bin}\n`);
  const fail = (err) => {
    process.stderr.write(`mongoexport: ${err.message}\n`);
    process.exit(1);
  };
  if (cmd === 'install') {
    // mongoexport itself, and its per-document output code as the writer tests' oracle
    ensureMongoexport()
      .then(done())
      .then(() => ensureMongoexportOracle())
      .then(done())
      .catch(fail);
  } else {
    process.stderr.write(
      `usage: node scripts/mongoexport.js install   build mongoexport ${MONGOEXPORT_VERSION} and its oracle (cached) and print their paths\n`,
    );
    process.exitCode = 2;
  }
}
