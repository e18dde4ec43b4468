/**
 * `received` and `rport` on the top Via of an incoming request (RFC 3261
 * §18.2.1; RFC 3581 §4), so the response goes back where the request came
 * from. Done before the transaction layer sees the request.
 */
import type { SipRequest } from '../../message/message.js';
import { isIpAddress } from '../../grammar/host.js';
import { replaceTopVia } from '../via.js';

export interface PacketSource {
  readonly remoteAddress: string;
  readonly remotePort: number;
}

function sameAddress(a: string, b: string): boolean {
  return a.replace(/^\[|\]$/g, '').toLowerCase() === b.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Adds `received` when the sent-by host is a name or another address than
 * the packet's source (§18.2.1), and fills an empty `rport` with the source
 * port — adding `received` in that case even when equal (RFC 3581 §4).
 * Returns true when the Via changed.
 */
export function addReceived(request: SipRequest, source: PacketSource): boolean {
  const via = request.topVia.clone();
  const addr = source.remoteAddress.replace(/^\[|\]$/g, '');
  const rport = via.rport;
  const needsReceived = !isIpAddress(via.host) || !sameAddress(via.host, addr);
  if (!needsReceived && rport !== null) return false;
  if (needsReceived || rport === null) via.params.set('received', addr);
  if (rport === null) via.params.set('rport', String(source.remotePort));
  replaceTopVia(request, via);
  return true;
}
