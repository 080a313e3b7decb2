import * as batch from './extract-batch.js';
import { main } from './main.js';

/** The driver's cursor classes, as bundled: the fault-injection tests (test/hardening) patch them in a child. */
export { AbstractCursor, FindCursor } from '../driver.js';

/**
 * The entry point of extract-batch alone, bundled into dist/bundle/batch.cjs: every batch is a new process, and
 * this bundle leaves out what only the other commands load (execa, p-limit, the orchestrator, planning), so a
 * batch reads and deserializes less at start. bin/launch.cjs starts extract-batch from it; entry.ts has the rest.
 */
export const start = (): Promise<void> => main(batch.NAME, batch.run);

/** `node bin/launch.cjs extract-batch ARGS…`: argv becomes [node, script, ARGS…]. */
export function startFromArgv(): Promise<void> {
  process.argv.splice(2, 1);
  return start();
}
