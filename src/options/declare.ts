import type { Argv, Options } from 'yargs';

/**
 * One option, declared once: its help, how it shows in --help and its default. Values are always read as the
 * text the user wrote (so that `--retries ""` or `--concurrency 0x10` can be refused) and parsed by the group that
 * declares them; numbers still show as `[number]` in --help.
 */
export interface OptionSpec {
  kind: 'string' | 'number' | 'boolean';
  describe: string;
  alias?: string | string[];
  /** The default as --help shows it; the group's parser applies it. */
  default?: string | number;
  /** The values it takes, shown in --help. */
  choices?: readonly string[];
  /** Always required: yargs refuses its absence. */
  demand?: boolean;
  /** Required, checked by the command (it may depend on other options): shown as `[required …]` in --help. */
  required?: string;
  hidden?: boolean;
  /** Where --help lists it. */
  group?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

function yargsOption(spec: OptionSpec): Options {
  const choices = spec.choices ? `  (${spec.choices.join(', ')})` : '';
  const required = spec.required !== undefined ? `  [required${spec.required ? ` ${spec.required}` : ''}]` : '';
  const o: Options = {
    type: spec.kind === 'boolean' ? 'boolean' : 'string',
    describe: spec.describe + choices + required,
  };
  if (spec.alias !== undefined) o.alias = spec.alias;
  if (spec.default !== undefined) o.defaultDescription = String(spec.default);
  if (spec.demand) o.demandOption = true;
  if (spec.hidden) o.hidden = true;
  if (spec.group) o.group = spec.group;
  return o;
}

/** Declare every option of `specs` on a yargs instance. */
export function declare<T>(y: Argv<T>, specs: OptionSpecs): Argv<T> {
  let out = y;
  for (const [name, spec] of Object.entries(specs)) {
    out = out.option(name, yargsOption(spec)) as Argv<T>;
    if (spec.kind === 'number') out = out.number(name) as Argv<T>;
  }
  return out;
}

/** The specs of `names` only (a command takes a part of a group). */
export function pick<K extends string>(specs: Record<K, OptionSpec>, ...names: K[]): OptionSpecs {
  return Object.fromEntries(names.map((n) => [n, specs[n]]));
}

/** The same specs with some fields changed (a command's own wording of a shared option). */
export function override(specs: OptionSpecs, changes: Record<string, Partial<OptionSpec>>): OptionSpecs {
  return Object.fromEntries(Object.entries(specs).map(([n, s]) => [n, { ...s, ...changes[n] }]));
}
