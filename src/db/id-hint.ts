import { MongoServerError } from '../driver.js';

/** The `_id` index: every query the tool sends names it, so that none is a collection scan (notablescan holds). */
export const ID_HINT = { hint: { _id: 1 } } as const;

/**
 * Run a query with the `_id` index hinted, and once more without the hint where the server refuses one (a view
 * on MongoDB, a server without hint support): the answer is the same, only its plan differs.
 */
export async function hinted<T>(run: (hint: typeof ID_HINT | Record<string, never>) => Promise<T>): Promise<T> {
  try {
    return await run(ID_HINT);
  } catch (err) {
    if (!(err instanceof MongoServerError) || !/hint/i.test(err.message)) throw err;
    return run({});
  }
}
