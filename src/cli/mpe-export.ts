import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, usage } from '../errors.js';
import { keepYoungGenerationSmall } from '../memory.js';
import { MONGOEXPORT, normalizeArgs } from '../mongoexport/options.js';
import { displayFor, loggersOf } from '../mongoexport/progress.js';
import { exportRequest } from '../mongoexport/request.js';
import { declare } from '../options/declare.js';
import { usageLine } from '../options/usage-line.js';
import { exportFile } from '../orchestrator/export-file.js';
import { abortOnSignals } from './main.js';

export const NAME = 'mpe-export';

const USAGE = `$0 <options> <connection-string>

Export data from MongoDB in CSV or JSON format: mongoexport's command line and bytes, with the work done by parallel extract-batch processes (one ordered cursor for --sort, --skip, --limit). A failed run keeps its batches: run the same command with --resume to finish it.

Connection strings must begin with mongodb:// or mongodb+srv://.`;

/** mongoexport's options, with its spellings (go-flags' made yargs' by normalizeArgs) and its --help. */
async function parse(): Promise<Record<string, unknown>> {
  const argv = normalizeArgs(hideBin(process.argv));
  return (await declare(
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
}

export async function run(): Promise<number> {
  keepYoungGenerationSmall(); // the orchestrator's memory over a long run
  const a = await parse();
  const loggers = loggersOf(a);
  const { log, detail } = loggers;
  const request = await exportRequest(a, log, NAME);
  const controller = new AbortController();
  abortOnSignals(controller, 'wait', (signal) =>
    log.error(`signal '${signal === 'SIGINT' ? 'interrupt' : 'terminated'}' received; stopping`),
  );
  const { db, collection } = request.selection.source;
  const result = await exportFile(request, {
    log,
    detail,
    display: displayFor(loggers, `${db}.${collection}`),
    signal: controller.signal,
    stdout: process.stdout,
    name: NAME,
  });
  return result.exitCode === 0 ? EXIT.OK : result.exitCode;
}
