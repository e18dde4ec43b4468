/**
 * Proxy service (RFC 3261 §16): routes requests between users, forking to
 * every device. Handles: every request the registrar and the server itself do
 * not. Needs: auth, domains, the registrar's location service, the store.
 *
 * Offers: {@link ProxyCore}, and through `proxyCore.calls` each local user's
 * live calls ({@link CallTracker}: the INVITE dialogs it Record-Routed, with
 * `callsOf(aor)` and `onChange`), for presence's "In a call".
 */
export { ProxyCore, type ProxyDeps, type LocalAddress } from './proxy-core.js';
export { bindingTarget, uriTarget } from './targets.js';
export { CallTracker, DialogState, ENDED_LINGER_MS, InviteAttempt, sessionIntervalMs, type CallsListener, type CallTrackerOptions, type EndReason } from './calls.js';
export { CallTrackerError, ProxyError, PROXY_STATUS, type CallTrackerErrorCode, type ProxyErrorCode } from './errors.js';
