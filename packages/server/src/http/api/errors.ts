/**
 * The REST API's one error catalogue (STYLE.md habit 5, after Fastify's
 * `lib/errors.js`): every failure leaves the API as
 * `{ "error": <code>, "message": <text> }` with the HTTP status of its code
 * in {@link API_ERRORS}. `README.md` in this folder lists every code; a test
 * checks it does.
 *
 * Where errors come from, and how {@link toApiError} maps them:
 * - {@link ApiError}, thrown by the routes (no session, wrong role, throttled);
 * - `UserError` of the users service: same code, status from its own table
 *   `USER_ERROR_STATUS`;
 * - `StoreError`: `not-found` → not-found, `conflict` → conflict,
 *   `invalid` → invalid, `unavailable` → unavailable;
 * - Fastify's own errors: schema validation and unparsable bodies →
 *   invalid-request; 404/413/415 by status;
 * - anything else → internal (500), with no message or stack of its own.
 */
import { StoreError, type StoreErrorCode } from '../../store/index.js';
import { USER_ERROR_STATUS, UserError, type UserErrorCode } from '../../services/users/index.js';

/** An entry of the catalogue. */
export interface ApiErrorSpec {
  readonly status: number;
  /** What it means, for the documentation. */
  readonly description: string;
}

const user = (code: UserErrorCode, description: string): ApiErrorSpec => ({ status: USER_ERROR_STATUS[code].http, description });

/** Every code the API answers with, its status and what it means. */
export const API_ERRORS = Object.freeze({
  'invalid-request': { status: 400, description: 'the body, query or path does not match the route\'s schema, or the body is not valid JSON' },
  invalid: user('invalid', 'a value breaks a rule of the data (malformed domain name, unknown role, too long a field)'),
  'malformed-address': user('malformed-address', 'the address is not user@domain'),
  'weak-password': user('weak-password', 'the password is missing, too short, too simple or contains the user name'),
  'invalid-credentials': { status: 401, description: 'sign-in failed: unknown address, wrong password or disabled user (one answer for all three)' },
  unauthenticated: { status: 401, description: 'no session, or the session expired or was signed out' },
  forbidden: { status: 403, description: 'the signed-in user\'s role may not do this, or a cookie-authenticated request came from another origin' },
  'not-found': user('not-found', 'no such route, user or row'),
  'unknown-domain': user('unknown-domain', 'the domain is not one this server serves'),
  'duplicate-user': user('duplicate-user', 'a user with this address exists'),
  'duplicate-domain': user('duplicate-domain', 'the domain exists'),
  'domain-in-use': user('domain-in-use', 'the domain still has users; remove them or pass force=true'),
  'last-admin': { status: 409, description: 'the change would leave no enabled administrator' },
  conflict: { status: 409, description: 'the change clashes with other rows of the store' },
  'payload-too-large': { status: 413, description: 'the body is larger than the server accepts' },
  'unsupported-media-type': { status: 415, description: 'the body is not application/json' },
  'too-many-attempts': { status: 429, description: 'too many failed sign-ins from this source or for this address; retry after Retry-After seconds' },
  internal: { status: 500, description: 'an unexpected failure; the server log has the details' },
  unavailable: { status: 503, description: 'the store cannot be reached right now; retrying later may succeed' },
} satisfies Record<string, ApiErrorSpec>);

/** A stable error code of the API. */
export type ApiErrorCode = keyof typeof API_ERRORS;

/** A failure a route reports, with a code of {@link API_ERRORS}. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Seconds, for `too-many-attempts` (the Retry-After header). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }

  get status(): number {
    return API_ERRORS[this.code].status;
  }
}

/** What an error becomes on the wire. */
export interface ApiErrorReply {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly retryAfterS?: number;
}

const STORE_CODES: Readonly<Record<StoreErrorCode, ApiErrorCode>> = {
  'not-found': 'not-found',
  conflict: 'conflict',
  invalid: 'invalid',
  unavailable: 'unavailable',
};

/** Fastify's client errors by status (its codes, FST_ERR_*, are not ours to expose). */
const BY_STATUS: Readonly<Record<number, ApiErrorCode>> = {
  400: 'invalid-request',
  404: 'not-found',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

/** Maps anything thrown by a route or by Fastify to a code of the catalogue. */
export function toApiError(err: unknown): ApiErrorReply {
  const reply = (code: ApiErrorCode, message: string, retryAfterS?: number): ApiErrorReply => ({
    status: API_ERRORS[code].status,
    code,
    message,
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  });
  if (err instanceof ApiError) return reply(err.code, err.message, err.retryAfterS);
  if (err instanceof UserError) return reply(err.code, err.message);
  if (err instanceof StoreError) {
    // The store's message may name tables; only `invalid` speaks to the client.
    const code = STORE_CODES[err.code];
    return reply(code, code === 'invalid' ? err.message : API_ERRORS[code].description);
  }
  if (typeof err === 'object' && err !== null) {
    const e = err as { validation?: unknown; statusCode?: unknown; message?: unknown };
    if (e.validation !== undefined) return reply('invalid-request', String(e.message));
    const code = typeof e.statusCode === 'number' ? BY_STATUS[e.statusCode] : undefined;
    if (code) return reply(code, typeof e.message === 'string' ? e.message : API_ERRORS[code].description);
  }
  return reply('internal', 'internal error');
}
