/**
 * SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760): header value
 * parsing and writing, HA1 and response computation, stateless nonces,
 * nonce-count replay protection, and the server and client roles.
 *
 * Works on header value strings only; imports nothing of Parley.
 */
export { DIGEST_ALGORITHMS, type DigestAlgorithm, isDigestAlgorithm, toDigestAlgorithm } from './algorithms.js';
export { type AnswerInput, answerChallenge, chooseQop } from './answer-challenge.js';
export type { AuthParam } from './auth-params.js';
export { type DigestChallenge, type DigestChallengeInit, parseChallenge, serializeChallenge } from './challenge.js';
export {
  computeHa1,
  computeResponse,
  computeUserhash,
  formatNc,
  hashBody,
  isQop,
  type Qop,
  type ResponseInput,
} from './compute.js';
export { constantTimeEqual } from './constant-time.js';
export {
  type DigestCredentials,
  type DigestCredentialsInit,
  parseCredentials,
  serializeCredentials,
} from './credentials.js';
export { type ClientRequest, DigestClient, type DigestClientOptions } from './digest-client.js';
export {
  type DigestFailureReason,
  DigestServer,
  type DigestServerOptions,
  type DigestVerifyResult,
  type Ha1Lookup,
  type VerifyInput,
} from './digest-server.js';
export {
  DIGEST_ERROR_CODES,
  DigestError,
  type DigestErrorCode,
  DigestParseError,
  type DigestParseErrorCode,
  MAX_AUTH_VALUE_LENGTH,
} from './errors.js';
export {
  type NonceCountStore,
  NonceCountTracker,
  type NonceCountTrackerOptions,
  type NonceCountUse,
  type NonceCountVerdict,
} from './nonce-count-tracker.js';
export { type NonceInspection, NonceManager, type NonceManagerOptions, type NonceStatus } from './nonce-manager.js';
export { canAnswer, type PickOptions, pickChallenge } from './pick-challenge.js';
