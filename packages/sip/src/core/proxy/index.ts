/**
 * Helpers of a stateful proxy (RFC 3261 §16; RFC 3581, RFC 5393, RFC 5658):
 * request validation pieces (Max-Forwards, loops), route processing,
 * Record-Route, Via branches, received/rport, response forwarding, best
 * response choice, and the forking response context. Independent of any
 * registrar: targets are URIs plus optional flow and Path.
 */
export { checkMaxForwards, decrementMaxForwards } from './max-forwards.js';
export { detectLoop, loopHash, proxyBranch } from './loop-detection.js';
export { type RecordRouteUris, addRecordRoute } from './record-route.js';
export { type RoutePreprocessing, applyStrictRoute, preprocessRoute } from './loose-route.js';
export { type PacketSource, addReceived } from './received.js';
export { cloneResponse, stripTopVia, viaResponseTarget } from './response-forwarding.js';
export { chooseBestResponse } from './best-response.js';
export type { ProxyTarget } from './proxy-target.js';
export {
  BranchState,
  type ProxyBranch,
  ProxyState,
  ProxyTransaction,
  type ProxyTransactionDelegate,
  type ProxyTransactionOptions,
} from './proxy-transaction.js';
export { type StatelessForwardOptions, forwardResponseStatelessly, forwardStatelessly } from './stateless-forward.js';
