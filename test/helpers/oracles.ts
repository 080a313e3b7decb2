// Someone else's bytes: the specification's BSON corpus and mongoexport's own output code (scripts/). A test that
// cannot have them is skipped with the reason, never passed.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './cli.js';

export type Skip = { skip: string };

/** One valid case of a corpus file. */
export interface CorpusCase {
  file: string;
  description: string;
  canonical_bson: string;
  canonical_extjson: string;
  relaxed_extjson?: string;
  degenerate_bson?: string;
  lossy?: boolean;
}

/** Every valid case of the specification's BSON corpus (scripts/bson-corpus.js), or why not. */
export async function bsonCorpus(): Promise<CorpusCase[] | Skip> {
  try {
    const mod = (await import(pathToFileURL(join(repoRoot, 'scripts', 'bson-corpus.js')).href)) as {
      ensureBsonCorpus(): Promise<string>;
    };
    const dir = await mod.ensureBsonCorpus();
    const cases: CorpusCase[] = [];
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      const file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { valid?: Omit<CorpusCase, 'file'>[] };
      for (const c of file.valid ?? []) cases.push({ ...c, file: name });
    }
    return cases;
  } catch (err) {
    return { skip: `the BSON corpus is not available: ${(err as Error).message}` };
  }
}

/** The mongoexport binary (scripts/mongoexport.js builds it once from mongo-tools), or why not. */
export async function mongoexportBinary(): Promise<string | Skip> {
  try {
    const mod = (await import(pathToFileURL(join(repoRoot, 'scripts', 'mongoexport.js')).href)) as {
      ensureMongoexport(o: { log(s: string): void }): Promise<string>;
    };
    return await mod.ensureMongoexport({ log: () => {} });
  } catch (err) {
    return { skip: `mongoexport cannot be built here: ${(err as Error).message}` };
  }
}

/** mongoexport's bytes for raw BSON documents, one result per document (its line end included), or its error. */
export interface MongoexportOracle {
  json(docs: readonly Uint8Array[], mode: 'relaxed' | 'canonical'): Promise<(Buffer | Error)[]>;
  csv(docs: readonly Uint8Array[], fields: readonly string[]): Promise<(Buffer | Error)[]>;
}

export async function mongoexportOracle(): Promise<MongoexportOracle | Skip> {
  let bin: string;
  try {
    const mod = (await import(pathToFileURL(join(repoRoot, 'scripts', 'mongoexport.js')).href)) as {
      ensureMongoexportOracle(o: { log(s: string): void }): Promise<string>;
    };
    bin = await mod.ensureMongoexportOracle({ log: () => {} });
  } catch (err) {
    return { skip: `mongoexport's output code cannot be built here: ${(err as Error).message}` };
  }
  const run = (args: string[], docs: readonly Uint8Array[]) =>
    new Promise<(Buffer | Error)[]>((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => (err += c));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`the oracle exited ${code}: ${err}`));
        const lines = Buffer.concat(out).toString('latin1').split('\n');
        lines.pop();
        resolve(lines.map((l) => (l.startsWith('!') ? new Error(l.slice(1)) : Buffer.from(l, 'base64'))));
      });
      child.stdin.end(Buffer.concat(docs as Uint8Array[]));
    });
  return {
    json: (docs, mode) => run(['json', mode], docs),
    csv: (docs, fields) => run(['csv', fields.join(',')], docs),
  };
}

/**
 * JSON text with insignificant differences taken out: whitespace outside strings, and each string written in one
 * way (the corpus writes é as `\u00e9`, mongoexport as raw UTF-8: the same string). Numbers stay as written.
 */
export function normalizeJson(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += JSON.stringify(JSON.parse(text.slice(i, j + 1)));
      i = j;
    } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') out += c;
  }
  return out;
}
