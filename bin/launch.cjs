#!/usr/bin/env node
// Start a command from the bundle (dist/bundle/mpe.cjs, built by `npm run build`) with V8's code cache kept on
// disk, one per command. The cache is written once, when a first real run of the command ends, so it holds the
// functions that ran — not only those compiled up front, which is what Node 22's module.enableCompileCache and
// the v8-compile-cache package store (measured on an empty batch: Node 20 159 → 130 ms, Node 22 125 → 100 ms;
// every batch is a new process). The cache is an optimisation: any problem with it means starting without it.
//
//   node bin/launch.cjs COMMAND ARGS…   how extract-all starts its children
//   require('./launch.cjs').start(NAME) what the bin/ shims do
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'mpe.cjs');

/** The cache file for this command, Node and bundle build; undefined when there is no safe place for it. */
function cacheFile(command) {
  if (process.env.MPE_NO_CODE_CACHE) return undefined;
  try {
    const uid = process.getuid?.() ?? 'user';
    const dir = process.env.MPE_CODE_CACHE_DIR || path.join(os.tmpdir(), `mongo-parallel-extract-${uid}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // code from a cache is run: only from a directory of ours that nobody else can write to
    const d = fs.lstatSync(dir);
    if (!d.isDirectory() || (process.getuid && d.uid !== process.getuid()) || (d.mode & 0o022) !== 0) return undefined;
    const b = fs.statSync(BUNDLE);
    const name = /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'other';
    return path.join(dir, `${name}-${process.version}-${process.arch}-${b.size}-${Math.trunc(b.mtimeMs)}.v8cache`);
  } catch {
    return undefined;
  }
}

function save(file, script) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The bundle's exports; one instance per process (a preload that required it first shares it). */
function load(command) {
  const loaded = require.cache[BUNDLE];
  if (loaded) return loaded.exports;
  const file = cacheFile(command);
  let cached;
  try {
    if (file) cached = fs.readFileSync(file);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(BUNDLE, 'utf8')), {
    filename: BUNDLE,
    cachedData: cached,
    importModuleDynamically: (specifier) => import(specifier),
  });
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  require.cache[BUNDLE] = mod;
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  mod.loaded = true;
  const real = !process.argv.some((a) => a === '--help' || a === '-h' || a === '--version');
  if (file && real && (cached === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code === 0) save(file, script);
    });
  }
  return mod.exports;
}

exports.start = (name) => load(name).start(name);
if (require.main === module) load(process.argv[2] ?? 'none').startFromArgv();
