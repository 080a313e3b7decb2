import { MongoServerError, type Collection, type Document } from 'mongodb';
import { TYPE_CLASSES } from '../plan/type-classes.js';

const ALL_ALIASES = TYPE_CLASSES.flatMap((c) => c.aliases);

/**
 * The $type aliases this server understands. Real MongoDB knows them all (one query tells); FerretDB rejects
 * some (decimal, symbol, minKey, …) only when it evaluates a filter against a document, so each alias is
 * probed with a point lookup of an existing `_id`. A server that cannot name a type cannot store it either.
 */
export async function supportedTypeAliases(coll: Collection, anyId: unknown): Promise<Set<string>> {
  const probe = (aliases: string[]) => {
    const filter: Document = { $and: [{ _id: anyId }, { _id: { $type: aliases } }] };
    return coll.find(filter, { projection: { _id: 1 } }).limit(1).toArray();
  };
  try {
    await probe(ALL_ALIASES);
    return new Set(ALL_ALIASES);
  } catch {
    const ok = new Set<string>();
    for (const alias of ALL_ALIASES) {
      try {
        await probe([alias]);
        ok.add(alias);
      } catch (err) {
        if (!(err instanceof MongoServerError)) throw err; // a network error says nothing about the alias
      }
    }
    return ok;
  }
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
