/**
 * Record-Route insertion (RFC 3261 §16.6 step 4; RFC 5658 double
 * Record-Route when the two sides use different transports or interfaces).
 */
import { NameAddr } from '../../grammar/name-addr.js';
import type { SipUri } from '../../grammar/uri.js';
import type { SipRequest } from '../../message/message.js';

export interface RecordRouteUris {
  /** Our URI as the previous hop reaches us (the side the request came in). */
  readonly inbound: SipUri;
  /** Our URI as the next hop reaches us, when it differs (transport, interface, RFC 5658). */
  readonly outbound?: SipUri;
}

function entry(uri: SipUri): string {
  const u = uri.clone();
  u.params.set('lr', null);
  return new NameAddr(u).toString();
}

/**
 * Prepends our Record-Route entries, with `lr`: one, or two when `outbound`
 * differs from `inbound` — the outbound one on top, since the callee's route
 * set starts from the top (§12.1.1) and the caller's from the bottom.
 */
export function addRecordRoute(request: SipRequest, uris: RecordRouteUris): void {
  request.prepend('Record-Route', entry(uris.inbound));
  if (uris.outbound !== undefined && uris.outbound.toString() !== uris.inbound.toString()) {
    request.prepend('Record-Route', entry(uris.outbound));
  }
}
