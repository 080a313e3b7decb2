import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { usage } from '../errors.js';
import type { Logger } from '../log.js';
import { CURSOR_RETRIES_DEFAULT } from '../options/running.js';
import { intOption } from '../options/values.js';
import type { ExportFileRequest } from '../orchestrator/export-file.js';
import { registerSecrets } from '../uri.js';
import { mongoexportConnection } from './connection.js';
import { askPassword } from './password.js';
import { mongoexportSelection } from './selection.js';
import type { Args } from './values.js';

/**
 * mongoexport's command line, as parsed, made the request of exportFile: the connection (the password asked for when
 * --username comes without one), what is read and how it is written, the file or standard output, and our options.
 */
export async function exportRequest(a: Args, log: Logger, name: string): Promise<ExportFileRequest> {
  const conn = mongoexportConnection(a, (a._ as unknown[]).map(String));
  const { selection, ordered } = mongoexportSelection(a, conn.db);
  for (const w of conn.warnings) log.info(w);
  if (a.forceTableScan)
    log.info(`${name}: --forceTableScan: accepted, as mongoexport accepts it (it sends no hint either)`);
  let uri = conn.uri;
  if (conn.needsPassword) uri = conn.withPassword(await askPassword(log));
  registerSecrets(uri);
  const out = typeof a.out === 'string' ? a.out : undefined;
  if (out === '') throw usage('--out: expected a file name');
  const concurrency = intOption('concurrency', a.concurrency ?? a.numThreads, 1, 1024) ?? availableParallelism();
  const retryLimit = intOption('retries', a.retries, 0, 100) ?? 3;
  const batchSize = intOption('batch-size', a['batch-size'], 1);
  return {
    selection,
    uri,
    connectTimeout: conn.connectTimeout,
    target: out === undefined ? { kind: 'stdout' } : { kind: 'file', path: resolve(out) },
    ...(ordered ? { ordered } : {}),
    assertExists: Boolean(a.assertExists),
    resume: Boolean(a.resume),
    ...(batchSize ? { batchSize } : {}),
    concurrency,
    retryLimit,
    retryDelay: 1,
    batchTimeout: undefined,
    graceSeconds: 5,
    writer: 'fast',
    cursorRetries: CURSOR_RETRIES_DEFAULT,
  };
}
