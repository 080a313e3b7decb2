import { parseArgs } from 'node:util';
import type { OptionSpecs } from './declare.js';

/**
 * The options of a plain command line (every argument a declared long option: `--name value`, `--name=value`,
 * `--flag`) read without yargs, with the values yargs gives: the text as written, which the option groups parse.
 * Undefined for anything else (help, an alias, a negation, a value that starts with `-`, a positional, a mistake,
 * a missing demanded option): yargs reads that, with its messages. Why: every batch is a new process, and yargs'
 * instance and parse took ~4 ms of an empty batch's ~70 ms start; extract-all's children always pass plain lines
 * (test/options/plain.test.ts holds both readings equal).
 */
export function plainArgs(args: readonly string[], specs: OptionSpecs): Record<string, unknown> | undefined {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, spec] of Object.entries(specs))
    options[name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = values[name];
    if (v === undefined) {
      if (spec.demand) return undefined;
      continue;
    }
    out[name] = v;
  }
  return out;
}
