/**
 * Address helpers: host normalisation for the connection table, UDP flow ids,
 * and IPv6 text → bytes (for STUN XOR-MAPPED-ADDRESS, RFC 5389 §15.2).
 */
import { isIP } from 'node:net';
import type { ConnectionProtocol, TransportProtocol } from './transport.js';

/** Strips IPv6 brackets, lower-cases, and unmaps `::ffff:a.b.c.d` so one peer has one key. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.startsWith('::ffff:') && isIP(h.slice(7)) === 4) h = h.slice(7);
  return h;
}

/** Connection-table key for RFC 5923 reuse: one open connection per protocol and remote host:port. */
export function remoteKey(protocol: ConnectionProtocol, host: string, port: number): string {
  return `${protocol}|${normalizeHost(host)}|${port}`;
}

const UDP_PREFIX = 'udp/';

/**
 * A UDP "flow" has no connection: its id names the local socket and the remote
 * address (RFC 5626 §3: the flow is the 5-tuple), so it needs no table.
 */
export function udpFlowId(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${UDP_PREFIX}${localAddress}/${localPort}/${remoteAddress}/${remotePort}`;
}

export interface UdpFlowAddress {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export function parseUdpFlowId(id: string): UdpFlowAddress | null {
  if (!id.startsWith(UDP_PREFIX)) return null;
  const parts = id.slice(UDP_PREFIX.length).split('/');
  if (parts.length !== 4) return null;
  const [localAddress, lp, remoteAddress, rp] = parts;
  const localPort = Number(lp);
  const remotePort = Number(rp);
  if (!isIP(localAddress) || !isIP(remoteAddress) || !isPort(localPort) || !isPort(remotePort)) return null;
  return { localAddress, localPort, remoteAddress, remotePort };
}

export function isPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

export function isConnectionProtocol(protocol: TransportProtocol): protocol is ConnectionProtocol {
  return protocol !== 'udp';
}

/** 16 bytes of an IPv6 literal (with `::`, embedded IPv4, optional `%zone`), or null. */
export function ipv6Bytes(address: string): Buffer | null {
  const text = address.split('%')[0];
  if (isIP(text) !== 6) return null;
  const out = Buffer.alloc(16);
  const halves = text.split('::');
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number);
        words.push((a << 8) | b, (c << 8) | d);
      } else {
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  const head = groups(halves[0]);
  const tail = halves.length > 1 ? groups(halves[1]) : [];
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}
