/**
 * The names a certificate is issued for, as subjectAltName entries (RFC 5280
 * §4.2.1.6): DNS names and IP addresses, in a canonical form so that the
 * configured names can be compared with those of an existing certificate.
 */
import { isIP } from 'node:net';

/** One subjectAltName entry. */
export interface SanEntry {
  readonly type: 'dns' | 'ip';
  readonly value: string;
}

/** An IP address in one spelling: IPv6 compressed and lower case (`0:0::1` → `::1`). */
export function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // The WHATWG URL parser serialises IPv6 hosts canonically (RFC 5952).
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/**
 * The SAN entries for `names`: IP addresses as `ip`, the rest as `dns`,
 * lower case, duplicates dropped, order kept.
 * @throws TypeError when no usable name is given
 */
export function sanEntries(names: readonly string[]): SanEntry[] {
  const seen = new Set<string>();
  const entries: SanEntry[] = [];
  for (const raw of names) {
    if (typeof raw !== 'string') throw new TypeError('certificate names must be strings');
    const name = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (name === '') continue;
    const entry: SanEntry = isIP(name) ? { type: 'ip', value: canonicalIp(name) } : { type: 'dns', value: name };
    const key = sanKey(entry);
    if (!seen.has(key)) {
      seen.add(key);
      entries.push(entry);
    }
  }
  if (entries.length === 0) throw new TypeError('a certificate needs at least one name');
  return entries;
}

function sanKey(entry: SanEntry): string {
  return `${entry.type}:${entry.type === 'ip' ? canonicalIp(entry.value) : entry.value.toLowerCase()}`;
}

/** True when both lists name the same DNS names and addresses, in any order. */
export function sameSans(a: readonly SanEntry[], b: readonly SanEntry[]): boolean {
  const left = new Set(a.map(sanKey));
  const right = new Set(b.map(sanKey));
  return left.size === right.size && [...left].every((k) => right.has(k));
}
