/**
 * Counters for metrics. `snapshot()` returns a plain object the server maps to
 * Prometheus (counters and, for `connectionsOpen`, a gauge).
 */
import type { ConnectionProtocol, TransportProtocol } from './transport.js';

export interface TransportStats {
  messagesIn: Record<TransportProtocol, number>;
  messagesOut: Record<TransportProtocol, number>;
  bytesIn: Record<TransportProtocol, number>;
  bytesOut: Record<TransportProtocol, number>;
  /** Gauge: connections open now. */
  connectionsOpen: Record<ConnectionProtocol, number>;
  connectionsAccepted: number;
  connectionsConnected: number;
  /** Inbound connections refused by a limit, and WebSocket upgrades refused. */
  connectionsRejected: number;
  framingErrors: number;
  /** Sends failed with `backpressure`, and flows closed for staying stuck. */
  backpressureDrops: number;
  /** Inbound datagrams or WebSocket messages over the size limit. */
  oversizedDrops: number;
  idleTimeouts: number;
  /** CRLF pings (streams) and CRLF-only datagrams received. */
  keepAlivesIn: number;
  stunRequests: number;
  sendFailures: number;
}

const perProtocol = (): Record<TransportProtocol, number> => ({ udp: 0, tcp: 0, tls: 0, ws: 0, wss: 0 });

export class TransportCounters {
  readonly s: TransportStats = {
    messagesIn: perProtocol(),
    messagesOut: perProtocol(),
    bytesIn: perProtocol(),
    bytesOut: perProtocol(),
    connectionsOpen: { tcp: 0, tls: 0, ws: 0, wss: 0 },
    connectionsAccepted: 0,
    connectionsConnected: 0,
    connectionsRejected: 0,
    framingErrors: 0,
    backpressureDrops: 0,
    oversizedDrops: 0,
    idleTimeouts: 0,
    keepAlivesIn: 0,
    stunRequests: 0,
    sendFailures: 0,
  };

  received(protocol: TransportProtocol, bytes: number): void {
    this.s.messagesIn[protocol]++;
    this.s.bytesIn[protocol] += bytes;
  }

  sent(protocol: TransportProtocol, bytes: number): void {
    this.s.messagesOut[protocol]++;
    this.s.bytesOut[protocol] += bytes;
  }

  snapshot(): TransportStats {
    return structuredClone(this.s);
  }
}
