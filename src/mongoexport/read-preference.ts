import { usage } from '../errors.js';
import { type Args, lenientJson, str } from './values.js';

const MODES = ['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'];

/** --readPreference: a mode, or `{mode, tagSets, maxStalenessSeconds}`; -k/--slaveOk: nearest. */
export function readPreference(a: Args, p: URLSearchParams, warnings: string[]): void {
  const given = str(a, 'readPreference');
  if (a.slaveOk) {
    if (given) throw usage("--slaveOk can't be specified when --readPreference is specified");
    warnings.push('--slaveOk is deprecated and --readPreference=nearest should be used instead');
    p.set('readPreference', 'nearest');
    return;
  }
  if (!given) return;
  let mode = given;
  let tagSets: Record<string, string>[] = [];
  let staleness: number | undefined;
  if (given.trim().startsWith('{')) {
    let doc: { mode?: unknown; tagSets?: unknown; maxStalenessSeconds?: unknown };
    try {
      doc = JSON.parse(lenientJson(given)) as typeof doc;
    } catch (err) {
      throw usage(`--readPreference: invalid json object: ${(err as Error).message}`);
    }
    if (typeof doc.mode !== 'string') throw usage("--readPreference: no 'mode' specified");
    mode = doc.mode;
    tagSets = Array.isArray(doc.tagSets) ? (doc.tagSets as Record<string, string>[]) : [];
    staleness = typeof doc.maxStalenessSeconds === 'number' ? doc.maxStalenessSeconds : undefined;
  }
  if (!MODES.includes(mode)) throw usage(`--readPreference: unknown read preference ${mode}`);
  p.set('readPreference', mode);
  p.delete('readPreferenceTags');
  for (const tags of tagSets) {
    p.append(
      'readPreferenceTags',
      Object.entries(tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(','),
    );
  }
  if (staleness !== undefined) p.set('maxStalenessSeconds', String(staleness));
}
