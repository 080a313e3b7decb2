import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExtractError, EXIT, usage } from '../errors.js';
import { error } from '../log.js';
import { scrub } from '../uri.js';

/** yargs set up the same way for every command: strict, and every parse failure is a one-line usage error (exit 2). */
export function cli(name: string, text: string): Argv {
  return yargs(joinDash(hideBin(process.argv)))
    .scriptName(name)
    .usage(text)
    .strict()
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? usage(msg);
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

/** Run a command; only here does an error become an exit code (one line for expected errors, stack otherwise). */
export async function main(name: string, run: () => Promise<number | void>): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `| head` closed the pipe: stop quietly, as any Unix tool cut off by a closed pipe (128 + SIGPIPE).
    if (err.code === 'EPIPE') process.exit(141);
  });
  try {
    process.exitCode = (await run()) ?? EXIT.OK;
  } catch (err) {
    if (err instanceof ExtractError) {
      error(`${name}: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if ((err as Error)?.name === 'YError') {
      error(`${name}: ${(err as Error).message}`);
      process.exitCode = EXIT.USAGE;
    } else {
      error(`${name}: unexpected error: ${scrub((err as Error)?.stack ?? String(err))}`);
      process.exitCode = EXIT.FAILED;
    }
  }
}
