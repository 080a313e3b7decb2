import { usage } from '../errors.js';

/** Parsed arguments, as yargs hands them over. */
export type Args = Record<string, unknown>;
export const str = (a: Args, k: string): string | undefined =>
  typeof a[k] === 'string' ? (a[k] as string) : undefined;

/** A whole number option (int64 in mongoexport), as the text was given. */
export function int64(a: Args, k: string): number | undefined {
  const v = str(a, k);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw usage(`--${k}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** JSON as mongo-tools' legacy parser takes it for --sort and --readPreference: unquoted and single-quoted names too. */
export function lenientJson(text: string): string {
  return text
    .replace(/'([^'\\]*(?:\\.[^'\\]*)*)'/g, (_m, s: string) => JSON.stringify(s))
    .replace(/([{,]\s*)([A-Za-z_$][\w.$]*)\s*:/g, '$1"$2":');
}
