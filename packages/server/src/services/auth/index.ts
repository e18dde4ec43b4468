/**
 * Auth service: digest authentication of SIP requests against the store, and
 * throttling. Handles: credentials on REGISTER (401) and on requests routed
 * by the proxy (407). Needs: the store.
 */
export { Authenticator, type AuthKind, type AuthOptions, type AuthOutcome } from './authenticator.js';
export { FailureThrottle, RateLimiter, type ThrottleOptions } from './throttle.js';
