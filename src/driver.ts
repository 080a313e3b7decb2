/**
 * The official driver's values, imported in this one module, and BSON from the driver's own `bson` package (the
 * same copy: package.json asks for the driver's range and npm keeps one; src/bson.cts loads it as the driver does).
 *
 * Why one module: in the bundles every ES module that imports a CommonJS package copies its exports into an object
 * of its own (esbuild's interop); the driver has ~400, and a batch process paid ~1.5 ms of its start for eleven
 * copies. Why BSON apart: the bundles load the driver on first use (scripts/bundle.js), and what only writes or
 * reads Extended JSON (extract-verify, a resumed extract-all) never loads it. Types come from 'mongodb' directly.
 */
import BSON from './bson.cjs';

export {
  AbstractCursor,
  FindCursor,
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
export { BSON };
