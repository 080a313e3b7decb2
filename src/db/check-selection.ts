import type { Document, MongoClient } from 'mongodb';
import { MongoServerError } from '../driver.js';
import { usage } from '../errors.js';
import { scrub } from '../uri.js';
import { classify, errorCode } from './connect.js';
import { hinted } from './id-hint.js';

/** What the server is asked for, besides the collection. */
export interface SelectionProbe {
  source: { db: string; collection: string };
  query: Document | null;
  /** Top-level fields to keep (`_id` always kept), or null. */
  fields: readonly string[] | null;
}

/**
 * Let the server parse the filter and the projection before anything is planned or written: a `find` that returns
 * no documents (batchSize 0, the cursor killed at once), where MongoDB parses and plans the query. A server that
 * parses only while it filters (FerretDB takes `$gtt` with batchSize 0 and refuses it on the first document) is
 * asked once more for at most one document within PROBE_MS (on MongoDB a selective filter without an index may use
 * that time scanning; running out of it is no refusal). What the server rejects (`unknown operator: $gtt`) is the
 * user's option, said as one (exit 2), not a server failure of batch after batch.
 */
export async function checkSelection(client: MongoClient, s: SelectionProbe): Promise<void> {
  if (!s.query && !s.fields) return;
  const projection = s.fields ? Object.fromEntries(s.fields.map((f) => [f, 1])) : undefined;
  const rejected =
    (await probe(client, s, s.query ?? {}, projection, PARSE_ONLY)) ??
    (await probe(client, s, s.query ?? {}, projection, ONE_DOCUMENT));
  if (!rejected) return;
  // both given: find out which one the server refuses
  const blame =
    s.query && projection
      ? (await probe(client, s, s.query, undefined, ONE_DOCUMENT))
        ? 'query'
        : 'fields'
      : undefined;
  const option = blame ?? (s.query ? 'query' : 'fields');
  throw usage(`--${option}: the server rejects it: ${rejected}`);
}

/** How long the second probe may read. */
export const PROBE_MS = 500;
const PARSE_ONLY = { batchSize: 0 };
const ONE_DOCUMENT = { limit: 1, batchSize: 1, singleBatch: true, maxTimeMS: PROBE_MS };
/** MaxTimeMSExpired: the probe ran out of time reading, which says nothing against the query. */
const TIME_LIMIT = 50;

/** The server's message when it refuses the find; undefined when it takes it. */
async function probe(
  client: MongoClient,
  s: SelectionProbe,
  filter: Document,
  projection: Document | undefined,
  reading: Document,
): Promise<string | undefined> {
  const db = client.db(s.source.db);
  try {
    const reply = await hinted((h) =>
      db.command({ find: s.source.collection, filter, ...(projection ? { projection } : {}), ...reading, ...h }),
    );
    const id = (reply as { cursor?: { id?: unknown } }).cursor?.id;
    if (id && String(id) !== '0') {
      await db.command({ killCursors: s.source.collection, cursors: [id] }).catch(() => {});
    }
    return undefined;
  } catch (err) {
    if (err instanceof MongoServerError && errorCode(err) === TIME_LIMIT) return undefined;
    const e = classify(err);
    // a server that is gone or a user who may not read is not a bad option; the server's refusal is
    if (e.code !== 'FAILED' || !(err instanceof MongoServerError)) throw e;
    return scrub(err.message.split('\n')[0] ?? String(err));
  }
}
