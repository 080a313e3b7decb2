// Benchmark preload (NODE_OPTIONS=--require): in an extract-batch process, the server kills the batch's first find
// cursor after the cursor has returned its 50th document (killCursors, as another connection would send it), so that
// the batch must read on after its last written _id (issue 16: the cost of in-batch resume, one kill per batch).
// The patch waits until launch.cjs has loaded the bundle (with its code cache), so the batch starts as it always does.
'use strict';
const KILL_AT = 50;
if (process.argv[2] === 'extract-batch' && process.env.MPE_BENCH_BATCH_BUNDLE) {
  process.nextTick(() => {
    const mod = require.cache[process.env.MPE_BENCH_BATCH_BUNDLE];
    if (!mod) return;
    const proto = mod.exports.FindCursor.prototype;
    const next = proto.next;
    let killed = false;
    proto.next = async function () {
      const doc = await next.call(this);
      if (doc && !killed) {
        this.__benchSeen = (this.__benchSeen || 0) + 1;
        if (this.__benchSeen === KILL_AT) {
          killed = true;
          const ns = this.namespace;
          await this.client.db(ns.db).command({ killCursors: ns.collection, cursors: [this.id] });
        }
      }
      return doc;
    };
  });
}
