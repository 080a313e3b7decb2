#!/usr/bin/env node
// Start a command from its bundle (built by `npm run build`: dist/bundle/batch.cjs for extract-batch, which every
// batch process runs, dist/bundle/mpe.cjs for the others) with V8's code cache kept on
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

const BUNDLES = path.join(__dirname, '..', 'dist', 'bundle');

/** The bundle a command runs from: extract-batch has one of its own (less to read and deserialize per batch). */
const bundleFor = (command) => path.join(BUNDLES, command === 'extract-batch' ? 'batch.cjs' : 'mpe.cjs');

/** The cache file for this command, Node and bundle build; undefined when there is no safe place for it. */
function cacheFile(command, bundle) {
  if (process.env.MPE_NO_CODE_CACHE) return undefined;
  try {
    const uid = process.getuid?.() ?? 'user';
    const dir = process.env.MPE_CODE_CACHE_DIR || path.join(os.tmpdir(), `mongo-parallel-extract-${uid}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // code from a cache is run: only from a directory of ours that nobody else can write to
    const d = fs.lstatSync(dir);
    if (!d.isDirectory() || (process.getuid && d.uid !== process.getuid()) || (d.mode & 0o022) !== 0) return undefined;
    const b = fs.statSync(bundle);
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
    return;
  }
  // the caches of this command and Node for earlier builds of the bundle will never be read again
  const dir = path.dirname(file);
  const stem = path.basename(file).split('-').slice(0, -2).join('-');
  try {
    for (const old of fs.readdirSync(dir)) {
      if (old !== path.basename(file) && old.endsWith('.v8cache') && old.split('-').slice(0, -2).join('-') === stem)
        fs.rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    // another process is tidying up too
  }
}

/** A bundle's exports, run with the code cache of `command`; one instance per process (a preload that required it first shares it). */
function loadBundle(bundle, command) {
  const loaded = require.cache[bundle];
  if (loaded) return loaded.exports;
  const file = cacheFile(command, bundle);
  let cached;
  try {
    if (file) cached = fs.readFileSync(file);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), {
    filename: bundle,
    cachedData: cached,
    importModuleDynamically: (specifier) => import(specifier),
  });
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  require.cache[bundle] = mod;
  script.runInThisContext()(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  mod.loaded = true;
  const real = !process.argv.some((a) => a === '--help' || a === '-h' || a === '--version');
  if (file && real && (cached === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code === 0) save(file, script);
    });
  }
  return mod.exports;
}

const load = (command) => loadBundle(bundleFor(command), command);

exports.bundleFor = bundleFor;
exports.loadBundle = loadBundle;
exports.start = (name) => load(name).start(name);
if (require.main === module) load(process.argv[2] ?? 'none').startFromArgv();
