#!/usr/bin/env node
// Bundle every command into dist/bundle/mpe.cjs (one file: Node loads it in a fraction of the time it takes
// to resolve and compile the ~300 modules behind it). bin/launch.cjs loads it with a compile cache.
//
//   node scripts/bundle.js            (run by `npm run build`, after tsc)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(repoRoot, 'dist', 'bundle', 'mpe.cjs');

// The driver's optional add-ons: loaded only when a user's URI asks for them (Kerberos, compression, CSFLE,
// AWS/GCP auth, SOCKS proxy); resolved from node_modules at run time, like the unbundled driver does.
const optional = ['kerberos', 'snappy', '@mongodb-js/zstd', 'mongodb-client-encryption', '@aws-sdk/credential-providers', 'gcp-metadata', 'socks', '@mongodb-js/snappy'];

/**
 * Modules whose load-time work few runs need: the bundle loads them on first use instead (measured with
 * `node --cpu-prof` on an empty batch, Node 20; every batch is a new process).
 * - string-width (yargs → cliui, for laying out --help): builds an Intl.Segmenter and large Unicode regexes,
 *   ~35 ms. Imported as a default function.
 * - tr46 (whatwg-url, under mongodb-connection-string-url): loads its Unicode mapping table, ~12 ms; only
 *   special-scheme URLs use it, never mongodb:// ones.
 * - @mongodb-js/saslprep (the driver's SCRAM-SHA-256): decodes its code point tables, ~5 ms; needed only
 *   when a password is sent.
 * CommonJS modules are replaced by a proxy that loads the module when one of its properties is first read.
 */
const LAZY = { 'string-width': 'function', tr46: 'object', '@mongodb-js/saslprep': 'object' };

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
      const load = `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));`;
      const contents =
        args.pluginData === 'function'
          ? `${load} module.exports = function lazyDefault(...a) { return load().default(...a); };`
          : `${load} module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(load(), k); return d && { ...d, configurable: true }; } });`;
      return { contents, resolveDir: path.dirname(args.path), loader: 'js' };
    });
  },
};

await build({
  plugins: [lazy],
  entryPoints: [path.join(repoRoot, 'dist', 'src', 'cli', 'entry.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: optional,
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
console.error(`bundle: ${path.relative(repoRoot, outfile)} (${(fs.statSync(outfile).size / 1e6).toFixed(1)} MB)`);
