/**
 * What the SIP stack needs from a transport (RFC 3261 §18), and nothing more.
 *
 * Transports move framed bytes plus addressing; the layer above parses. The
 * transaction layer depends on {@link Transport} and {@link TransportDelegate}
 * only, so it can be tested over an in-memory wire.
 */
import type { TransportError } from './errors.js';

/** The five SIP transports: RFC 3261 §18 (udp, tcp, tls) and RFC 7118 (ws, wss). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Connection-oriented transports: those with a connection table. */
export type ConnectionProtocol = Exclude<TransportProtocol, 'udp'>;

export const TRANSPORT_PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/**
 * A flow: the 5-tuple over which a message came in, and over which the upper
 * layer can reach that peer back (RFC 5626 §3 "flow"; RFC 5923 connection reuse;
 * RFC 3261 §18.2.2 responses go back over the connection the request came on).
 *
 * `id` is what the upper layer stores (a registration binding, a dialog's
 * route set): for tcp/tls/ws/wss it names one connection; for udp it is a
 * synthetic key of the local socket and remote address, valid as long as that
 * local socket is open.
 */
export interface Flow {
  readonly id: string;
  readonly protocol: TransportProtocol;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Who the peer proved to be when the connection was set up, outside SIP —
   * e.g. a web session presented on the WebSocket upgrade (see
   * `TransportManager.attach`'s `identify`). Undefined for most flows; the
   * stack never sets it by itself.
   */
  readonly identity?: string;
  /** What proved {@link identity} (e.g. a session's key), opaque to the stack: lets the server revoke it. */
  readonly credential?: string;
}

/** One framed SIP message (or one datagram / one WebSocket message), unparsed. */
export interface InboundMessage {
  readonly data: Buffer;
  readonly flow: Flow;
  /** `Date.now()` when the last byte arrived. */
  readonly receivedAt: number;
}

/** Send to an address (RFC 3263 has already chosen it) — reusing an open connection (RFC 5923). */
export interface AddressTarget {
  readonly protocol: TransportProtocol;
  /** IP literal (IPv6 with or without brackets) or host name. */
  readonly host: string;
  readonly port: number;
}

/** Send over a known flow (RFC 5626 §5.3, RFC 3261 §18.2.2). */
export interface FlowTarget {
  readonly flowId: string;
}

export type SendTarget = AddressTarget | FlowTarget;

/**
 * Upward reports (typed callbacks, never an untyped emitter). A throwing
 * callback cannot break the transport: its error goes to `onError`.
 */
export interface TransportDelegate {
  onMessage?(message: InboundMessage): void;
  onFlowOpened?(flow: Flow): void;
  /** `reason.code` says why: `closed` (peer or local close), `idle`, `framing`, `backpressure`, … */
  onFlowClosed?(flow: Flow, reason: TransportError): void;
  /** Listener-level trouble and throwing delegates; never fatal to the transport. */
  onError?(error: Error, flow?: Flow): void;
}

/**
 * The interface the stack declares (SIP.js `core/transport.ts` style: small).
 * `send` resolves with the flow used once the bytes are handed to the socket;
 * it rejects with a {@link TransportError} the transaction layer turns into a
 * 503 or a timeout (RFC 3261 §17.1.4).
 */
export interface Transport {
  send(data: Buffer | string, target: SendTarget): Promise<Flow>;
}

export function isFlowTarget(target: SendTarget): target is FlowTarget {
  return typeof (target as FlowTarget).flowId === 'string';
}
