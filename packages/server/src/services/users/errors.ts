/**
 * Errors of the users service, and the one table that maps them to HTTP
 * status codes and CLI exit codes (STYLE.md habit 5).
 */
export type UserErrorCode =
  | 'malformed-address'
  | 'unknown-domain'
  | 'duplicate-user'
  | 'weak-password'
  | 'not-found'
  | 'duplicate-domain'
  | 'domain-in-use'
  | 'invalid';

export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** code → [HTTP status, CLI exit code]. */
export const USER_ERROR_STATUS: Record<UserErrorCode, { http: number; exit: number }> = {
  'malformed-address': { http: 400, exit: 2 },
  invalid: { http: 400, exit: 2 },
  'weak-password': { http: 400, exit: 2 },
  'unknown-domain': { http: 404, exit: 3 },
  'not-found': { http: 404, exit: 3 },
  'duplicate-user': { http: 409, exit: 4 },
  'duplicate-domain': { http: 409, exit: 4 },
  'domain-in-use': { http: 409, exit: 4 },
};
