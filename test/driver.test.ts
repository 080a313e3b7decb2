// The driver's values are imported in src/driver.ts alone (its comment says why: each importing module of a bundle
// copies the driver's ~400 exports at start). Pure: reads the sources.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/cli.js';

const src = path.join(repoRoot, 'src');

test("driver: no module but src/driver.ts imports a value from 'mongodb' (types are free)", () => {
  const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 20);
  const offenders = files.filter((f) => {
    if (f === 'driver.ts') return false;
    const text = fs.readFileSync(path.join(src, f), 'utf8');
    return [...text.matchAll(/^(import|export) (?!type\b)[^;]*?from 'mongodb';/gms)].length > 0;
  });
  assert.deepEqual(offenders, []);
});
