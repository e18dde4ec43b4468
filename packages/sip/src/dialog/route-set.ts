/**
 * Route sets (RFC 3261 §12.1.1, §12.1.2) and the Request-URI/Route of a
 * request sent on one (§12.2.1.1, loose and strict routing; §16.12.1.2).
 */
import { NameAddr } from '../grammar/name-addr.js';
import { SipUri, type Uri } from '../grammar/uri.js';
import type { SipMessage } from '../message/message.js';

/** UAS (§12.1.1): the Record-Route of the request, in order. */
export function uasRouteSet(request: SipMessage): NameAddr[] {
  return request.addresses('record-route').map((na) => clean(na));
}

/** UAC (§12.1.2): the Record-Route of the response, in reverse order. */
export function uacRouteSet(response: SipMessage): NameAddr[] {
  return response.addresses('record-route').map((na) => clean(na)).reverse();
}

/**
 * A Route entry keeps its URI and URI parameters; header parameters do not
 * belong to a route set. An own copy: a dialog keeps it for its lifetime, and
 * it must not keep the message it came from alive (grammar/compact.ts).
 */
function clean(na: NameAddr): NameAddr {
  return na.ownCopy('all');
}

export function isLooseRoute(na: NameAddr): boolean {
  return na.uri instanceof SipUri && na.uri.params.has('lr');
}

export interface RoutedTarget {
  readonly requestUri: Uri;
  readonly routes: NameAddr[];
}

/**
 * §12.2.1.1: with an empty route set, or a first route with `lr`, the
 * Request-URI is the remote target and Route is the route set. Otherwise the
 * next hop is a strict router (RFC 2543): the first route's URI becomes the
 * Request-URI (without the parameters a Request-URI may not carry: `method`
 * and URI headers, §19.1.1), and the remote target goes last in Route.
 */
export function routeRequest(remoteTarget: Uri, routeSet: readonly NameAddr[]): RoutedTarget {
  if (routeSet.length === 0) return { requestUri: remoteTarget, routes: [] };
  const first = routeSet[0];
  if (isLooseRoute(first)) return { requestUri: remoteTarget, routes: routeSet.map((r) => r.clone()) };
  let ruri: Uri = first.uri;
  if (ruri instanceof SipUri) {
    ruri = ruri.clone();
    if (ruri.param('method') !== undefined) ruri.params.delete('method');
    ruri.headers = undefined;
  }
  const routes = routeSet.slice(1).map((r) => r.clone());
  routes.push(new NameAddr(remoteTarget));
  return { requestUri: ruri, routes };
}
