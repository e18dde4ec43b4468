/**
 * Numeric hosts skip DNS entirely (RFC 3263 §4.1, §4.2). SIP writes IPv6
 * addresses in brackets in host positions (RFC 3261 §25.1 `IPv6reference`)
 * and without them in `received` (RFC 3261 §18.2.1); both are accepted.
 */
import { isIP } from 'node:net';
import type { IpFamily } from './types.js';

/** Removes the brackets of an IPv6 reference, if any. */
export function stripBrackets(host: string): string {
  return host.length > 1 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The address and family of a numeric host, or `null` for a domain name. */
export function parseIpLiteral(host: string): { address: string; family: IpFamily } | null {
  const bare = stripBrackets(host);
  const family = isIP(bare);
  if (family === 4 || family === 6) return { address: bare, family };
  return null;
}

/** True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 (RFC 3261 §18.2.2 `ttl` applies to these). */
export function isMulticast(address: string, family: IpFamily): boolean {
  if (family === 6) return /^ff/i.test(address);
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}
