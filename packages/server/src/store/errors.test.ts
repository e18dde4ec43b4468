/**
 * The error catalogue: stable codes and the translation of driver errors.
 * Real driver errors are exercised by the conformance suite; here the
 * translation table is checked against the codes the drivers document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORE_ERROR_CODES, StoreError, toStoreError, type StoreErrorCode } from './errors.js';

/** A driver error as better-sqlite3, pg or node:net make them: an Error with a code. */
function driverError(code: string): Error {
  return Object.assign(new Error(`driver says ${code}`), { code });
}

describe('store errors', () => {
  it('every code is documented', () => {
    const codes: StoreErrorCode[] = ['not-found', 'conflict', 'invalid', 'unavailable'];
    assert.deepEqual(Object.keys(STORE_ERROR_CODES).sort(), [...codes].sort());
    for (const c of codes) assert.ok(STORE_ERROR_CODES[c].length > 10);
  });

  it('StoreError carries its code and cause; is() narrows', () => {
    const cause = new Error('x');
    const err = new StoreError('conflict', 'taken', { cause });
    assert.equal(err.name, 'StoreError');
    assert.equal(err.cause, cause);
    assert.ok(StoreError.is(err));
    assert.ok(StoreError.is(err, 'conflict'));
    assert.ok(!StoreError.is(err, 'invalid'));
    assert.ok(!StoreError.is(new Error('x')));
  });

  it('translates driver codes', () => {
    const cases: [string, StoreErrorCode][] = [
      ['SQLITE_CONSTRAINT_UNIQUE', 'conflict'],
      ['SQLITE_CONSTRAINT_PRIMARYKEY', 'conflict'],
      ['SQLITE_CONSTRAINT_FOREIGNKEY', 'conflict'],
      ['SQLITE_CONSTRAINT_CHECK', 'invalid'],
      ['SQLITE_CONSTRAINT_NOTNULL', 'invalid'],
      ['SQLITE_BUSY', 'unavailable'],
      ['SQLITE_CANTOPEN', 'unavailable'],
      ['23505', 'conflict'],
      ['23503', 'conflict'],
      ['23502', 'invalid'],
      ['23514', 'invalid'],
      ['22P02', 'invalid'],
      ['08006', 'unavailable'],
      ['57P01', 'unavailable'],
      ['53300', 'unavailable'],
      ['40001', 'unavailable'],
      ['ECONNREFUSED', 'unavailable'],
    ];
    for (const [code, expected] of cases) {
      const err = toStoreError(driverError(code), 'ctx');
      assert.equal(err.code, expected, code);
      assert.match(err.message, /^ctx: driver says/);
    }
  });

  it('passes StoreErrors through and makes anything else unavailable', () => {
    const own = new StoreError('not-found', 'gone');
    assert.equal(toStoreError(own), own);
    assert.equal(toStoreError('a string').code, 'unavailable');
    assert.equal(toStoreError(new Error('Connection terminated unexpectedly')).code, 'unavailable');
  });
});
