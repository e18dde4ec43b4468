/**
 * Shared types of the RFC 3263 server locator.
 *
 * The locator declares the DNS it needs ({@link DnsResolver}); the composition
 * root may pass any object with these four methods, and by default a
 * `node:dns/promises` `Resolver` is used.
 */
import type { NaptrRecord, RecordWithTtl, SrvRecord } from 'node:dns';

/** SIP transports the locator can name (RFC 3261 §18, RFC 4168, RFC 7118). */
export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';

/** Every {@link Transport}, for validation. */
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'wss', 'sctp'];

/** IP family of a resolved address. */
export type IpFamily = 4 | 6;

/**
 * What to locate, as the caller derived it from a SIP or SIPS URI
 * (RFC 3263 §4: TARGET is `maddr` when present, otherwise the host).
 */
export interface LocateTarget {
  /** URI host: a domain name, an IPv4 address or an IPv6 reference (brackets optional). */
  host: string;
  /** Explicit URI port; when present no SRV query is made (RFC 3263 §4.2). */
  port?: number;
  /** URI `transport` parameter; when present no NAPTR query is made (RFC 3263 §4.1). */
  transport?: Transport;
  /** True for a `sips:` URI: only TLS-protected transports are returned (RFC 3263 §4.1). */
  secure: boolean;
  /** URI `maddr` parameter; overrides `host` as TARGET (RFC 3263 §4). */
  maddr?: string;
}

/** One next hop to try; the locator returns them in the order to try them (RFC 3263 §4.3). */
export interface SipTarget {
  transport: Transport;
  /** Numeric IP address, IPv6 without brackets. */
  address: string;
  port: number;
  family: IpFamily;
  /**
   * For TLS and WSS targets reached through a domain name: the domain the
   * server certificate must match, which is the URI's, not the SRV target's
   * (RFC 5922 §4).
   */
  serverName?: string;
}

/**
 * The DNS the locator needs. The shapes are those of `node:dns/promises`
 * `Resolver`, so an instance of it satisfies this interface as is.
 * A name that does not exist or has no record of the type must reject with an
 * error whose `code` is `ENOTFOUND` or `ENODATA`, as node's resolver does.
 */
export interface DnsResolver {
  resolveNaptr(hostname: string): Promise<NaptrRecord[]>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

export type { NaptrRecord, RecordWithTtl, SrvRecord };

/**
 * Default ports when neither the URI nor an SRV record gives one:
 * 5060 for SIP over UDP, TCP and SCTP, 5061 for TLS (RFC 3261 §19.1.2);
 * WebSocket URIs default to 80 and 443 (RFC 6455 §3), which RFC 7118 leaves as is.
 */
export const DEFAULT_PORTS: Readonly<Record<Transport, number>> = {
  udp: 5060,
  tcp: 5060,
  sctp: 5060,
  tls: 5061,
  ws: 80,
  wss: 443,
};

/** True for transports protected by TLS, the only ones a SIPS URI may use (RFC 3261 §26.2.2). */
export function isSecureTransport(transport: Transport): boolean {
  return transport === 'tls' || transport === 'wss';
}

/** True for connection-oriented transports (RFC 3261 §18.2.2, RFC 7118 §5). */
export function isReliableTransport(transport: Transport): boolean {
  return transport !== 'udp';
}
