/**
 * A WebSocket (ws / wss) connection carrying SIP (RFC 7118).
 *
 * RFC 7118 §5: each SIP message is one WebSocket message, text or binary, so
 * there is no stream framing. Keep-alive is the WebSocket ping frame
 * (RFC 6455 §5.5.2): a peer that has not answered the previous ping when the
 * next one is due is closed as `unreachable`.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { WebSocket, type RawData } from 'ws';
import { Connection, type ConnectionHooks, type ConnectionLimits } from './connection.js';
import { TransportError } from './errors.js';
import { normalizeHost } from './addresses.js';
import type { Flow } from './transport.js';
import type { UpgradeIdentity } from './ws-listener.js';

const PING = Buffer.from('\r\n\r\n', 'latin1');
const PONG = Buffer.from('\r\n', 'latin1');
const PONG_TEXT = '\r\n';

/** RFC 7118 §4.1: the WebSocket subprotocol of SIP. */
export const SIP_SUBPROTOCOL = 'sip';

export interface WsConnectionSettings {
  readonly limits: ConnectionLimits;
  readonly maxPayload: number;
  readonly pingIntervalMs: number;
  readonly hooks: ConnectionHooks;
}

export class WsConnection extends Connection {
  private readonly ws: WebSocket;
  private readonly pingIntervalMs: number;
  private readonly maxPayload: number;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private lastError: Error | undefined;
  private socket: Socket | undefined;
  private identity: UpgradeIdentity | undefined;

  /** Wraps a WebSocket the server upgraded (subprotocol `sip` already agreed). */
  static accepted(
    id: string,
    protocol: 'ws' | 'wss',
    ws: WebSocket,
    request: IncomingMessage,
    settings: WsConnectionSettings,
    identity?: UpgradeIdentity,
  ): WsConnection {
    const connection = new WsConnection(id, protocol, false, ws, settings);
    connection.socket = request.socket;
    connection.identity = identity;
    connection.opened();
    return connection;
  }

  /** Opens a client WebSocket offering subprotocol `sip`; `ready` resolves once the server agreed to it. */
  static connect(
    id: string,
    protocol: 'ws' | 'wss',
    host: string,
    port: number,
    path: string,
    tls: TlsConnectionOptions,
    settings: WsConnectionSettings,
  ): WsConnection {
    const h = normalizeHost(host);
    const url = `${protocol}://${h.includes(':') ? `[${h}]` : h}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = tls;
    const ws = new WebSocket(url, [SIP_SUBPROTOCOL], {
      maxPayload: settings.maxPayload,
      handshakeTimeout: settings.limits.connectTimeoutMs > 0 ? settings.limits.connectTimeoutMs : undefined,
      perMessageDeflate: false,
      ...(protocol === 'wss' ? { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } : {}),
    });
    const connection = new WsConnection(id, protocol, true, ws, settings);
    ws.once('upgrade', (response: IncomingMessage) => {
      connection.socket = response.socket;
    });
    ws.once('open', () => {
      if (ws.protocol !== SIP_SUBPROTOCOL) {
        connection.close(new TransportError('unreachable', `WebSocket server did not agree to subprotocol "${SIP_SUBPROTOCOL}" (RFC 7118 §4.1)`));
        return;
      }
      connection.opened();
    });
    return connection;
  }

  private constructor(id: string, protocol: 'ws' | 'wss', outbound: boolean, ws: WebSocket, settings: WsConnectionSettings) {
    super(id, protocol, outbound, settings.limits, settings.hooks);
    this.ws = ws;
    this.pingIntervalMs = settings.pingIntervalMs;
    this.maxPayload = settings.maxPayload;
    ws.on('message', (data: RawData) => this.frame(toBuffer(data)));
    ws.on('ping', () => this.keepAliveReceived());
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      this.lastError = error;
    });
    ws.on('close', (code: number) => {
      const cause = this.lastError as (Error & { code?: string }) | undefined;
      if (this.state === 'connecting') {
        this.close(new TransportError('unreachable', `${protocol} connect failed: ${cause?.message ?? `closed (${code})`}`, { cause }));
      } else if (code === 1009 || cause?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.close(new TransportError('too-big', `WebSocket message over ${this.maxPayload} bytes`, { cause }));
      } else {
        this.close(new TransportError('closed', cause ? `${protocol} connection failed: ${cause.message}` : `closed by peer (${code})`, { cause }));
      }
    });
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  protected writeBytes(data: Buffer): void {
    // RFC 7118 §5.1: text frames for UTF-8 messages, binary otherwise.
    this.ws.send(data, { binary: !isUtf8(data) });
  }

  protected destroyTransport(): void {
    clearInterval(this.pingTimer);
    this.ws.terminate();
  }

  private opened(): void {
    const s = this.socket;
    const flow: Flow = {
      id: this.id,
      protocol: this.protocol,
      localAddress: normalizeHost(s?.localAddress ?? ''),
      localPort: s?.localPort ?? 0,
      remoteAddress: normalizeHost(s?.remoteAddress ?? ''),
      remotePort: s?.remotePort ?? 0,
      ...(this.identity !== undefined ? { identity: this.identity.identity } : {}),
      ...(this.identity?.credential !== undefined ? { credential: this.identity.credential } : {}),
    };
    if (this.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.ping(), this.pingIntervalMs);
      this.pingTimer.unref();
    }
    this.markOpen(flow);
  }

  /**
   * SIP.js and others send RFC 5626 §4.4.1 CRLF keep-alives inside WebSocket
   * messages too: answer a CRLF CRLF ping with CRLF, swallow a CRLF pong.
   */
  private frame(data: Buffer): void {
    if (data.length === 4 && data.equals(PING)) {
      this.keepAliveReceived();
      if (this.state === 'open' && this.bufferedAmount <= this.limits.maxBufferedBytes) this.ws.send(PONG_TEXT);
      return;
    }
    if (data.length === 2 && data.equals(PONG)) {
      this.touch();
      return;
    }
    this.received(data);
  }

  private ping(): void {
    if (this.awaitingPong) {
      this.close(new TransportError('unreachable', `${this.protocol} flow ${this.id} did not answer a WebSocket ping`));
      return;
    }
    this.awaitingPong = true;
    this.ws.ping();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
