// The smallest process that reads a batch through the official driver: connect, one find on an _id range, close.
// Nothing else (no options parsing, no file, no record). bench/run.js bundles it as every command is bundled and
// starts it through bin/launch.cjs with a code cache, so that its time is the floor of any batch process that
// loads this driver: what extract-batch's empty batch is compared with besides a bare `node -e 0`.
//
//   node bench/floor/launch.cjs DB COLLECTION   (MONGO_URI from the environment)
'use strict';
const { MongoClient } = require('mongodb');

(async () => {
  const [db, collection] = process.argv.slice(2);
  const client = new MongoClient(process.env.MONGO_URI, { maxPoolSize: 2 });
  await client.connect();
  await client
    .db(db)
    .collection(collection)
    .find({ _id: { $gte: 1000, $lt: 2000 } })
    .toArray();
  await client.close();
})().catch((err) => {
  process.stderr.write(`driver floor: ${err.message}\n`);
  process.exitCode = 1;
});
