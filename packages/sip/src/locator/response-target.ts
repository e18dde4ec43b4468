/**
 * Where to send a response: RFC 3261 §18.2.2 with RFC 3581 §4 (`rport`).
 * A pure function of the top Via's values; no DNS. When the answer names a
 * domain (`family: null`), resolve it by RFC 3263 §5 with
 * `ServerLocator.locateResponseFallback`.
 */
import { LocatorError } from './errors.js';
import { isMulticast, parseIpLiteral, stripBrackets } from './ip-literal.js';
import { DEFAULT_PORTS, TRANSPORTS, isReliableTransport, type IpFamily, type Transport } from './types.js';

/** The top Via header field value, as plain values. */
export interface ResponseVia {
  /** Transport token of `sent-protocol`: UDP, TCP, TLS, SCTP, WS, WSS (any case). */
  transport: string;
  /** sent-by host; an IPv6 reference may keep its brackets. */
  host: string;
  /** sent-by port, if present. */
  port?: number;
  /** `received` parameter (RFC 3261 §18.2.1). */
  received?: string;
  /** `rport` parameter: its value, or `true` when present without one (RFC 3581 §4). */
  rport?: number | true;
  /** `maddr` parameter. */
  maddr?: string;
  /** `ttl` parameter, for a multicast `maddr`. */
  ttl?: number;
}

/** Source address and port of the request, as the transport saw them. */
export interface RequestSource {
  address: string;
  port: number;
}

export interface ResponseTarget {
  transport: Transport;
  /** IP address, or a domain name when `family` is `null`. */
  host: string;
  port: number;
  family: IpFamily | null;
  /**
   * Reliable transports: send over the connection the request came on while
   * it is open; `host`/`port` are where to open a new one otherwise
   * (RFC 3261 §18.2.2). WebSocket peers cannot accept one (RFC 7118 §5).
   */
  reuseConnection: boolean;
  /** TTL for a multicast `maddr`: the `ttl` parameter, or 1 (RFC 3261 §18.2.2). */
  multicastTtl?: number;
}

/** Maps a Via transport token to a {@link Transport}, or throws `UNSUPPORTED_TRANSPORT`. */
export function parseViaTransport(token: string): Transport {
  const transport = token.toLowerCase() as Transport;
  if (!TRANSPORTS.includes(transport)) {
    throw new LocatorError('UNSUPPORTED_TRANSPORT', `unsupported Via transport ${token}`);
  }
  return transport;
}

/**
 * The destination of a response to a request whose top Via is `via`
 * (RFC 3261 §18.2.2, RFC 3581 §4), tried in this order:
 * 1. reliable transport: the request's connection, else `received` (or sent-by)
 *    at sent-by's port or the transport's default;
 * 2. `maddr`: that address at sent-by's port or the default, with the TTL;
 * 3. `received` and `rport`: there (`rport` without value needs `source`,
 *    whose port the transport should have written into it);
 * 4. `received`: there, at sent-by's port or the default;
 * 5. sent-by itself (a domain name is then resolved by RFC 3263 §5).
 */
export function locateResponseTarget(via: ResponseVia, source?: RequestSource): ResponseTarget {
  if (typeof via?.host !== 'string' || via.host === '') throw new TypeError('via.host must be a non-empty string');
  checkPort(via.port, 'via.port');
  if (via.rport !== undefined && via.rport !== true) checkPort(via.rport, 'via.rport');
  if (source !== undefined) checkPort(source.port, 'source.port');
  const transport = parseViaTransport(via.transport);
  const sentByPort = via.port ?? DEFAULT_PORTS[transport];

  if (isReliableTransport(transport)) {
    return target(transport, via.received ?? via.host, sentByPort, true);
  }
  if (via.maddr !== undefined) {
    const result = target(transport, via.maddr, sentByPort, false);
    if (result.family !== null && isMulticast(result.host, result.family)) result.multicastTtl = via.ttl ?? 1;
    return result;
  }
  if (via.rport === true) {
    if (source === undefined) throw new TypeError('an rport without value needs the request source');
    return target(transport, via.received ?? source.address, source.port, false);
  }
  if (via.rport !== undefined) return target(transport, via.received ?? via.host, via.rport, false);
  return target(transport, via.received ?? via.host, sentByPort, false);
}

function target(transport: Transport, host: string, port: number, reuseConnection: boolean): ResponseTarget {
  const ip = parseIpLiteral(host);
  return ip === null
    ? { transport, host: stripBrackets(host), port, family: null, reuseConnection }
    : { transport, host: ip.address, port, family: ip.family, reuseConnection };
}

function checkPort(port: number | undefined, name: string): void {
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new TypeError(`${name} must be an integer in 1..65535`);
  }
}
