import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USER_ERROR_STATUS, UserError, type UserErrorCode } from '../../services/users/index.js';
import { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from '../../store/index.js';
import { API_ERRORS, ApiError, toApiError, type ApiErrorCode } from './errors.js';

/** README.md beside the source; from `dist/http/api` the source is three levels up. */
function readme(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = [join(here, 'README.md'), join(here, '..', '..', '..', 'src', 'http', 'api', 'README.md')].find((p) => existsSync(p));
  assert.ok(path, 'README.md of the API');
  return readFileSync(path, 'utf8');
}

test('README lists every error code with its status, and no code the table lacks', () => {
  const rows = new Map<string, number>();
  for (const m of readme().matchAll(/^\| `([a-z-]+)` \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]));
  for (const [code, spec] of Object.entries(API_ERRORS)) {
    assert.equal(rows.get(code), spec.status, `README row for ${code}`);
    assert.ok(spec.description.length > 0);
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(API_ERRORS).sort());
});

test('every UserError keeps its code and the users service\'s HTTP status', () => {
  for (const [code, { http }] of Object.entries(USER_ERROR_STATUS) as Array<[UserErrorCode, { http: number }]>) {
    const e = toApiError(new UserError(code, `because ${code}`));
    assert.deepEqual(e, { status: http, code, message: `because ${code}` });
    assert.equal(API_ERRORS[code as ApiErrorCode].status, http);
  }
});

test('every StoreError code maps to a code of the table; only `invalid` passes its message on', () => {
  const want: Record<StoreErrorCode, [ApiErrorCode, number]> = {
    'not-found': ['not-found', 404],
    conflict: ['conflict', 409],
    invalid: ['invalid', 400],
    unavailable: ['unavailable', 503],
  };
  for (const code of Object.keys(STORE_ERROR_CODES) as StoreErrorCode[]) {
    const e = toApiError(new StoreError(code, 'update users: SQLITE_BUSY in table users'));
    assert.deepEqual([e.code, e.status], want[code]);
    if (code !== 'invalid') assert.doesNotMatch(e.message, /SQLITE|table/);
  }
});

test('Fastify errors by kind; anything else is a bare 500', () => {
  const validation = Object.assign(new Error('body must have required property \'password\''), { validation: [{}], statusCode: 400 });
  assert.deepEqual(toApiError(validation), { status: 400, code: 'invalid-request', message: validation.message });
  assert.equal(toApiError(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 })).code, 'invalid-request');
  assert.equal(toApiError(Object.assign(new Error('Request body is too large'), { statusCode: 413 })).code, 'payload-too-large');
  assert.equal(toApiError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 })).code, 'unsupported-media-type');
  const secret = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
  assert.deepEqual(toApiError(secret), { status: 500, code: 'internal', message: 'internal error' });
  assert.deepEqual(toApiError('a string'), { status: 500, code: 'internal', message: 'internal error' });
  const locked = toApiError(new ApiError('too-many-attempts', 'later', 300));
  assert.deepEqual(locked, { status: 429, code: 'too-many-attempts', message: 'later', retryAfterS: 300 });
});
