#!/usr/bin/env node
// `npm test` runner (runs after `npm run build`).
//
//   node scripts/test.js [filter...] [-- node-test-flags...]
//
// - Uses $MONGO_URI if set; otherwise builds (once) and starts a private FerretDB
//   server and exports MONGO_URI, MPE_TEST_SERVER=ferretdb and MPE_FERRETDB_BIN.
// - Runs every dist/test/**/*.test.js (sorted) whose path contains any of the
//   filter substrings (all files when no filter is given), one file at a time.
// - Arguments starting with "-" are passed through to `node --test`
//   (e.g. --test-name-pattern=resume).
// - Exits with the test run's exit code and always stops the server.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFerretDB, startFerretDB } from './ferretdb.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(repoRoot, 'dist', 'test');

function findTestFiles() {
  if (!fs.existsSync(testDir)) return [];
  return fs
    .readdirSync(testDir, { recursive: true, withFileTypes: false })
    .map((rel) => String(rel))
    .filter((rel) => rel.endsWith('.test.js'))
    .map((rel) => path.join('dist', 'test', rel))
    .filter((p) => fs.statSync(path.join(repoRoot, p)).isFile())
    .sort();
}

async function main() {
  const args = process.argv.slice(2);
  const nodeFlags = args.filter((a) => a.startsWith('-') && a !== '--');
  const filters = args.filter((a) => !a.startsWith('-'));

  const all = findTestFiles();
  const files = filters.length ? all.filter((f) => filters.some((s) => f.includes(s))) : all;
  if (files.length === 0) {
    process.stderr.write(
      all.length === 0
        ? `test: no *.test.js files under ${path.relative(repoRoot, testDir)}/ (did \`npm run build\` run?)\n`
        : `test: no test file matches ${filters.map((f) => JSON.stringify(f)).join(', ')}\n`,
    );
    return 1;
  }

  const env = { ...process.env };
  let server = null;
  let stopping = null;
  const stopServer = () => {
    if (!server) return Promise.resolve();
    stopping ??= server.stop().catch((err) => {
      process.stderr.write(`test: failed to stop FerretDB: ${err.message}\n`);
    });
    return stopping;
  };

  let child = null;
  let signalled = null;
  const onSignal = (sig) => {
    if (signalled) {
      // Second signal: give up waiting for the tests.
      child?.kill('SIGKILL');
      stopServer().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
      return;
    }
    signalled = sig;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    else stopServer().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (env.MONGO_URI) {
      process.stderr.write(`test: using MONGO_URI=${env.MONGO_URI}\n`);
    } else {
      const bin = await ensureFerretDB();
      server = await startFerretDB();
      if (signalled) return signalled === 'SIGINT' ? 130 : 143;
      env.MONGO_URI = server.uri;
      env.MPE_TEST_SERVER = 'ferretdb';
      env.MPE_FERRETDB_BIN = bin;
      process.stderr.write(`test: started FerretDB at ${server.uri} (data ${server.dir})\n`);
    }

    // The S3 tests' store: versitygw, built once with go install (~75 s) when Go is here, as FerretDB is; without
    // it (or with S3_ENDPOINT naming another store) those tests skip or use that store, and say so.
    if (!env.S3_ENDPOINT && files.some((f) => /s3|slurm/.test(f))) {
      const vgw = await import('./versitygw.js');
      if (vgw.versityUnavailable()) {
        try {
          vgw.ensureVersity();
        } catch (err) {
          process.stderr.write(
            `test: versitygw could not be built (${err.message.split('\n')[0]}); the S3 tests skip\n`,
          );
        }
      }
    }

    const nodeArgs = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...nodeFlags, ...files];
    process.stderr.write(`test: running ${files.length} file(s)\n`);
    child = spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: 'inherit' });
    const { code, signal } = await new Promise((resolve) => {
      child.once('error', (err) => {
        process.stderr.write(`test: failed to run node --test: ${err.message}\n`);
        resolve({ code: 1, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (signalled) return 128 + os.constants.signals[signalled];
    if (signal) return 128 + (os.constants.signals[signal] ?? 0);
    return code ?? 1;
  } finally {
    await stopServer();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`test: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
