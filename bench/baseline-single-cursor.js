#!/usr/bin/env node

// The single-cursor baseline: what the simplest export script does. One process, one driver cursor over the whole
// collection, each document turned into its Extended JSON object and written through JSONStream into one file
// (the same framing and bytes as extract-batch's JSONStream writer for relaxed EJSON).
//
//   MONGO_URI=… node bench/baseline-single-cursor.js --db D --collection C --out FILE [--ejson relaxed|canonical]

import JSONStream from 'JSONStream';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { BSON, MongoClient } from 'mongodb';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(`--${name}`);
  if (k < 0 || k + 1 >= args.length) {
    if (def !== undefined) return def;
    throw new Error(`--${name} is required`);
  }
  return args[k + 1];
};
const uri = process.env.MONGO_URI;
if (!uri) throw new Error('set MONGO_URI');
const relaxed = opt('ejson', 'relaxed') === 'relaxed';
const client = new MongoClient(uri, { maxPoolSize: 1 });
try {
  await client.connect();
  const cursor = client
    .db(opt('db'))
    .collection(opt('collection'))
    .find({})
    .map((doc) => BSON.EJSON.serialize(doc, { relaxed }));
  await pipeline(cursor.stream(), JSONStream.stringify(), fs.createWriteStream(opt('out')));
} finally {
  await client.close();
}
