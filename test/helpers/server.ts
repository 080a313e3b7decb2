import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before } from 'node:test';
import { type Db, MongoClient } from 'mongodb';

/** The test server's connection string (set by scripts/test.js, or by hand). */
export function mongoUri(): string {
  const uri = process.env.MONGO_URI;
  if (!uri) {
    throw new Error(
      'MONGO_URI is not set: run the tests with `npm test` or `node scripts/test.js`, or export MONGO_URI',
    );
  }
  return uri;
}

/** What a test file gets from withDb(): valid from its first test until its `after` hooks run. */
export interface TestDb {
  readonly client: MongoClient;
  readonly db: Db;
  /** Unique to this file and run: no two files (or reruns after a crash) share data. */
  readonly name: string;
}

/**
 * A MongoClient and a database of its own for the calling test file: connects before the file's first
 * test, drops the database and closes the client after its last. Call once, at the top level of the file.
 */
export function withDb(label: string): TestDb {
  const safe = label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 24);
  const name = `mpe_${safe}_${process.pid}_${randomBytes(3).toString('hex')}`;
  let client: MongoClient | undefined;
  before(async () => {
    client = await MongoClient.connect(mongoUri(), { serverSelectionTimeoutMS: 10_000 });
  });
  after(async () => {
    if (!client) return;
    try {
      await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });
  const connected = (): MongoClient => {
    if (!client) throw new Error('withDb: the client is only available inside tests (after the before hook)');
    return client;
  };
  return {
    get client() {
      return connected();
    },
    get db() {
      return connected().db(name);
    },
    name,
  };
}

/** A loopback port with nothing listening on it (a server that is down). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
