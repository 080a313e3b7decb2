import { readFileSync } from 'node:fs';
import type { Document } from 'mongodb';
import { BSON } from '../driver.js';
import { usage } from '../errors.js';
import type { OutputOptions, Selection } from '../plan/model.js';
import { type Args, int64, lenientJson, str } from './values.js';

export interface MongoexportSelection {
  selection: Selection;
  /** --sort (other than `{_id: 1}`), --skip, --limit: one ordered cursor. */
  ordered?: { sort?: Document; skip?: number; limit?: number };
}

type FieldList = { names: string[]; fromFile: boolean };

/** The fields of --fields (as given: split on commas, nothing trimmed) or --fieldFile (one per line). */
function fieldList(a: Args): FieldList | undefined {
  const fields = str(a, 'fields');
  if (fields) return { names: fields.split(','), fromFile: false };
  const file = str(a, 'fieldFile');
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`--fieldFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const names = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (names.at(-1) === '') names.pop();
  return { names, fromFile: true };
}

function queryText(a: Args): string | undefined {
  const q = str(a, 'query');
  const file = str(a, 'queryFile');
  if (q !== undefined && q !== '' && file)
    throw usage('either --query or --queryFile can be specified as a query option');
  if (file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usage(`--queryFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return q === '' ? undefined : q;
}

function parseQuery(text: string | undefined, option: string): Document | null {
  if (text === undefined) return null;
  let q: unknown;
  try {
    q = BSON.EJSON.parse(text, { relaxed: false });
  } catch (err) {
    const hint = /'/.test(text) ? ' (JSON needs double quotes)' : '';
    throw usage(`${option}: expected Extended JSON${hint}, got ${JSON.stringify(text)} (${(err as Error).message})`);
  }
  if (q === null || typeof q !== 'object' || Array.isArray(q))
    throw usage(`${option}: expected a JSON object, got ${JSON.stringify(text)}`);
  return q as Document;
}

function parseSort(text: string | undefined): Document | undefined {
  if (text === undefined) return undefined;
  try {
    const sort = JSON.parse(lenientJson(text)) as unknown;
    if (sort === null || typeof sort !== 'object' || Array.isArray(sort)) throw new Error('not an object');
    return sort as Document;
  } catch (err) {
    throw usage(
      `--sort: expected a JSON object such as '{"x":1}', got ${JSON.stringify(text)} (${(err as Error).message})`,
    );
  }
}

const NAME_CHARS = /[/\\. "$\0]/;

/** What mongoexport reads and how it writes it, checked in mongoexport's order. */
export function mongoexportSelection(a: Args, db: string): MongoexportSelection {
  const collection = namespaceOf(a, db);
  const { type, jsonFormat } = formatOf(a);
  const text = queryText(a);
  if (a.forceTableScan && str(a, 'query')) throw usage('cannot use --forceTableScan when specifying --query');
  const query = parseQuery(text, str(a, 'queryFile') ? '--queryFile' : '--query');
  const sort = parseSort(str(a, 'sort'));
  const skip = int64(a, 'skip');
  const limit = int64(a, 'limit');
  if (skip !== undefined && skip < 0) throw usage(`--skip: must be >= 0, got ${skip}`);
  const fields = checkedFields(a, type);
  const output = outputOf(a, type, jsonFormat, fields);
  // the server sends each field's top-level field whole (as mongoexport projects); --fieldFile sends no projection
  const projection =
    fields && !fields.fromFile
      ? [...new Set(fields.names.map((f) => f.split('.')[0]!))].filter((f) => f !== '_id')
      : null;
  const byIdOnly = sort !== undefined && Object.keys(sort).length === 1 && Number(sort._id) === 1;
  if (byIdOnly) output.sortById = true;
  const ordered =
    (sort !== undefined && !byIdOnly) || (skip !== undefined && skip !== 0) || (limit !== undefined && limit !== 0)
      ? {
          ...(sort ? { sort } : {}),
          ...(skip ? { skip } : {}),
          ...(limit ? { limit: Math.abs(limit) } : {}),
        }
      : undefined;
  return {
    selection: { source: { db, collection }, query, fields: projection, output },
    ...(ordered ? { ordered } : {}),
  };
}

/** The database's name and the collection's, checked as mongoexport checks them: the collection. */
function namespaceOf(a: Args, db: string): string {
  if (db.length > 63) throw usage(`--db: db name '${db}' is longer than 63 characters`);
  const bad = NAME_CHARS.exec(db);
  if (bad) throw usage(`--db: illegal character '${bad[0]}' found in db name '${db}'`);
  const collection = str(a, 'collection');
  if (collection === undefined || collection === '') throw usage('must specify a collection (--collection, -c)');
  if (/[$\0]/.test(collection)) throw usage(`--collection: illegal character '$' found in '${collection}'`);
  return collection;
}

/** --type (or --csv) and --jsonFormat. */
function formatOf(a: Args): { type: 'json' | 'csv'; jsonFormat: 'relaxed' | 'canonical' } {
  const type = a.csv ? 'csv' : (str(a, 'type') ?? 'json').toLowerCase();
  if (type !== 'json' && type !== 'csv')
    throw usage(`--type: invalid output type '${str(a, 'type')}', choose 'json' or 'csv'`);
  const jsonFormat = str(a, 'jsonFormat') ?? 'relaxed';
  if (jsonFormat !== 'relaxed' && jsonFormat !== 'canonical') {
    throw usage(`--jsonFormat: invalid JSON format '${jsonFormat}', choose 'relaxed' or 'canonical'`);
  }
  return { type, jsonFormat };
}

/** The field list, required for CSV; --fields must not name an empty field. */
function checkedFields(a: Args, type: 'json' | 'csv'): FieldList | undefined {
  const fields = fieldList(a);
  if (type === 'csv' && !fields) throw usage('CSV mode requires a field list (--fields or --fieldFile)');
  if (fields && !fields.fromFile && fields.names.some((f) => f === '')) {
    throw usage(`--fields: an empty field name in ${JSON.stringify(str(a, 'fields'))}`);
  }
  return fields;
}

/** How the file is written: mongoexport's layout (--jsonArray, --pretty, --noHeaderLine), longs as numbers. */
function outputOf(
  a: Args,
  type: 'json' | 'csv',
  jsonFormat: 'relaxed' | 'canonical',
  fields: FieldList | undefined,
): OutputOptions {
  return {
    format: type === 'csv' ? 'csv' : 'ndjson',
    ejson: jsonFormat,
    gzip: false,
    longs: 'number',
    mongoexport: {
      jsonArray: Boolean(a.jsonArray) && type === 'json',
      pretty: Boolean(a.pretty) && type === 'json',
      header: !a.noHeaderLine,
    },
    ...(type === 'csv' ? { csvFields: fields!.names } : {}),
  };
}
