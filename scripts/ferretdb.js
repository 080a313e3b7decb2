#!/usr/bin/env node
// Install, start and stop a FerretDB v1.24.2 test server (SQLite backend).
//
// Module API:
//   ensureFerretDB(): Promise<string>            path to the ferretdb binary
//   startFerretDB({ port } = {}): Promise<{ uri, port, dir, pid, logFile,
//                                           stop(), kill(signal), restart() }>
//
// CLI:
//   node scripts/ferretdb.js install             build (once) and print the binary path
//   node scripts/ferretdb.js start [--port N]    start, print the URI, run until SIGINT/SIGTERM
//
// Why not `go install`: the module-proxy copy of FerretDB ships an empty
// build/version/version.txt, so the binary panics at start. We copy the module
// source, write the version file and build from the copy.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(repoRoot, '.cache', `ferretdb-${FERRETDB_VERSION}`);
const cachedBin = path.join(cacheDir, 'ferretdb');

const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 50;
const STOP_GRACE_MS = 5_000;

function binaryVersionOk(bin) {
  try {
    const out = execFileSync(bin, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    return out.split('\n').some((line) => line.trim() === `version: ${FERRETDB_VERSION}`);
  } catch {
    return false;
  }
}

function haveGo() {
  const r = spawnSync('go', ['version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function run(cmd, args, opts = {}) {
  // stdout/stderr of the tool go to our stderr so CI logs show progress.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with ${r.signal ?? `exit code ${r.status}`}`);
  }
}

/** Returns the path to a working FerretDB v1.24.2 binary, building it once if needed. */
export async function ensureFerretDB() {
  if (process.env.FERRETDB_BIN) {
    const bin = path.resolve(process.env.FERRETDB_BIN);
    if (!fs.existsSync(bin)) throw new Error(`FERRETDB_BIN=${bin} does not exist`);
    return bin;
  }
  if (fs.existsSync(cachedBin) && binaryVersionOk(cachedBin)) return cachedBin;

  if (!haveGo()) {
    throw new Error(
      `FerretDB ${FERRETDB_VERSION} is not built yet and the Go toolchain ("go") was not found on PATH.\n` +
        `Install Go >= 1.24 (https://go.dev/dl/), or set FERRETDB_BIN to an existing ferretdb ${FERRETDB_VERSION} binary, ` +
        `or set MONGO_URI to use an existing MongoDB-compatible server.`,
    );
  }

  process.stderr.write(`building FerretDB ${FERRETDB_VERSION} (once, cached in .cache/)…\n`);
  const env = { ...process.env, GOWORK: 'off' };

  let info;
  try {
    const json = execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
      cwd: os.tmpdir(), // outside any module / workspace
      maxBuffer: 16 * 1024 * 1024,
    });
    info = JSON.parse(json);
  } catch (err) {
    throw new Error(`go mod download ${MODULE}@${FERRETDB_VERSION} failed: ${err.message}`);
  }
  if (info.Error) throw new Error(`go mod download ${MODULE}@${FERRETDB_VERSION}: ${info.Error}`);
  if (!info.Dir || !fs.existsSync(info.Dir)) {
    throw new Error(`go mod download did not report a source dir for ${MODULE}@${FERRETDB_VERSION}`);
  }

  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-ferret-build-'));
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmpBin = path.join(cacheDir, `ferretdb.tmp-${process.pid}-${Date.now()}`);
  try {
    const src = path.join(work, 'src');
    // The module cache is read-only: copy, then make writable.
    await fsp.cp(info.Dir, src, { recursive: true });
    run('chmod', ['-R', 'u+w', src]);
    fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    run('go', ['build', '-buildvcs=false', '-o', tmpBin, './cmd/ferretdb'], { cwd: src, env });
    if (!binaryVersionOk(tmpBin)) {
      throw new Error(`built binary ${tmpBin} does not report version ${FERRETDB_VERSION}`);
    }
    fs.renameSync(tmpBin, cachedBin); // atomic: never leaves a half-written cached binary
  } finally {
    fs.rmSync(tmpBin, { force: true });
    fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  }
  return cachedBin;
}

/** Ask the kernel for a free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function logTail(logFile, lines = 30) {
  try {
    return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Servers still alive; killed (and their dirs removed) when this process exits.
const live = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      try {
        s.child?.kill('SIGKILL');
      } catch {
        /* ignore */
      }
      try {
        fs.rmSync(s.dir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        /* ignore */
      }
    }
  });
}

/**
 * Start a FerretDB server on 127.0.0.1 with a fresh temp data dir.
 * @param {{ port?: number }} [opts]
 */
export async function startFerretDB({ port } = {}) {
  const bin = await ensureFerretDB();
  port = port ?? (await freePort());
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-ferret-'));
  const logFile = path.join(dir, 'ferretdb.log');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);

  const state = { child: null, exited: null, dir, stopped: false };

  function spawnServer() {
    const fd = fs.openSync(logFile, 'a');
    let child;
    try {
      child = spawn(
        bin,
        [
          '--handler=sqlite',
          `--sqlite-url=file:${dataDir}/`,
          `--state-dir=${dataDir}`,
          `--listen-addr=127.0.0.1:${port}`,
          '--debug-addr=-',
          '--telemetry=disable',
          '--log-level=error',
        ],
        { detached: false, stdio: ['ignore', fd, fd], cwd: dir },
      );
    } finally {
      fs.closeSync(fd);
    }
    // Don't keep the event loop alive just for the server; the exit hook kills it.
    child.unref();
    state.child = child;
    state.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => resolve({ code: null, signal: null, error: err }));
    });
    return child;
  }

  function isRunning(child) {
    return child && child.exitCode === null && child.signalCode === null;
  }

  async function waitReady() {
    const child = state.child;
    let exitInfo = null;
    state.exited.then((info) => {
      exitInfo = info;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exitInfo) {
        throw new Error(
          `FerretDB exited before becoming ready (${exitInfo.error?.message ?? exitInfo.signal ?? `code ${exitInfo.code}`}).\n` +
            `log ${logFile}:\n${logTail(logFile)}`,
        );
      }
      if (await canConnect(port)) {
        if (exitInfo) continue; // connected to something else while ours died
        return;
      }
      await sleep(POLL_MS);
    }
    try {
      child.kill('SIGKILL');
    } catch {
      /* ignore */
    }
    throw new Error(
      `FerretDB did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000}s.\n` +
        `log ${logFile}:\n${logTail(logFile)}`,
    );
  }

  async function terminate() {
    const child = state.child;
    if (!isRunning(child)) {
      await state.exited;
      return;
    }
    child.kill('SIGTERM');
    let timer;
    const killed = new Promise((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill('SIGKILL');
        } catch {
          /* ignore */
        }
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([state.exited, killed]);
    clearTimeout(timer);
    await state.exited;
  }

  installExitHook();
  live.add(state);
  spawnServer();
  try {
    await waitReady();
  } catch (err) {
    await terminate().catch(() => {});
    live.delete(state);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    throw err;
  }

  const handle = {
    uri: `mongodb://127.0.0.1:${port}/`,
    port,
    dir,
    logFile,
    get pid() {
      return state.child?.pid;
    },
    /** Resolves when the current server process exits: { code, signal }. */
    get exited() {
      // The child is unref'd so a forgotten stop() never keeps the process alive;
      // whoever awaits its exit needs the event loop to stay up until it happens.
      state.child?.ref();
      return state.exited;
    },
    /** SIGTERM (SIGKILL after 5 s), wait for exit, remove the temp dir. Idempotent. */
    async stop() {
      if (state.stopped) return;
      state.stopped = true;
      try {
        await terminate();
      } finally {
        live.delete(state);
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    /** Kill the server without cleanup (simulate a dead server). Default SIGKILL. */
    kill(signal = 'SIGKILL') {
      if (isRunning(state.child)) state.child.kill(signal);
    },
    /** (Re)start on the same port and data dir; stops a still-running server first. */
    async restart() {
      if (state.stopped) throw new Error('FerretDB server was stopped; cannot restart');
      await terminate();
      spawnServer();
      await waitReady();
    },
  };
  return handle;
}

async function cli(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'install') {
    const bin = await ensureFerretDB();
    process.stdout.write(`${bin}\n`);
    return;
  }
  if (cmd === 'start') {
    let port;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '--port') port = Number(rest[++i]);
      else if (a.startsWith('--port=')) port = Number(a.slice('--port='.length));
      else throw new Error(`unknown argument: ${a}`);
    }
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      throw new Error('--port must be an integer in 1..65535');
    }
    const server = await startFerretDB({ port });
    process.stdout.write(`${server.uri}\n`);
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const shutdown = async (sig) => {
      if (stopping) return;
      stopping = true;
      clearInterval(keepAlive);
      try {
        await server.stop();
      } finally {
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
    };
    server.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      stopping = true;
      clearInterval(keepAlive);
      process.stderr.write(`ferretdb: server exited unexpectedly (${signal ?? `code ${code}`})\n`);
      await server.stop().catch(() => {});
      process.exit(1);
    });
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    return;
  }
  process.stderr.write(
    'usage:\n' +
      '  node scripts/ferretdb.js install            build FerretDB ' +
      FERRETDB_VERSION +
      ' (cached) and print its path\n' +
      '  node scripts/ferretdb.js start [--port N]   start a server, print its URI, run until SIGINT/SIGTERM\n',
  );
  process.exitCode = 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`ferretdb: ${err.message}\n`);
    process.exit(1);
  });
}
