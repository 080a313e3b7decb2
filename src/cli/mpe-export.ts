import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, usage } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { exportFile } from '../orchestrator/export-file.js';
import { type Display, lineDisplay } from '../progress.js';
import { registerSecrets } from '../uri.js';
import { abortOnSignals, usageLine } from './main.js';
import { declare } from './options/declare.js';
import { MONGOEXPORT, mongoexportConnection, mongoexportSelection, normalizeArgs } from './options/mongoexport.js';
import { CURSOR_RETRIES_DEFAULT } from './options/running.js';
import { intOption } from './options/values.js';
import { askPassword } from './password.js';

export const NAME = 'mpe-export';

const USAGE = `$0 <options> <connection-string>

Export data from MongoDB in CSV or JSON format: mongoexport's command line and bytes, with the work done by parallel extract-batch processes (one ordered cursor for --sort, --skip, --limit). A failed run keeps its batches: run the same command with --resume to finish it.

Connection strings must begin with mongodb:// or mongodb+srv://.`;

/**
 * mongoexport's progress line, once a second while batches run (`[########................]  db.coll
 * 32000/150000  (21.3%)`); the batches' own lines go to `detail` (shown with -v).
 */
function barDisplay(log: Logger, detail: Logger, ns: string): Display {
  const inner = lineDisplay(detail);
  const bar = (docs: number, max: number) => {
    if (max <= 0) return log.info(`${ns}  ${docs}`);
    const filled = Math.min(24, Math.round((docs / max) * 24));
    log.info(
      `[${'#'.repeat(filled)}${'.'.repeat(24 - filled)}]  ${ns}  ${docs}/${max}  (${((docs / max) * 100).toFixed(1)}%)`,
    );
  };
  return {
    ...inner,
    error: (l, f) => log.error(l, f),
    begin(phase, status, fields) {
      const activity = inner.begin(phase, status, fields);
      if (phase !== 'run') return activity;
      let last = performance.now();
      let docs = 0;
      let max = 0;
      let shown = false;
      return {
        update(s, f) {
          activity.update(s, f);
          docs = Number(f?.docs ?? docs);
          max = Number(f?.expectedDocs ?? max);
          if (performance.now() - last >= 1000) {
            last = performance.now();
            shown = true;
            bar(docs, max);
          }
        },
        end(line, f) {
          activity.end(line, f);
          if (shown && docs > 0) bar(docs, max);
        },
      };
    },
  };
}

export async function run(): Promise<number> {
  const argv = normalizeArgs(hideBin(process.argv));
  const a = (await declare(
    yargs(argv)
      .scriptName(NAME)
      .usage(USAGE)
      .strict()
      .parserConfiguration({ 'duplicate-arguments-array': false, 'boolean-negation': false })
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        throw err ?? usage(usageLine(msg, Object.keys(MONGOEXPORT)));
      })
      .help('help')
      .version(),
    MONGOEXPORT,
  ).parseAsync()) as Record<string, unknown>;
  const verbosity = intOption('mpe-verbosity', a['mpe-verbosity'], 0) ?? 0;
  const level: LogLevel = a.quiet ? 'quiet' : verbosity > 0 ? 'verbose' : 'normal';
  const log = createLogger({ level, timestamps: true });
  const detail = createLogger({ level: verbosity > 0 && !a.quiet ? 'normal' : 'quiet', timestamps: true });
  const conn = mongoexportConnection(a, (a._ as unknown[]).map(String));
  const { selection, ordered } = mongoexportSelection(a, conn.db);
  for (const w of conn.warnings) log.info(w);
  if (a.forceTableScan)
    log.info(`${NAME}: --forceTableScan: accepted, as mongoexport accepts it (it sends no hint either)`);
  let uri = conn.uri;
  if (conn.needsPassword) uri = conn.withPassword(await askPassword(log));
  registerSecrets(uri);
  const out = typeof a.out === 'string' ? a.out : undefined;
  if (out === '') throw usage('--out: expected a file name');
  const concurrency = intOption('concurrency', a.concurrency ?? a.numThreads, 1, 1024) ?? availableParallelism();
  const retryLimit = intOption('retries', a.retries, 0, 100) ?? 3;
  const batchSize = intOption('batch-size', a['batch-size'], 1);
  const controller = new AbortController();
  abortOnSignals(controller, 'wait', (signal) =>
    log.error(`signal '${signal === 'SIGINT' ? 'interrupt' : 'terminated'}' received; stopping`),
  );
  const ns = `${selection.source.db}.${selection.source.collection}`;
  const result = await exportFile(
    {
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
    },
    {
      log,
      detail,
      display: level === 'quiet' ? lineDisplay(detail) : barDisplay(log, detail, ns),
      signal: controller.signal,
      stdout: process.stdout,
      name: NAME,
    },
  );
  return result.exitCode === 0 ? EXIT.OK : result.exitCode;
}
