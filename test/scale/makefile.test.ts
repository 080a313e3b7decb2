// The Makefile generator on its own: escaping for make and the shell, names as layout.ts makes them, and what GNU
// make actually does with the text (with a stand-in for extract-batch, no server).
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchFileName, recordFileName } from '../../src/output/layout.js';
import { makeShellWord, makeTarget, makeUnsafe, renderMakefile } from '../../src/output/makefile.js';
import type { PlanFile } from '../../src/plan/model.js';
import { childEnv } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { make, makeMissing } from './_support.js';

const planOf = (
  count: number,
  output: PlanFile['output'] = { format: 'json', ejson: 'relaxed', gzip: false },
): PlanFile =>
  ({
    planId: 'unit',
    source: { db: 'd', collection: 'c' },
    output,
    batches: Array.from({ length: count }, (_, index) => ({
      index,
      class: 'number',
      types: ['int'],
      estimatedDocs: 1,
    })),
  }) as unknown as PlanFile;

test('makeTarget escapes space, #, : and $ for target lists', () => {
  assert.equal(makeTarget('/plain/dir-1_x.y'), '/plain/dir-1_x.y');
  assert.equal(makeTarget('/a b'), '/a\\ b');
  assert.equal(makeTarget('/a#b'), '/a\\#b');
  assert.equal(makeTarget('/a:b'), '/a\\:b');
  assert.equal(makeTarget('/a$b'), '/a$$b');
  assert.equal(makeTarget('/$(x) $$'), '/$$(x)\\ $$$$');
});

test('makeShellWord quotes for the shell and doubles $ for make', () => {
  assert.equal(makeShellWord('/plain/p.json'), '/plain/p.json');
  assert.equal(makeShellWord('/a b/p.json'), "'/a b/p.json'");
  assert.equal(makeShellWord('/$HOME/`x`'), "'/$$HOME/`x`'");
  assert.equal(makeShellWord("/it's"), "'/it'\\''s'");
});

test('paths make cannot hold are refused with the reason', () => {
  for (const bad of ['/a\nb', '/a\tb', '/a\\b', '/a;b', '/a*b', '/a?b', '/a[b]', '/a=b', '/a%b']) {
    assert.ok(makeUnsafe(bad), `accepted ${JSON.stringify(bad)}`);
    assert.throws(() => makeTarget(bad), /cannot hold safely/);
    assert.throws(() => renderMakefile(planOf(1), { dir: bad }), /cannot hold safely/);
  }
  for (const ok of ['/a b', '/a#b', '/a:b', '/a$b', "/a'b", '/a"b', '/a~b', '/ü/ñ'])
    assert.equal(makeUnsafe(ok), undefined, ok);
});

test('one target pair per batch, named as layout.ts names them; all, verify, .DELETE_ON_ERROR, variables', () => {
  for (const [count, output] of [
    [3, { format: 'json', ejson: 'relaxed', gzip: false }],
    [12, { format: 'ndjson', ejson: 'canonical', gzip: true }],
    [100_001, { format: 'json', ejson: 'relaxed', gzip: false }], // six-digit names
  ] as const) {
    const plan = planOf(count, output);
    const text = renderMakefile(plan, { dir: '/data/out' });
    for (const i of [0, count - 1]) {
      assert.ok(text.includes(`$(MPE_OUT)/${batchFileName(plan, i)}`), `batch ${i}`);
      assert.ok(text.includes(`$(MPE_OUT)/${recordFileName(plan, i)}`), `record ${i}`);
    }
    assert.equal(text.match(/\$\(MPE_OUT\)\/record-\d+\.json/g)?.length, count);
    const ext = batchFileName(plan, 0).replace(/^batch-\d+/, '');
    assert.ok(
      text.includes(
        `$(MPE_OUT)/batch-%${ext} $(MPE_OUT)/record-%.json: $(MPE_PLAN)\n\t$(EXTRACT_BATCH) --plan $(MPE_PLAN_SH) --batch $*`,
      ),
    );
    assert.match(text, /^EXTRACT_BATCH \?= extract-batch$/m);
    assert.match(text, /^EXTRACT_VERIFY \?= extract-verify$/m);
    assert.match(text, /^\.DELETE_ON_ERROR:$/m);
    assert.match(text, /^all: \$\(MPE_RECORDS\) \$\(MPE_BATCH_FILES\)$/m);
    assert.match(text, /^verify: all\n\t\$\(EXTRACT_VERIFY\) --plan \$\(MPE_PLAN_SH\)$/m);
    const rules = text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    assert.doesNotMatch(rules, /MONGO_URI|mongodb(\+srv)?:/, 'no connection string in the Makefile');
    // `all` is the first rule: the default goal.
    assert.equal(text.match(/^[^\s#.$][^=\n]*:(?!=)/m)?.[0], 'all:');
  }
  assert.match(renderMakefile(planOf(0), { dir: '/e' }), /^all: /m, 'an empty plan still has all and verify');
});

test('GNU make runs the generated rules with every odd character delivered intact', async (t) => {
  const missing = await makeMissing();
  if (missing) return t.skip(missing);
  const tmp = await tmpDir(t);
  const dir = join(tmp, `we:ird #dir $(x) $$y 'q' "d" \`b\``);
  await mkdir(dir);
  const plan = planOf(3);
  await writeFile(join(dir, 'plan.json'), '{}');
  await writeFile(join(dir, 'batches.mk'), renderMakefile(plan, { dir }));
  // A stand-in for extract-batch: writes the data file, then the record, where --plan says.
  const fake = join(tmp, 'fake-batch.sh');
  await writeFile(
    fake,
    '#!/bin/sh\nd=$(dirname "$2"); printf "%s\\n" "$2" > "$d/batch-$4.json"; echo "{}" > "$d/record-$4.json"\n',
  );
  await chmod(fake, 0o755);
  const env = childEnv();
  const r = await make(['-j', '3', '-f', join(dir, 'batches.mk'), `EXTRACT_BATCH=${fake}`], env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  for (let i = 0; i < 3; i++)
    assert.equal(await readFile(join(dir, batchFileName(plan, i)), 'utf8'), join(dir, 'plan.json') + '\n');
  const q = await make(['-q', '-f', join(dir, 'batches.mk')], env);
  assert.equal(q.code, 0, 'a second make would do something');
  const v = await make(['-s', '-f', join(dir, 'batches.mk'), 'EXTRACT_VERIFY=printf %s', 'verify'], env);
  assert.equal(v.stdout, `--plan${join(dir, 'plan.json')}`);
});
