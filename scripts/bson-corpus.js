#!/usr/bin/env node
// The BSON corpus of the MongoDB specifications (source/bson-corpus/tests/*.json): the test vectors every driver's
// Extended JSON is checked against. It is not copied into this repository: the Go driver's module ships it in
// testdata/bson-corpus/, and the Go module proxy serves that module with a checksum `go` verifies. This is the
// driver version mongo-tools 100.12.2 (our mongoexport) is built with.
//
// Module API:
//   ensureBsonCorpus(): Promise<string>   the directory of the corpus files; throws an Error that says why not
//
// CLI:
//   node scripts/bson-corpus.js install   download (once, into the Go module cache) and print the directory

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = 'go.mongodb.org/mongo-driver';
export const DRIVER_VERSION = 'v1.17.3';

export async function ensureBsonCorpus() {
  if (process.env.BSON_CORPUS_DIR) return path.resolve(process.env.BSON_CORPUS_DIR);
  const r = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@${DRIVER_VERSION}`], {
    encoding: 'utf8',
    env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod' },
    timeout: 10 * 60_000,
  });
  if (r.error) throw new Error(`the Go toolchain ("go") is needed to fetch the BSON corpus: ${r.error.message}`);
  let info;
  try {
    info = JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `go mod download ${MODULE}@${DRIVER_VERSION} failed: ${`${r.stdout}${r.stderr}`.trim().slice(-500)}`,
    );
  }
  if (info.Error) throw new Error(`go mod download ${MODULE}@${DRIVER_VERSION}: ${info.Error}`);
  const dir = path.join(info.Dir, 'testdata', 'bson-corpus');
  if (!fs.existsSync(path.join(dir, 'double.json'))) throw new Error(`${dir} holds no corpus`);
  return dir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'install') {
    ensureBsonCorpus().then(
      (dir) => process.stdout.write(`${dir}\n`),
      (err) => {
        process.stderr.write(`bson-corpus: ${err.message}\n`);
        process.exit(1);
      },
    );
  } else {
    process.stderr.write(
      'usage: node scripts/bson-corpus.js install   fetch the BSON corpus (cached) and print its directory\n',
    );
    process.exitCode = 2;
  }
}
