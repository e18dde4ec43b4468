/**
 * The REST API for sign-in and administration (`/api/v1`), used by the web
 * Control Panel and scripts; see `README.md` for the routes and error codes.
 *
 * Handles: sign-in sessions (bearer token or cookie, kept hashed in the
 * store), the signed-in user, and for administrators domains, users, live
 * registrations and server status.
 * Needs: the users service, the store, the location service and a status
 * callback, all given by the composition root to {@link registerApi}.
 */
export { registerApi, API_PREFIX } from './register-api.js';
export type { WebSessions } from './register-api.js';
export type { ApiOptions, ApiRoutes, ServerStatus, StatusSource } from './context.js';
export type { Guards } from './guards.js';
export { API_ERRORS, ApiError, toApiError } from './errors.js';
export type { ApiErrorCode, ApiErrorSpec, ApiErrorReply } from './errors.js';
export { SESSION_COOKIE, SESSION_TTL_MS } from './session-auth.js';
export type { SignInThrottleOptions, UpgradeHeaders } from './session-auth.js';
