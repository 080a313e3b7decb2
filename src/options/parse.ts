import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { usage } from '../errors.js';
import { usageLine } from './usage-line.js';

/** What --help ends with: the exit codes every command shares. */
export const EXIT_CODES = `Exit codes:
  0  done (extract-verify: complete)
  1  failed: a batch failed after its retries, the server went away (extract-verify: incomplete)
  2  usage: a bad option or value, a directory holding another export
  3  server unreachable within --connect-timeout
  4  authentication or authorization failed
  5  database or collection does not exist
  6  output not writable (missing, permission, disk full)
  7  another run holds the output directory
  130/143  stopped by SIGINT/SIGTERM; 141  standard output closed early (| head)

Every option, the output format and the guarantees: README.md of mongo-parallel-extract.`;

/**
 * yargs set up the same way for every command: strict, and every parse failure is a one-line usage error (exit 2)
 * with a suggestion for a mistyped option; --help shows examples and the exit codes.
 */
export function cli(name: string, text: string, examples: readonly [string, string][] = []): Argv {
  let y = yargs(joinDash(hideBin(process.argv)))
    .scriptName(name)
    .usage(text)
    .strict()
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // the instance knows every declared name and alias (the `self` yargs passes here does not; getOptions is
      // not in yargs' types)
      const options = (y as unknown as { getOptions?: () => { key?: Record<string, unknown> } }).getOptions?.();
      const known = Object.keys(options?.key ?? {});
      throw err ?? usage(usageLine(msg, known));
    })
    .help()
    .alias('h', 'help')
    .version()
    .epilogue(EXIT_CODES);
  for (const [command, what] of examples) y = y.example(command, what);
  return y;
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
