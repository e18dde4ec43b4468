/**
 * Proxy service (RFC 3261 §16): routes requests between users, forking to
 * every device. Handles: every request the registrar and the server itself do
 * not. Needs: auth, domains, the registrar's location service, the store.
 */
export { ProxyCore, type ProxyDeps, type LocalAddress } from './proxy-core.js';
export { bindingTarget, uriTarget } from './targets.js';
export { ProxyError, PROXY_STATUS, type ProxyErrorCode } from './errors.js';
