/**
 * Hosts (RFC 3261 §25.1 `host = hostname / IPv4address / IPv6reference`) and
 * the IPv6 rules of RFC 5118.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type HostKind = 'name' | 'ipv4' | 'ipv6';

/**
 * Classify and validate a host as it appears in a URI or Via sent-by. IPv6
 * addresses must be in brackets here (RFC 3261 §19.1.1, RFC 5118 §4.1).
 * Returns undefined when the text is not a valid host.
 */
export function classifyHost(h: string): HostKind | undefined {
  if (h.length === 0) return undefined;
  if (h.charCodeAt(0) === 91 /* [ */) {
    if (h.charCodeAt(h.length - 1) !== 93) return undefined;
    return isIPv6(h.slice(1, -1)) ? 'ipv6' : undefined;
  }
  const c0 = h.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && isIPv4(h)) return 'ipv4';
  return isHostname(h) ? 'name' : undefined;
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ]. We accept a top label that
 * starts with a digit (common in private networks; RFC 1123 relaxed RFC 952)
 * but not one that is all digits, so a bad dotted quad is not taken for a name.
 */
export function isHostname(h: string): boolean {
  let labelStart = 0;
  let allDigitsLast = true;
  const n = h.charCodeAt(h.length - 1) === 46 ? h.length - 1 : h.length;
  if (n === 0) return false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 46;
    if (c === 46) {
      const len = i - labelStart;
      if (len === 0 || len > 63) return false;
      if (h.charCodeAt(labelStart) === 45 || h.charCodeAt(i - 1) === 45) return false;
      labelStart = i + 1;
      if (i < n) allDigitsLast = true;
      continue;
    }
    const isDigit = c >= 48 && c <= 57;
    const isAlpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!isDigit && !isAlpha && c !== 45 && c !== 95 /* _ seen in the wild (SRV-like names) */) return false;
    if (!isDigit) allDigitsLast = false;
  }
  return !allDigitsLast;
}

/** An IPv6 address or reference in a Via received/maddr: brackets optional (RFC 5118 §4.5). */
export function isIpAddress(h: string): boolean {
  if (isIPv4(h)) return true;
  if (h.startsWith('[') && h.endsWith(']')) return isIPv6(h.slice(1, -1));
  return isIPv6(h);
}

/** Strip brackets from an IPv6 reference. */
export function bareHost(h: string): string {
  return h.charCodeAt(0) === 91 && h.charCodeAt(h.length - 1) === 93 ? h.slice(1, -1) : h;
}

/**
 * Split "host[:port]" where host may be an IPv6 reference. Returns undefined
 * when the port is not a number in 0..65535 or the host is invalid.
 */
export function parseHostPort(s: string): { host: string; port: number | undefined } | undefined {
  let host: string;
  let rest: string;
  if (s.charCodeAt(0) === 91) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    host = s.slice(0, close + 1);
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
  }
  if (classifyHost(host) === undefined) return undefined;
  if (rest.length === 0) return { host, port: undefined };
  if (rest.charCodeAt(0) !== 58) return undefined;
  const p = rest.slice(1);
  if (p.length === 0 || p.length > 5) return undefined;
  let port = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    port = port * 10 + (c - 48);
  }
  if (port > 65535) return undefined;
  return { host, port };
}
