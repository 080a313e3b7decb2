#!/usr/bin/env node
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Bundle every command into dist/bundle/mpe.cjs (one file: Node loads it in a fraction of the time it takes
// to resolve and compile the ~300 modules behind it), and extract-batch alone into dist/bundle/batch.cjs (every
// batch is a new process: it reads only what a batch runs). bin/launch.cjs loads them with a compile cache.
//
//   node scripts/bundle.js            (run by `npm run build`, after tsc)
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLES = {
  'mpe.cjs': path.join(repoRoot, 'dist', 'src', 'cli', 'entry.js'),
  'batch.cjs': path.join(repoRoot, 'dist', 'src', 'cli', 'entry-batch.js'),
};
// The AWS SDK as the S3 destination uses it: loaded by the commands (from beside their bundle) only to write to S3.
const S3_BUNDLE = { 's3.cjs': path.join(repoRoot, 'dist', 'src', 'output', 's3-sdk.js') };

// The driver's optional add-ons: loaded only when a user's URI asks for them (Kerberos, compression, CSFLE,
// AWS/GCP auth, SOCKS proxy); resolved from node_modules at run time, like the unbundled driver does.
const optional = [
  'kerberos',
  'snappy',
  '@mongodb-js/zstd',
  'mongodb-client-encryption',
  '@aws-sdk/credential-providers',
  'gcp-metadata',
  'socks',
  '@mongodb-js/snappy',
  // the S3 destination's SDK: in s3.cjs, loaded by the processes that write to S3 only (a local batch loads
  // exactly what it did before)
  '@aws-sdk/client-s3',
];

/**
 * Modules whose load-time work few runs need: the bundle loads them on first use instead (measured with
 * `node --cpu-prof` on an empty batch, Node 20; every batch is a new process).
 * - string-width (yargs → cliui, for laying out --help): builds an Intl.Segmenter and large Unicode regexes,
 *   ~35 ms. Imported as a default function.
 * - tr46 (whatwg-url, under mongodb-connection-string-url): loads its Unicode mapping table, ~12 ms; only
 *   special-scheme URLs use it, never mongodb:// ones.
 * - @mongodb-js/saslprep (the driver's SCRAM-SHA-256): decodes its code point tables, ~5 ms; needed only
 *   when a password is sent.
 * - mongodb (the driver, src/driver.ts): ~10 ms and several MiB to load; what only reads or writes Extended JSON
 *   (the `bson` package, loaded apart) — extract-verify, a resumed extract-all, --help — never needs it. Its export
 *   names are read at build time: the one module that imports it copies them (esbuild's interop) without loading it.
 * CommonJS modules are replaced by a proxy that loads the module when one of its properties is first read.
 */
const LAZY = { 'string-width': 'function', tr46: 'object', '@mongodb-js/saslprep': 'object', mongodb: 'names' };

/**
 * A stand-in for the CommonJS module `load()` returns, loaded when a property is first read. `names`: its export
 * names, known without loading it (so that copying them, as a bundled ES module does on import, loads nothing).
 */
const loadSource = (load) => `let m; const load = () => (m ??= ${load});`;
const proxySource = (load, names) => `${loadSource(load)}
const names = ${JSON.stringify(names ?? null)};
const known = new Set(names);
module.exports = new Proxy({}, {
  get: (_, k) => load()[k],
  has: (_, k) => k in load(),
  ownKeys: () => (m || !names ? Reflect.ownKeys(load()) : names),
  getOwnPropertyDescriptor: (_, k) => {
    if (!m && known.has(k)) return { get: () => load()[k], enumerable: true, configurable: true };
    const d = Reflect.getOwnPropertyDescriptor(load(), k);
    return d && { ...d, configurable: true };
  },
});`;

const lazy = {
  name: 'lazy-modules',
  setup(b) {
    const names = Object.keys(LAZY).map((n) => n.replace(/[/.@-]/g, '\\$&'));
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real' });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy', pluginData: LAZY[args.path] };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const kind = args.pluginData;
      const load = `require(${JSON.stringify(args.path)})`;
      const names =
        kind === 'names' ? Object.getOwnPropertyNames(createRequire(import.meta.url)(args.path)) : undefined;
      const contents =
        kind === 'function'
          ? `${loadSource(load)} module.exports = function lazyDefault(...a) { return load().default(...a); };`
          : proxySource(load, names);
      return { contents, resolveDir: path.dirname(args.path), loader: 'js' };
    });
  },
};

/**
 * Node's own modules that the driver loads at start but a batch seldom or never uses: each costs a
 * process 1–6 ms to load (Node 20, measured with `node --cpu-prof` on an empty batch). They are loaded on first
 * use instead: tls (TLS connections), http and https (the driver's cloud-credential lookups), dns (mongodb+srv://
 * and Kerberos), zlib (--gzip, wire compression).
 * The stand-in knows the module's export names from build time, so that bundled ES modules (which copy every
 * export name when they import a CommonJS module) can import it without loading it; any property read loads it.
 */
const LAZY_BUILTINS = ['tls', 'http', 'https', 'dns', 'zlib'];

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const names = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter: names }, (args) =>
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const keys = Object.getOwnPropertyNames(createRequire(import.meta.url)(`node:${args.path}`));
      return { contents: proxySource(`require(${JSON.stringify(`node:${args.path}`)})`, keys), loader: 'js' };
    });
  },
};

/**
 * Bundle one entry point into one CommonJS file, as every command is bundled (bench/ bundles its driver floor so).
 * The file is written beside its name and renamed over it: a batch process that starts during a rebuild (an export
 * running while `npm run build` does) reads the old bundle or the new one, never half of one.
 */
export async function bundle(entry, outfile, { sdk = false } = {}) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  try {
    await buildTo(entry, tmp, sdk);
    fs.renameSync(tmp, outfile);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

async function buildTo(entry, outfile, sdk) {
  await build({
    plugins: sdk ? [] : [lazy, lazyBuiltins],
    // the SDK's ES modules, so that only what s3-sdk.ts names is kept
    ...(sdk ? { mainFields: ['module', 'main'], minifyIdentifiers: true } : {}),
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: sdk ? [] : optional,
    // ESM sources read import.meta.url; in the CommonJS bundle it is the bundle's own URL
    banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__bundle_url' },
    logLevel: 'warning',
    legalComments: 'none',
    // whitespace and syntax only: a smaller file to read at every start (2.3 → 1.6 MB); names stay readable in stacks
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, entry] of [...Object.entries(BUNDLES), ...Object.entries(S3_BUNDLE)]) {
    const outfile = path.join(repoRoot, 'dist', 'bundle', name);
    await bundle(entry, outfile, { sdk: name in S3_BUNDLE });
    console.error(`bundle: ${path.relative(repoRoot, outfile)} (${(fs.statSync(outfile).size / 1e6).toFixed(1)} MB)`);
  }
}
