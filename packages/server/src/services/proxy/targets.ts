/**
 * Where a proxied request goes (RFC 3261 §16.5, RFC 5626 §5.3).
 *
 * A device is reached over the flow it registered on when that flow is still
 * open (the only way to reach a browser over WebSocket or a phone behind NAT
 * over TCP), over UDP at the address its REGISTER came from (its NAT
 * binding), else at its Contact URI.
 */
import { isIP } from 'node:net';
import { parseUri, SipUri, type Uri } from '@parley/sip';
import type { ServerLocator } from '@parley/sip/locator';
import type { SendTarget } from '@parley/sip/transaction';
import type { Binding } from '../registrar/index.js';

/** The address of a URI (Route or Request-URI): host, port, transport, maddr (RFC 3263 §4 without DNS). */
export function uriTarget(uri: Uri): SendTarget | undefined {
  if (!(uri instanceof SipUri)) return undefined;
  const host = uri.params.get('maddr') ?? uri.host;
  let protocol = (uri.params.get('transport') ?? (uri.scheme === 'sips' ? 'tls' : 'udp')).toLowerCase();
  if (uri.scheme === 'sips' && protocol === 'tcp') protocol = 'tls';
  const port = uri.port ?? (protocol === 'tls' ? 5061 : protocol === 'ws' ? 80 : protocol === 'wss' ? 443 : 5060);
  return { protocol, host: host.replace(/^\[|\]$/g, ''), port };
}

/** The target of a registered device. `isOpen(flowId)` tells whether a connection still exists. */
export function bindingTarget(b: Binding, isOpen: (flowId: string) => boolean): SendTarget | undefined {
  const f = b.flow;
  if (f) {
    if (f.protocol === 'udp') return { protocol: 'udp', host: f.remoteAddress, port: f.remotePort };
    if (f.connectionId && isOpen(f.connectionId)) return { flowId: f.connectionId };
    // A WebSocket client or an RFC 5626 flow cannot be reached any other way.
    if (f.protocol === 'ws' || f.protocol === 'wss' || b.regId !== null) return undefined;
  }
  try {
    return uriTarget(parseUri(b.contactUri));
  } catch {
    return undefined;
  }
}

/**
 * The address of a URI with RFC 3263 server location (NAPTR, SRV, A/AAAA)
 * when its host is a name; undefined when it cannot be resolved.
 */
export async function resolveUriTarget(uri: Uri, locator: ServerLocator): Promise<SendTarget | undefined> {
  const direct = uriTarget(uri);
  if (!direct || 'flowId' in direct || isIP(direct.host) !== 0) return direct;
  const u = uri as SipUri;
  try {
    const transport = u.params.get('transport')?.toLowerCase();
    const found = await locator.locate({
      host: u.hostname,
      port: u.port,
      transport: transport as Parameters<ServerLocator['locate']>[0]['transport'],
      secure: u.scheme === 'sips',
      maddr: u.params.get('maddr') ?? undefined,
    });
    const first = found[0];
    return first ? { protocol: first.transport, host: first.address, port: first.port } : undefined;
  } catch {
    return undefined;
  }
}
