/**
 * The UA core (RFC 3261 §8, §12, §13, §22.2 client side) and the §8.2 UAS
 * checks as reusable functions; §16 proxy helpers are in `./proxy/`.
 *
 * Needs: a {@link TransactionLayer}; a `via()` callback (our sent-by per
 * target); optionally `resolve()` (RFC 3263 next hop) and `credentials()`
 * (the digest module's client). Imports nothing of Parley.
 */
export { type ViaSpec, addVia, replaceTopVia } from './via.js';
export { defaultNextHop } from './next-hop.js';
export { type OutOfDialogRequestInit, createOutOfDialogRequest } from './request-factory.js';
export {
  KNOWN_METHODS,
  type UasPolicy,
  checkContent,
  checkMergedRequest,
  checkMethod,
  checkRequest,
  checkRequire,
  checkUriScheme,
} from './uas-checks.js';
export { answerMalformed, responseForParseError } from './malformed.js';
export { type CredentialsCallback, cloneRequest, createAuthenticatedRetry } from './credentials.js';
export { RetransmitterState, TwoXxRetransmitter } from './two-xx-retransmitter.js';
export { IncomingRequest, type IncomingRequestDelegate } from './incoming-request.js';
export { OutgoingRequest, type OutgoingRequestDelegate, type OutgoingRequestOptions } from './outgoing-request.js';
export { UserAgentCore, type UserAgentCoreDelegate, type UserAgentCoreOptions, type UserAgentCoreStats } from './user-agent-core.js';
export * from './proxy/index.js';
