/**
 * What the transaction layer needs from a transport (RFC 3261 §18) — and
 * nothing more (SIP.js `core/transport.ts` style). The server adapts the real
 * transport to it; tests use an in-memory wire. The shapes of
 * {@link SendTarget} and {@link FlowInfo} are those of `transport/` (a flow
 * id, or protocol + host + port), so the adapter is a one-liner.
 */
import type { SipMessage } from '../message/message.js';

/** Send to an address already chosen (RFC 3263). `protocol` is lower case: udp, tcp, tls, ws, wss. */
export interface AddressTarget {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
}

/** Send over a known flow (RFC 3261 §18.2.2, RFC 5626 §5.3). */
export interface FlowTarget {
  readonly flowId: string;
}

export type SendTarget = AddressTarget | FlowTarget;

/**
 * The transport information of an incoming message, handed back to the core
 * untouched (structurally the transport's `Flow`).
 */
export interface FlowInfo {
  readonly id: string;
  readonly protocol: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

export interface TransactionTransport {
  /**
   * Serializes and sends. Rejects on a transport failure (ICMP error,
   * connection refused or lost), which the transaction turns into a report
   * to its TU (§17.1.4, §17.2.4).
   */
  send(message: SipMessage, target: SendTarget): Promise<unknown>;
  /** True when `protocol` is reliable: no retransmissions, timers D/I/J/K zero (§17). */
  reliable(protocol: string): boolean;
}

export function isFlowTarget(target: SendTarget): target is FlowTarget {
  return typeof (target as FlowTarget).flowId === 'string';
}

/** The usual reliability rule: everything but UDP (and DTLS over UDP) is reliable. */
export function isReliableProtocol(protocol: string): boolean {
  const p = protocol.toLowerCase();
  return p !== 'udp' && p !== 'dtls-udp';
}
