/**
 * Where a proxied request goes, and the Via the proxy puts on it.
 *
 * A device is reached over the flow it registered on when that flow is still
 * open (RFC 5626 §5.3; the only way to reach a browser over WebSocket or a
 * phone behind NAT over TCP), over UDP at the address its REGISTER came from
 * (the NAT binding, RFC 3581 spirit), else at its Contact URI (§16.5).
 */
import { createHash } from 'node:crypto';
import { BRANCH_COOKIE, parseUri, SipUri, type SipRequest, type Uri } from '@parley/sip';
import type { SendTarget } from '@parley/sip/transaction';
import type { Binding } from '../registrar/index.js';

export interface LocalAddress {
  host: string;
  /** Listening ports by protocol. */
  ports: Record<string, number>;
}

/** The send target for a URI (Route or Request-URI): its host, port and transport (RFC 3263 §4 without DNS). */
export function uriTarget(uri: Uri): SendTarget | undefined {
  if (!(uri instanceof SipUri)) return undefined;
  const maddr = uri.params.get('maddr');
  const host = maddr ?? uri.host;
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
    if (f.protocol === 'ws' || f.protocol === 'wss' || b.regId !== null) return undefined; // the flow was the only way
  }
  const u = parseUriSafe(b.contactUri);
  return u ? uriTarget(u) : undefined;
}

function parseUriSafe(text: string): Uri | undefined {
  try {
    return parseUri(text);
  } catch {
    return undefined;
  }
}

/** The protocol a target will be reached over. */
export function targetProtocol(t: SendTarget, flowProtocol: (flowId: string) => string | undefined): string {
  if ('flowId' in t) return flowProtocol(t.flowId) ?? 'udp';
  return t.protocol.toLowerCase();
}

/**
 * A branch id for a stateful proxy: random is enough (§16.6 step 8 allows it);
 * loop detection uses {@link loopHash} in the branch (§16.6 step 8, RFC 5393 §4).
 */
export function proxyBranch(req: SipRequest, rand: string): string {
  return `${BRANCH_COOKIE}${loopHash(req)}.${rand}`;
}

/**
 * A hash of what makes a request's route (RFC 3261 §16.6 step 8): the
 * Request-URI, To/From tags, Call-ID, CSeq number, top Via and Route/
 * Proxy-Require. Seeing our own Via with the same hash means a loop (§16.3
 * item 4); a different hash is a spiral, which is fine.
 */
export function loopHash(req: SipRequest): string {
  const h = createHash('sha1');
  h.update(req.requestUri);
  h.update('\n' + (req.get('from') ?? ''));
  h.update('\n' + (req.to.tag ?? ''));
  h.update('\n' + req.callId);
  h.update('\n' + req.cseq.seq);
  h.update('\n' + (req.get('proxy-require') ?? ''));
  h.update('\n' + (req.get('route') ?? ''));
  return h.digest('base64url').slice(0, 12).replace(/_/g, '.');
}

/** Our Via for a request leaving over `protocol`. */
export function viaFor(local: LocalAddress, protocol: string, branch: string): string {
  const p = protocol.toLowerCase();
  const port = local.ports[p] ?? local.ports.udp;
  const host = local.host.includes(':') ? `[${local.host}]` : local.host;
  return `SIP/2.0/${p.toUpperCase()} ${host}:${port};branch=${branch};rport`;
}
