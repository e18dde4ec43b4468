/**
 * Tunables of the transport manager, with defaults. Every limit exists so that
 * one peer cannot make the process hold unbounded memory or sockets.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { DEFAULT_FRAMER_LIMITS, type StreamFramerLimits } from './stream-framer.js';

export interface TransportOptions {
  /** Stream framing limits (RFC 3261 §18.3); the WebSocket payload limit is their sum. */
  readonly framer: StreamFramerLimits;
  /** Largest UDP datagram accepted or sent; larger inbound ones are dropped and counted. */
  readonly maxDatagramBytes: number;
  /**
   * UDP socket receive and send buffers (SO_RCVBUF/SO_SNDBUF). A server that
   * sends a NOTIFY to 120 watchers at once gets 120 answers at once: with the
   * kernel default (about 208 KiB) a burst overflows and is dropped, then
   * waits for retransmission (measured: 18–44 % loss in bench/user-model).
   * The kernel caps the value at net.core.rmem_max / wmem_max. 0 = default.
   */
  readonly udpBufferBytes: number;
  /** Close a connection after this long without traffic; 0 = never. Overridable per flow. */
  readonly idleTimeoutMs: number;
  /** Inbound connections from one source IP; excess are refused. */
  readonly maxConnectionsPerIp: number;
  /** Inbound connections in total; excess are refused. */
  readonly maxConnections: number;
  /** When a flow's unsent bytes exceed this, further sends fail with `backpressure`. */
  readonly maxBufferedBytes: number;
  /** A flow over `maxBufferedBytes` for this long is closed. */
  readonly backpressureTimeoutMs: number;
  /** Outbound connect (and TLS / WebSocket handshake) deadline. */
  readonly connectTimeoutMs: number;
  /** Inbound TLS handshake deadline. */
  readonly tlsHandshakeTimeoutMs: number;
  /** WebSocket ping interval; a peer that has not answered the previous ping is closed. 0 = off. */
  readonly wsPingIntervalMs: number;
  /** Request path for outbound ws/wss connections. */
  readonly wsClientPath: string;
  /** TLS options for outbound tls/wss (CA, client certificate, …). */
  readonly tlsClient: TlsConnectionOptions;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
  framer: DEFAULT_FRAMER_LIMITS,
  maxDatagramBytes: 65507,
  udpBufferBytes: 4 * 1024 * 1024,
  idleTimeoutMs: 300_000,
  maxConnectionsPerIp: 256,
  maxConnections: 50_000,
  maxBufferedBytes: 1024 * 1024,
  backpressureTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  tlsHandshakeTimeoutMs: 10_000,
  wsPingIntervalMs: 30_000,
  wsClientPath: '/',
  tlsClient: {},
};

export type TransportOptionsInput = Partial<Omit<TransportOptions, 'framer'>> & {
  readonly framer?: Partial<StreamFramerLimits>;
};

export function resolveOptions(input: TransportOptionsInput = {}): TransportOptions {
  const options: TransportOptions = {
    ...DEFAULT_TRANSPORT_OPTIONS,
    ...input,
    framer: { ...DEFAULT_TRANSPORT_OPTIONS.framer, ...input.framer },
  };
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
      throw new TypeError(`transport option ${name} must be a finite number >= 0`);
    }
  }
  return options;
}
