#!/usr/bin/env node
// npm run mutate [-- STRYKER-ARGS…]: StrykerJS over the modules that decide correctness (stryker.config.mjs), with
// the oracle tests pointed at the oracles (built here once, as CI builds them). Incremental: a second run only
// tests what changed. Reports: reports/mutation/index.html and mutation.json. Not part of npm test.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBsonCorpus } from './bson-corpus.js';
import { ensureMongoexportOracle } from './mongoexport.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the generated corpus at a tenth of its size (test/fixtures/bson-corpus.ts): every mutant of the codec runs it
const env = { MPE_CORPUS_DOCS: '2000', ...process.env };
try {
  env.MONGOEXPORT_ORACLE_BIN = await ensureMongoexportOracle();
  env.BSON_CORPUS_DIR = await ensureBsonCorpus();
} catch (err) {
  process.stderr.write(
    `mutate: an oracle is missing (${err.message}); its tests will skip, and their mutants survive\n`,
  );
}
const stryker = path.join(repoRoot, 'node_modules', '.bin', 'stryker');
const r = spawnSync(stryker, ['run', ...process.argv.slice(2)], { cwd: repoRoot, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
