/**
 * Forwarding responses (RFC 3261 §16.7 step 3 and 9; §18.2.2 for where a
 * response goes when no transaction remembers it).
 */
import type { Via } from '../../grammar/via.js';
import { SipResponse } from '../../message/message.js';
import type { AddressTarget } from '../../transaction/transport.js';

/** A copy of a response (headers in order, body). */
export function cloneResponse(response: SipResponse, status = response.status, reason = response.reason): SipResponse {
  return new SipResponse(status, reason, response.headers(), Buffer.from(response.body));
}

/**
 * §16.7 step 3 / 9: the response to forward upstream — a copy without our
 * top Via — or undefined when no Via is left (the response was for us).
 */
export function stripTopVia(response: SipResponse): SipResponse | undefined {
  const copy = cloneResponse(response);
  copy.removeFirst('via');
  return copy.has('via') ? copy : undefined;
}

/**
 * §18.2.2 (with RFC 3581 §4): where a response goes by its top Via, for
 * stateless forwarding — maddr; else `received` (or sent-by) and `rport`
 * (or sent-by port, or 5060/5061).
 */
export function viaResponseTarget(via: Via): AddressTarget {
  const protocol = via.transport.toLowerCase();
  const defaultPort = protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
  if (via.maddr !== undefined) return { protocol, host: via.maddr, port: via.port ?? defaultPort };
  const host = (via.received ?? via.host).replace(/^\[|\]$/g, '');
  const rport = via.rport;
  const port = typeof rport === 'number' ? rport : via.port ?? defaultPort;
  return { protocol, host, port };
}
