/**
 * The next hop of a request without DNS (RFC 3261 §8.1.2, §18.1.1): the
 * first Route URI, else the Request-URI; its maddr, port and transport
 * parameters. The server replaces this with RFC 3263 location (NAPTR/SRV)
 * through the UA core's `resolve` option.
 */
import { parseNameAddr } from '../grammar/name-addr.js';
import { SipUri } from '../grammar/uri.js';
import type { SipRequest } from '../message/message.js';
import type { AddressTarget } from '../transaction/transport.js';

export function defaultNextHop(request: SipRequest): AddressTarget {
  const route = request.getAll('route')[0];
  const uri = route === undefined ? request.uri : parseNameAddr(route, 'route').uri;
  if (!(uri instanceof SipUri)) throw new TypeError(`no next hop for a ${uri.toString().split(':')[0]} URI without a locator`);
  const secure = uri.scheme === 'sips';
  const transport = (uri.params.get('transport') ?? (secure ? 'tls' : 'udp')).toLowerCase();
  const protocol = secure && transport === 'tcp' ? 'tls' : transport;
  const host = uri.params.get('maddr') ?? uri.hostname;
  const port = uri.port ?? (protocol === 'tls' || protocol === 'wss' ? 5061 : 5060);
  return { protocol, host: host.replace(/^\[|\]$/g, ''), port };
}
