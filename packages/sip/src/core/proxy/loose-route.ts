/**
 * Route processing at a proxy (RFC 3261 §16.4, §16.6 step 6–7, §16.12.1.2).
 */
import type { NameAddr } from '../../grammar/name-addr.js';
import { parseNameAddr } from '../../grammar/name-addr.js';
import type { Uri } from '../../grammar/uri.js';
import type { SipRequest } from '../../message/message.js';
import { isLooseRoute } from '../../dialog/route-set.js';

export interface RoutePreprocessing {
  /** The Request-URI was ours: a strict router before us put it there; it was restored from Route. */
  readonly strictRouted: boolean;
  /** Our own top Route, removed. */
  readonly removedRoute: NameAddr | undefined;
}

/**
 * §16.4: (1) if the Request-URI is a URI we put in a Record-Route, the
 * previous hop was a strict router: the last Route value becomes the
 * Request-URI again and leaves Route; (2) if the top Route is ours, it is
 * removed (and a second own entry under it: double Record-Route, RFC 5658). `isOwnUri` recognises our URIs (host/port, or a token we set).
 */
export function preprocessRoute(request: SipRequest, isOwnUri: (uri: Uri) => boolean): RoutePreprocessing {
  let strictRouted = false;
  if (isOwnUri(request.uri)) {
    const routes = request.getAll('route');
    const last = routes.pop();
    if (last !== undefined) {
      request.uri = parseNameAddr(last, 'route').uri;
      request.remove('route');
      for (const r of routes) request.append('Route', r);
      strictRouted = true;
    }
  }
  let removedRoute: NameAddr | undefined;
  // Our own top Route goes; so does a second one right below it (double Record-Route, RFC 5658 §3.2).
  for (let i = 0; i < 2; i++) {
    const first = request.getAll('route')[0];
    if (first === undefined) break;
    const na = parseNameAddr(first, 'route');
    if (!isOwnUri(na.uri)) break;
    request.removeFirst('route');
    removedRoute ??= na;
  }
  return { strictRouted, removedRoute };
}

/**
 * §16.6 step 6: a copy whose top Route has no `lr` goes to a strict router:
 * the Request-URI moves to the end of Route and the top Route becomes the
 * Request-URI. Returns true when the fix-up was applied.
 */
export function applyStrictRoute(request: SipRequest): boolean {
  const first = request.getAll('route')[0];
  if (first === undefined) return false;
  const na = parseNameAddr(first, 'route');
  if (isLooseRoute(na)) return false;
  request.removeFirst('route');
  request.append('Route', `<${request.requestUri}>`);
  request.uri = na.uri;
  return true;
}
