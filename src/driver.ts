/**
 * The official driver's classes, imported in this one module. In the bundles every ES module that imports a
 * CommonJS package copies its exports into an object of its own (esbuild's interop); the driver has ~400 of them,
 * and a batch process paid ~1.5 ms of its start for eleven copies. Types come from 'mongodb' directly.
 */
export {
  AbstractCursor,
  BSON,
  FindCursor,
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
