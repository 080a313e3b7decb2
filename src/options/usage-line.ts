import { closest, distance } from 'fastest-levenshtein';

/** yargs' own messages, said the way ours are: one line naming the option, with what to do next. */
export function usageLine(msg: string, known: readonly string[] = []): string {
  const missing = /^Missing required arguments?: (.+)$/.exec(msg);
  if (missing)
    return `missing required option ${missing[1]!
      .split(', ')
      .map((o) => `--${o}`)
      .join(', ')}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    const said = names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    const hint = suggestion(names[0]!, known);
    return `unknown option ${said.join(', ')}${hint ? `: did you mean --${hint}?` : ''} (--help lists the options)`;
  }
  return msg.replace(/\s*\n\s*/g, '; ');
}

/** The closest known option to a mistyped one, if it is close enough to be what was meant. */
export function suggestion(typed: string, known: readonly string[]): string | undefined {
  const candidates = known.filter((k) => k.length > 1);
  if (typed.length < 2 || candidates.length === 0) return undefined;
  const best = closest(typed, candidates);
  const d = distance(typed, best);
  return d <= Math.max(1, Math.floor(best.length / 3)) || best.startsWith(typed) ? best : undefined;
}
