import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from this module in the bundle (dist/bundle/mpe.cjs) or in dist/src/. */
const here = fileURLToPath(import.meta.url);
export const PACKAGE_ROOT = resolve(dirname(here), '../..');

/** Every command and its dependencies in one file (scripts/bundle.js, run by `npm run build`). */
export const BUNDLE = resolve(PACKAGE_ROOT, 'dist', 'bundle', 'mpe.cjs');

/** Loads the bundle with a compile cache; `node LAUNCHER COMMAND ARGS…` runs a command. */
export const LAUNCHER = resolve(PACKAGE_ROOT, 'bin', 'launch.cjs');
