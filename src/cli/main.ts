import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, ExtractError, exitForSignal, usage } from '../errors.js';
import { createLogger } from '../log.js';
import { scrub } from '../uri.js';

/** yargs' own messages, said the way ours are: one line naming the option. */
export function usageLine(msg: string): string {
  const missing = /^Missing required arguments?: (.+)$/.exec(msg);
  if (missing)
    return `missing required option ${missing[1]!
      .split(', ')
      .map((o) => `--${o}`)
      .join(', ')}`;
  return msg.replace(/\s*\n\s*/g, '; ');
}

/** yargs set up the same way for every command: strict, and every parse failure is a one-line usage error (exit 2). */
export function cli(name: string, text: string): Argv {
  return yargs(joinDash(hideBin(process.argv)))
    .scriptName(name)
    .usage(text)
    .strict()
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? usage(usageLine(msg));
    })
    .help()
    .alias('h', 'help')
    .version();
}

/** yargs-parser takes `--out -` as a flag plus a stray `-`; `--out=-` is what the user meant. */
export function joinDash(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--') && arg.length > 2 && !arg.includes('=') && args[i + 1] === '-') {
      out.push(`${arg}=-`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * SIGINT/SIGTERM abort `controller` with the signal's name as the reason; `then` says what follows. 'exit': exit at
 * once with 128 + the signal (after the abort's listeners, which run synchronously, have cleaned up). 'wait': the
 * use case winds down by itself; a second signal exits at once.
 */
export function abortOnSignals(
  controller: AbortController,
  then: 'exit' | 'wait',
  onFirst?: (signal: NodeJS.Signals) => void,
): void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted || then === 'exit') {
      controller.abort(signal);
      process.exit(exitForSignal(signal));
    }
    onFirst?.(signal);
    controller.abort(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Run a command; only here does an error become an exit code (one line for expected errors, stack otherwise). */
export async function main(name: string, run: () => Promise<number | undefined>): Promise<void> {
  const log = createLogger();
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `| head` closed the pipe: stop quietly, as any Unix tool cut off by a closed pipe (128 + SIGPIPE).
    if (err.code === 'EPIPE') process.exit(EXIT.SIGPIPE);
  });
  try {
    process.exitCode = (await run()) ?? EXIT.OK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(EXIT.SIGPIPE);
    if (err instanceof ExtractError) {
      log.error(`${name}: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if ((err as Error)?.name === 'YError') {
      log.error(`${name}: ${usageLine((err as Error).message)}`);
      process.exitCode = EXIT.USAGE;
    } else {
      log.error(`${name}: unexpected error: ${scrub((err as Error)?.stack ?? String(err))}`);
      process.exitCode = EXIT.FAILED;
    }
  }
}
