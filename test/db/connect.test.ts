// How driver errors are read: codes as the server sends them under EXACT_READ, and which errors a new cursor survives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON, MongoNetworkError, MongoServerError } from 'mongodb';
import { classify, cursorGone, cursorSurvivable, errorCode } from '../../src/db/connect.js';

const serverError = (code: unknown, errmsg = 'boom') => new MongoServerError({ ok: 0, errmsg, code } as never);

describe('errorCode', () => {
  test('a number, or a BSON Int32 (a reply read with promoteValues: false), is the code', () => {
    assert.equal(errorCode({ code: 43 }), 43);
    assert.equal(errorCode({ code: new BSON.Int32(43) }), 43);
  });
  test('a string code (Node errno), none, or a non-integer: undefined', () => {
    assert.equal(errorCode({ code: 'EPIPE' }), undefined);
    assert.equal(errorCode(new Error('x')), undefined);
    assert.equal(errorCode(undefined), undefined);
    assert.equal(errorCode({ code: 4.5 }), undefined);
  });
});

describe('classify with an Int32 code (every batch cursor reads with EXACT_READ)', () => {
  test('CursorNotFound is "the server ended the cursor", not a generic server error', () => {
    const e = classify(serverError(new BSON.Int32(43), 'cursor id 7 not found'));
    assert.match(e.message, /^the server ended the cursor \(cursor id 7 not found\)/);
    assert.equal(e.code, 'FAILED');
  });
  test('an authentication code is AUTH', () => {
    assert.equal(classify(serverError(new BSON.Int32(18))).code, 'AUTH');
  });
});

describe('cursorSurvivable: a new cursor after the last written _id can go on', () => {
  test('cursor gone, step-down, shutdown, time limits, network codes; as numbers and as Int32', () => {
    for (const code of [43, 237, 175, 10107, 13435, 13436, 189, 11600, 11602, 91, 50, 262, 6, 7, 89, 9001]) {
      assert.equal(cursorSurvivable(serverError(code)), true, `code ${code}`);
      assert.equal(cursorSurvivable(serverError(new BSON.Int32(code))), true, `Int32 code ${code}`);
    }
  });
  test('a network error is survivable', () => {
    assert.equal(cursorSurvivable(new MongoNetworkError('connection reset')), true);
  });
  test('a query error, an auth error, a snapshot too old, a plain Error: not survivable', () => {
    for (const code of [2, 18, 13, 239, 246, 16550]) assert.equal(cursorSurvivable(serverError(code)), false);
    assert.equal(cursorSurvivable(new Error('disk full')), false);
  });
  test('cursorGone: only the codes of a cursor the server ended (reopened at once, no backoff)', () => {
    assert.equal(cursorGone(serverError(new BSON.Int32(43))), true);
    assert.equal(cursorGone(serverError(237)), true);
    assert.equal(cursorGone(serverError(10107)), false);
    assert.equal(cursorGone(new MongoNetworkError('x')), false);
  });
});
