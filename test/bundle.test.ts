// scripts/bundle.js replaces a bundle by renaming a new file over it: a batch process started while `npm run build`
// runs reads the old bundle or the new one, never half of one. A descriptor opened on the old file before the build
// still reads the old bytes after it (a write in place would show it the new ones, or a truncated file).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

test('a rebuilt bundle replaces the old one whole (rename), leaving no temporary file', async (t) => {
  const { bundle } = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'bundle.js')).href)) as {
    bundle: (entry: string, outfile: string) => Promise<void>;
  };
  const dir = await tmpDir(t, 'mpe-bundle-');
  const entry = path.join(dir, 'entry.js');
  fs.writeFileSync(entry, "module.exports = 'the new bundle';\n");
  const out = path.join(dir, 'out.cjs');
  const old = "module.exports = 'the old bundle';\n".repeat(1000);
  fs.writeFileSync(out, old);
  const fd = fs.openSync(out, 'r');
  try {
    await bundle(entry, out);
    assert.equal(fs.readFileSync(fd, 'utf8'), old, 'the old file was written over in place');
  } finally {
    fs.closeSync(fd);
  }
  assert.match(fs.readFileSync(out, 'utf8'), /the new bundle/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['entry.js', 'out.cjs']);
});
