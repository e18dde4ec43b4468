/**
 * A TCP or TLS connection carrying SIP (RFC 3261 §18.3, RFC 5626 §4.4.1).
 *
 * Inbound bytes go through a {@link StreamFramer}; a CRLF CRLF ping is
 * answered with a CRLF pong; a framing error closes this connection only.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { Connection, type ConnectionHooks, type ConnectionLimits } from './connection.js';
import { TransportError, type FramingError } from './errors.js';
import { StreamFramer, type StreamFramerLimits } from './stream-framer.js';
import { normalizeHost } from './addresses.js';
import type { Flow } from './transport.js';

const PONG = Buffer.from('\r\n', 'latin1');

export interface StreamConnectionSettings {
  readonly limits: ConnectionLimits;
  readonly framer: StreamFramerLimits;
  readonly hooks: ConnectionHooks;
}

export class StreamConnection extends Connection {
  private readonly socket: Socket | TLSSocket;
  private readonly framer: StreamFramer;
  private lastError: Error | undefined;

  /** Wraps a socket the server accepted (TLS: after the handshake). */
  static accepted(id: string, protocol: 'tcp' | 'tls', socket: Socket | TLSSocket, settings: StreamConnectionSettings): StreamConnection {
    const connection = new StreamConnection(id, protocol, false, socket, settings);
    connection.opened();
    return connection;
  }

  /** Opens a client connection; `ready` resolves once connected (TLS: once verified). */
  static connect(
    id: string,
    protocol: 'tcp' | 'tls',
    host: string,
    port: number,
    tls: TlsConnectionOptions,
    settings: StreamConnectionSettings,
  ): StreamConnection {
    const h = normalizeHost(host);
    const socket =
      protocol === 'tls'
        ? tlsConnect({ servername: isIP(h) === 0 ? h : undefined, ...tls, host: h, port })
        : netConnect({ host: h, port });
    const connection = new StreamConnection(id, protocol, true, socket, settings);
    socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => connection.opened());
    return connection;
  }

  private constructor(
    id: string,
    protocol: 'tcp' | 'tls',
    outbound: boolean,
    socket: Socket | TLSSocket,
    settings: StreamConnectionSettings,
  ) {
    super(id, protocol, outbound, settings.limits, settings.hooks);
    this.socket = socket;
    this.framer = new StreamFramer(
      {
        message: (data) => this.received(data),
        ping: () => {
          this.keepAliveReceived();
          // RFC 5626 §4.4.1: answer each double-CRLF ping with a single CRLF.
          if (this.state === 'open' && this.bufferedAmount <= this.limits.maxBufferedBytes) this.socket.write(PONG);
        },
        pong: () => this.touch(),
        error: (error: FramingError) => this.close(error),
      },
      { limits: settings.framer, role: outbound ? 'client' : 'server' },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('drain', () => this.drained());
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.on('close', () => {
      const cause = this.lastError;
      this.close(
        this.state === 'connecting'
          ? new TransportError('unreachable', `${protocol} connect failed: ${cause?.message ?? 'closed'}`, { cause })
          : new TransportError('closed', cause ? `${protocol} connection failed: ${cause.message}` : 'closed by peer', { cause }),
      );
    });
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  protected writeBytes(data: Buffer): void {
    this.socket.write(data);
  }

  protected destroyTransport(): void {
    this.framer.stop();
    this.socket.destroy();
  }

  private opened(): void {
    const s = this.socket;
    const flow: Flow = {
      id: this.id,
      protocol: this.protocol,
      localAddress: normalizeHost(s.localAddress ?? ''),
      localPort: s.localPort ?? 0,
      remoteAddress: normalizeHost(s.remoteAddress ?? ''),
      remotePort: s.remotePort ?? 0,
    };
    this.markOpen(flow);
  }
}
