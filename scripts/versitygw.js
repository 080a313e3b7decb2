#!/usr/bin/env node
// Install, start and stop a versitygw v1.8.0 test server: an S3 gateway over a POSIX directory (objects are plain
// files under DIR/bucket/key), on a free loopback port, built once with `go install` into .cache/.
//
//   node scripts/versitygw.js install     build it (once; ~75 s) unless S3_ENDPOINT or VERSITYGW_BIN is set
//
// startVersity() returns { endpoint, dir, accessKey, secretKey, env, pid, stop(), restart() }: env holds what the
// AWS SDK reads (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERSITYGW_VERSION = 'v1.8.0';
const MODULE = 'github.com/versity/versitygw/cmd/versitygw';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(repoRoot, '.cache', `versitygw-${VERSITYGW_VERSION}`);
const cachedBin = path.join(cacheDir, 'versitygw');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Why versitygw cannot be had here (no Go, no binary), or undefined. */
export function versityUnavailable() {
  if (process.env.VERSITYGW_BIN)
    return fs.existsSync(process.env.VERSITYGW_BIN) ? undefined : 'VERSITYGW_BIN does not exist';
  if (fs.existsSync(cachedBin)) return undefined;
  return 'versitygw is not built (node scripts/versitygw.js install)';
}

export function ensureVersity() {
  if (process.env.VERSITYGW_BIN) return path.resolve(process.env.VERSITYGW_BIN);
  if (fs.existsSync(cachedBin)) return cachedBin;
  process.stderr.write(`building versitygw ${VERSITYGW_VERSION} (once, cached in .cache/)…\n`);
  const gobin = path.join(cacheDir, `tmp-${process.pid}`);
  fs.mkdirSync(gobin, { recursive: true });
  try {
    execFileSync('go', ['install', `${MODULE}@${VERSITYGW_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: gobin, GOWORK: 'off', GOFLAGS: '-buildvcs=false' },
      cwd: os.tmpdir(),
    });
    fs.renameSync(path.join(gobin, 'versitygw'), cachedBin); // atomic: never a half-written cached binary
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  return cachedBin;
}

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
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Start versitygw over a new temporary directory. */
export async function startVersity() {
  const bin = ensureVersity();
  const port = await freePort();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-s3-'));
  const data = path.join(dir, 'data');
  await fsp.mkdir(data);
  const accessKey = `mpe${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(18).toString('base64url');
  const endpoint = `http://127.0.0.1:${port}`;
  let child;
  const spawnServer = async () => {
    const log = fs.openSync(path.join(dir, 'versitygw.log'), 'a');
    child = spawn(bin, ['--port', `127.0.0.1:${port}`, 'posix', data], {
      stdio: ['ignore', log, log],
      env: { ...process.env, ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey },
    });
    fs.closeSync(log);
    child.unref();
    const until = Date.now() + 15_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > until) {
        throw new Error(
          `versitygw did not start:\n${fs.readFileSync(path.join(dir, 'versitygw.log'), 'utf8').slice(-2000)}`,
        );
      }
      await sleep(50);
    }
  };
  const kill = async (signal = 'SIGTERM') => {
    const c = child; // this process, not one started after it
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  // never outlive the process that started it (a test or benchmark that crashes): as scripts/ferretdb.js does
  const onExit = () => {
    try {
      child?.kill('SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.once('exit', onExit);
  await spawnServer();
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_REGION: 'us-east-1',
  };
  return {
    endpoint,
    port,
    dir,
    data,
    accessKey,
    secretKey,
    env,
    get pid() {
      return child?.pid;
    },
    /** Kill it (SIGKILL: as a crash) and start it again on the same port and directory. */
    async restart() {
      await kill('SIGKILL');
      await spawnServer();
    },
    kill,
    start: spawnServer,
    async stop() {
      process.removeListener('exit', onExit);
      await kill();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const [cmd] = process.argv.slice(2);
  if (cmd === 'install') {
    if (process.env.S3_ENDPOINT) return 0;
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
    } catch {
      process.stderr.write('versitygw: no Go toolchain; the S3 tests will be skipped, saying why\n');
      return 0;
    }
    process.stdout.write(`${ensureVersity()}\n`);
    return 0;
  }
  process.stderr.write('usage: node scripts/versitygw.js install\n');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`versitygw: ${err.message}\n`);
      process.exit(1);
    },
  );
}
