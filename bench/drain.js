#!/usr/bin/env node
// The raw cursor drain: read every document of a collection and discard it, without deserializing
// (`raw: true`: each document stays the BSON buffer the server sent). What is left is the server's work, the
// wire and the driver's batching: the ceiling for any client on this server.
//
//   MONGO_URI=… node bench/drain.js --db D --collection C     prints {"docs":N,"bytes":B} on stdout

import { MongoClient } from 'mongodb';

const args = process.argv.slice(2);
const opt = (name) => {
  const k = args.indexOf(`--${name}`);
  if (k < 0 || k + 1 >= args.length) throw new Error(`--${name} is required`);
  return args[k + 1];
};
const uri = process.env.MONGO_URI;
if (!uri) throw new Error('set MONGO_URI');
const client = new MongoClient(uri, { maxPoolSize: 1 });
try {
  await client.connect();
  const cursor = client.db(opt('db')).collection(opt('collection')).find({}, { raw: true });
  let docs = 0;
  let bytes = 0;
  for await (const doc of cursor) {
    docs++;
    bytes += doc.length;
  }
  process.stdout.write(`${JSON.stringify({ docs, bytes })}\n`);
} finally {
  await client.close();
}
