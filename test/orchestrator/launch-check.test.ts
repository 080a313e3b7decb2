// childLauncher (src/orchestrator/launch.ts) when the child exits 0 without its own result message: the file and
// record alone decide. (The launcher's other cases: test/orchestrator/launch.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attempt, ChildSpec } from '../../src/orchestrator/child.js';
import { childLauncher } from '../../src/orchestrator/launch.js';
import { openAtomic } from '../../src/output/atomic-file.js';
import { batchPath } from '../../src/output/layout.js';
import { destinationAt } from '../../src/output/local-destination.js';
import { publishBatch } from '../../src/output/publish.js';
import { makeRecord } from '../../src/output/record.js';
import type { PlanFile } from '../../src/plan/model.js';
import { makePlanFile } from '../../src/plan/plan-file.js';
import { sha256 } from '../helpers/output-dir.js';
import { tmpDir } from '../helpers/tmp.js';

const plan: PlanFile = makePlanFile({
  source: { db: 'd', collection: 'c' },
  query: null,
  fields: null,
  output: { format: 'ndjson', ejson: 'relaxed', gzip: false },
  expectedDocs: 1,
  method: { name: 'scan', batchSize: 1, idClasses: { number: 1 }, keysRead: 1, seconds: 0, notes: [] },
  batches: [{ index: 0, class: 'number', types: ['int'], estimatedDocs: 1 }],
});

const spec: ChildSpec = { command: () => ['node', []], env: {}, timeoutMs: undefined, graceMs: 1000 };

const exited: Attempt = {
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  seconds: 0.25,
  stderrTail: '',
  lastLine: '',
  result: undefined,
  failure: undefined,
};

test('exit 0 without a result message, and a file and record that check out: done, with the record', async (t) => {
  const dir = await tmpDir(t);
  const text = '{"_id":0}\n{"_id":1}\n';
  const launch = childLauncher(spec, destinationAt(dir), plan, async (_s, index) => {
    const file = await openAtomic(batchPath(dir, plan, index));
    await file.handle.writeFile(text);
    await publishBatch(dir, plan, index, file, () =>
      makeRecord(plan, index, { docs: 2, bytes: Buffer.byteLength(text), sha256: sha256(text), seconds: 0.1 }),
    );
    return exited;
  });
  const r = await launch(0, 1, new AbortController().signal, () => {});
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.record.docs, 2);
  assert.equal(r.record.sha256, sha256(text));
  assert.equal(r.seconds, 0.25);
});
