import type { Collection, Document } from 'mongodb';
import { MongoServerError } from '../driver.js';
import { TYPE_CLASSES } from '../plan/type-classes.js';
import { hinted } from './id-hint.js';

const ALL_ALIASES = TYPE_CLASSES.flatMap((c) => c.aliases);

/**
 * The $type aliases this server understands, of those asked about. Real MongoDB knows them all; FerretDB rejects some (decimal, symbol, minKey, …) only when it evaluates a filter against a
 * document. So each probe evaluates `$type` on the first document and then matches it anyway through
 * `$exists`: one document read per probe, on any server. A server that cannot name a type cannot store it.
 * Needs a non-empty collection.
 */
export async function supportedTypeAliases(
  coll: Collection,
  aliases: readonly string[] = ALL_ALIASES,
): Promise<Set<string>> {
  const probe = (some: readonly string[]) => {
    const filter: Document = { $or: [{ _id: { $type: some } }, { _id: { $exists: true } }] };
    return hinted((h) =>
      coll
        .find(filter, { projection: { _id: 1 }, ...h })
        .limit(1)
        .toArray(),
    );
  };
  // One alias per probe: FerretDB stops at the first alias that matches, so a list can pass unchecked.
  const ok = new Set<string>();
  for (const alias of aliases) {
    try {
      await probe([alias]);
      ok.add(alias);
    } catch (err) {
      if (!(err instanceof MongoServerError)) throw err; // a network error says nothing about the alias
    }
  }
  return ok;
}

/** Whether the server runs `$sample` (FerretDB v1 does not). */
export async function hasSample(coll: Collection): Promise<boolean> {
  try {
    await coll.aggregate([{ $sample: { size: 1 } }, { $project: { _id: 1 } }]).toArray();
    return true;
  } catch {
    return false;
  }
}
