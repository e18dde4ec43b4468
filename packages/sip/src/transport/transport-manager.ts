/**
 * The transport manager: owns the listeners of every protocol and the
 * connection table, and implements {@link Transport} for the stack above.
 *
 * Ownership tree (close cascades down, idempotently):
 *
 * ```
 * TransportManager
 *   ├── UdpListener ×n        (one socket per bound address)
 *   ├── StreamListener ×n     (tcp, tls servers)
 *   ├── WsListener ×n         (own ws/wss servers, or attached to an HTTP(S) server)
 *   └── Connection ×n         (StreamConnection, WsConnection; inbound and outbound)
 * ```
 *
 * Sending (RFC 3261 §18.1.1, §18.2.2; RFC 5923): to a flow id, over that flow;
 * to an address, over an open connection to it if there is one, else a new
 * client connection (tcp/tls/ws/wss) or a datagram from the UDP listener of
 * that address family.
 */
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { WebSocket } from 'ws';
import { isConnectionProtocol, isPort, normalizeHost, parseUdpFlowId, remoteKey } from './addresses.js';
import type { Connection, ConnectionHooks, ConnectionLimits } from './connection.js';
import { ConnectionTable } from './connection-table.js';
import { TransportError } from './errors.js';
import { resolveOptions, type TransportOptions, type TransportOptionsInput } from './options.js';
import { TransportCounters, type TransportStats } from './stats.js';
import { StreamConnection } from './stream-connection.js';
import { StreamListener } from './stream-listener.js';
import {
  TRANSPORT_PROTOCOLS,
  isFlowTarget,
  type ConnectionProtocol,
  type Flow,
  type SendTarget,
  type Transport,
  type TransportDelegate,
  type TransportProtocol,
} from './transport.js';
import { UdpListener } from './udp-listener.js';
import { WsConnection } from './ws-connection.js';
import { WsListener, type UpgradeIdentifier, type UpgradeIdentity } from './ws-listener.js';

export interface ListenOptions {
  readonly protocol: TransportProtocol;
  /** IP address to bind (udp needs one; tcp/tls/ws/wss also take a host name). */
  readonly host: string;
  /** 0 for an ephemeral port. */
  readonly port: number;
  /** Certificate for tls and wss. */
  readonly tls?: TlsOptions;
  /** ws/wss: the request path taking SIP upgrades (default `/`). */
  readonly ws?: { readonly path?: string };
}

export class TransportManager implements Transport {
  /** Upward reports; may be replaced at any time. */
  delegate: TransportDelegate;
  private readonly options: TransportOptions;
  private readonly counters = new TransportCounters();
  private readonly table: ConnectionTable;
  private readonly udp: UdpListener[] = [];
  private readonly listeners: Array<StreamListener | WsListener> = [];
  private readonly instance = randomBytes(4).toString('hex');
  private nextId = 0;
  private closing: Promise<void> | undefined;
  private readonly limits: ConnectionLimits;
  private readonly hooks: ConnectionHooks;

  constructor(options?: TransportOptionsInput, delegate: TransportDelegate = {}) {
    this.options = resolveOptions(options);
    this.delegate = delegate;
    this.table = new ConnectionTable(this.options);
    this.limits = this.options;
    this.hooks = {
      opened: (c) => this.opened(c),
      message: (c, data) => {
        const flow = c.flow as Flow;
        this.counters.received(c.protocol, data.length);
        this.safely(() => this.delegate.onMessage?.({ data, flow, receivedAt: Date.now() }), flow);
      },
      keepAlive: () => {
        this.counters.s.keepAlivesIn++;
      },
      closed: (c, reason) => this.closed(c, reason),
    };
  }

  /** Binds a listener; resolves with the bound port. */
  async listen(options: ListenOptions): Promise<number> {
    this.assertOpen();
    const { protocol, host, port } = options;
    if (!TRANSPORT_PROTOCOLS.includes(protocol)) throw new TypeError(`listen: unknown protocol "${String(protocol)}"`);
    if (!(port === 0 || isPort(port))) throw new TypeError(`listen: bad port ${port}`);
    const error = (e: Error): void => this.report(e);
    let bound: UdpListener | StreamListener | WsListener;
    if (protocol === 'udp') {
      const hooks = {
        message: (data: Buffer, flow: Flow) => {
          this.counters.received('udp', data.length);
          this.safely(() => this.delegate.onMessage?.({ data, flow, receivedAt: Date.now() }), flow);
        },
        error,
      };
      const udp = await UdpListener.bind(host, port, this.options.maxDatagramBytes, this.counters, hooks, this.options.udpBufferBytes);
      this.udp.push(udp);
      bound = udp;
    } else if (protocol === 'tcp' || protocol === 'tls') {
      bound = await StreamListener.listen(protocol, host, port, options.tls, this.options.tlsHandshakeTimeoutMs, {
        admit: (socket) => this.admit(socket),
        accept: (socket) => {
          StreamConnection.accepted(this.newId(protocol), protocol, socket, this.streamSettings());
        },
        error,
      });
      this.listeners.push(bound);
    } else {
      bound = await WsListener.listen(protocol, host, port, options.ws?.path ?? '/', options.tls, this.maxPayload, this.wsHooks());
      this.listeners.push(bound);
    }
    if (this.closing !== undefined) {
      await bound.close();
      throw new TransportError('closed', 'transport manager closed while listening');
    }
    return bound.port;
  }

  /**
   * Carries SIP over WebSocket on `server`'s port, at `path` (RFC 7118): wss
   * on an HTTPS server, ws on an HTTP one. The server stays the caller's; this
   * manager only removes its upgrade listener and closes its flows on close().
   */
  attach(server: HttpServer, options: { readonly path?: string; readonly identify?: UpgradeIdentifier } = {}): void {
    this.assertOpen();
    this.listeners.push(WsListener.attach(server, options.path ?? '/', this.maxPayload, this.wsHooks(), options.identify));
  }

  send(data: Buffer | string, target: SendTarget): Promise<Flow> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return this.sendBytes(bytes, target).catch((error: unknown) => {
      this.counters.s.sendFailures++;
      if (error instanceof TransportError && error.code === 'backpressure') this.counters.s.backpressureDrops++;
      throw error;
    });
  }

  /** The flow with this id if it is open (udp: if its local socket is). */
  getFlow(flowId: string): Flow | undefined {
    const udp = parseUdpFlowId(flowId);
    if (udp !== null) {
      const socket = this.udp.find((u) => u.address === udp.localAddress && u.port === udp.localPort);
      return socket && { id: flowId, protocol: 'udp', ...udp };
    }
    return this.table.get(flowId)?.flow ?? undefined;
  }

  /** Counts as traffic on the flow (e.g. a REGISTER refresh). False if no such connection. */
  keepAlive(flowId: string): boolean {
    const c = this.table.get(flowId);
    c?.touch();
    return c !== undefined;
  }

  /** Per-flow idle timeout in ms; 0 keeps it open while it carries a registration (RFC 5626 §5.2). */
  setIdleTimeout(flowId: string, ms: number): boolean {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new TypeError(`setIdleTimeout: bad timeout ${ms}`);
    const c = this.table.get(flowId);
    c?.setIdleTimeout(ms);
    return c !== undefined;
  }

  /**
   * RFC 5923 §5: after the upper layer has checked a Via `alias` (and, for TLS,
   * the certificate), requests to host:port may reuse this connection.
   */
  addAlias(flowId: string, host: string, port: number): boolean {
    const c = this.table.get(flowId);
    if (c === undefined) return false;
    this.table.addKey(c, remoteKey(c.protocol, host, port));
    return true;
  }

  /** Closes one connection (its `onFlowClosed` reason is `closed`). */
  closeFlow(flowId: string): boolean {
    const c = this.table.get(flowId);
    c?.close(new TransportError('closed', 'flow closed locally'));
    return c !== undefined;
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  /** Closes every connection and listener; resolves when their sockets are gone. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.table.all()) c.close(new TransportError('closed', 'transport closed'));
      await Promise.all([...this.udp.map((u) => u.close()), ...this.listeners.map((l) => l.close())]);
    })();
    return this.closing;
  }

  private async sendBytes(data: Buffer, target: SendTarget): Promise<Flow> {
    this.assertOpen();
    if (isFlowTarget(target)) {
      const udp = parseUdpFlowId(target.flowId);
      if (udp !== null) {
        const socket = this.udp.find((u) => u.address === udp.localAddress && u.port === udp.localPort);
        if (socket === undefined) throw new TransportError('closed', `udp flow ${target.flowId}: local socket closed`);
        return this.sent(await socket.send(data, udp.remoteAddress, udp.remotePort), data);
      }
      const c = this.table.get(target.flowId);
      if (c === undefined) throw new TransportError('closed', `flow ${target.flowId} is closed`);
      return this.sendOn(c, data);
    }
    const { protocol, host, port } = target;
    if (!TRANSPORT_PROTOCOLS.includes(protocol)) throw new TypeError(`send: unknown protocol "${String(protocol)}"`);
    if (!isPort(port)) throw new TypeError(`send: bad port ${port}`);
    if (typeof host !== 'string' || host.length === 0) throw new TypeError('send: host required');
    if (!isConnectionProtocol(protocol)) return this.sendUdp(data, host, port);
    const c = this.table.find(remoteKey(protocol, host, port)) ?? this.connect(protocol, host, port);
    return this.sendOn(c, data);
  }

  private async sendOn(c: Connection, data: Buffer): Promise<Flow> {
    if ((c.protocol === 'ws' || c.protocol === 'wss') && data.length > this.maxPayload) {
      throw new TransportError('too-big', `message of ${data.length} bytes exceeds the WebSocket limit ${this.maxPayload}`);
    }
    const flow = await c.ready;
    c.send(data);
    return this.sent(flow, data);
  }

  private async sendUdp(data: Buffer, host: string, port: number): Promise<Flow> {
    let address = normalizeHost(host);
    if (isIP(address) === 0) {
      // Prefer the family we can send from (RFC 3263 resolution is the layer above's job).
      const families = [...new Set(this.udp.map((u) => u.family))];
      try {
        address = (await lookup(address, { family: families.length === 1 ? families[0] : 0 })).address;
      } catch (error) {
        throw new TransportError('unreachable', `cannot resolve ${host}`, { cause: error });
      }
    }
    const family = isIP(address);
    const socket = this.udp.find((u) => u.family === family);
    if (socket === undefined) throw new TransportError('unreachable', `no udp listener for IPv${family} to reach ${address}`);
    return this.sent(await socket.send(data, address, port), data);
  }

  private sent(flow: Flow, data: Buffer): Flow {
    this.counters.sent(flow.protocol, data.length);
    return flow;
  }

  private connect(protocol: ConnectionProtocol, host: string, port: number): Connection {
    const id = this.newId(protocol);
    const { tlsClient } = this.options;
    const c =
      protocol === 'tcp' || protocol === 'tls'
        ? StreamConnection.connect(id, protocol, host, port, tlsClient, this.streamSettings())
        : WsConnection.connect(id, protocol, host, port, this.options.wsClientPath, tlsClient, this.wsSettings());
    // Registered while connecting so concurrent sends share it (RFC 5923 reuse).
    if (c.state !== 'closed') {
      c.keys.add(remoteKey(protocol, host, port));
      this.table.add(c);
    }
    return c;
  }

  private opened(c: Connection): void {
    const flow = c.flow as Flow;
    this.table.addKey(c, remoteKey(c.protocol, flow.remoteAddress, flow.remotePort));
    this.table.add(c);
    this.counters.s.connectionsOpen[c.protocol]++;
    if (c.outbound) this.counters.s.connectionsConnected++;
    else this.counters.s.connectionsAccepted++;
    this.safely(() => this.delegate.onFlowOpened?.(flow), flow);
  }

  private closed(c: Connection, reason: TransportError): void {
    this.table.remove(c);
    const flow = c.flow;
    if (flow === null) return; // a connect that failed: its sender gets the rejection
    this.counters.s.connectionsOpen[c.protocol]--;
    const s = this.counters.s;
    if (reason.code === 'framing') s.framingErrors++;
    else if (reason.code === 'idle') s.idleTimeouts++;
    else if (reason.code === 'backpressure') s.backpressureDrops++;
    else if (reason.code === 'too-big') s.oversizedDrops++;
    this.safely(() => this.delegate.onFlowClosed?.(flow, reason), flow);
  }

  /** Inbound admission on the raw socket: per-IP and total limits. */
  private admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? '';
    if (this.closing !== undefined || !this.table.admit(ip)) {
      this.counters.s.connectionsRejected++;
      return false;
    }
    socket.once('close', () => this.table.release(ip));
    return true;
  }

  private wsHooks() {
    return {
      admit: (socket: Socket) => this.admit(socket),
      accept: (ws: WebSocket, request: IncomingMessage, protocol: 'ws' | 'wss', identity: UpgradeIdentity | undefined) => {
        WsConnection.accepted(this.newId(protocol), protocol, ws, request, this.wsSettings(), identity);
      },
      rejected: (_request: IncomingMessage, why: string) => {
        if (why !== 'connection limit') this.counters.s.connectionsRejected++;
      },
      error: (e: Error) => this.report(e),
    };
  }

  private streamSettings() {
    return { limits: this.limits, framer: this.options.framer, hooks: this.hooks };
  }

  private wsSettings() {
    return { limits: this.limits, maxPayload: this.maxPayload, pingIntervalMs: this.options.wsPingIntervalMs, hooks: this.hooks };
  }

  /** RFC 7118 has no framing: one WebSocket message may be as large as a framed stream message. */
  private get maxPayload(): number {
    return this.options.framer.maxHeaderBytes + this.options.framer.maxBodyBytes;
  }

  private newId(protocol: ConnectionProtocol): string {
    return `${protocol}/${this.instance}/${++this.nextId}`;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new TransportError('closed', 'transport manager is closed');
  }

  private report(error: Error, flow?: Flow): void {
    try {
      this.delegate.onError?.(error, flow);
    } catch {
      // A throwing onError has nowhere left to go.
    }
  }

  /** A throwing delegate cannot break the transport (mediasoup `safeEmit`). */
  private safely(fn: () => void, flow?: Flow): void {
    try {
      fn();
    } catch (error) {
      this.report(error instanceof Error ? error : new Error(String(error)), flow);
    }
  }
}
