/**
 * A TCP or TLS listening socket (RFC 3261 §18.2.1: servers listen on TCP and
 * TLS as well as UDP). Admission (per-IP and total limits) happens on the raw
 * socket, before any TLS handshake, so half-open handshakes count too.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions, type TLSSocket } from 'node:tls';

export interface StreamListenerHooks {
  /** Limit check; false refuses (the listener destroys the socket). */
  admit(socket: Socket): boolean;
  /** A connected (TLS: handshaken) socket to wrap in a connection. */
  accept(socket: Socket | TLSSocket): void;
  error(error: Error): void;
}

export class StreamListener {
  readonly protocol: 'tcp' | 'tls';
  private readonly server: NetServer;
  /** Raw sockets not yet closed, so `close()` leaves no handle (handshakes in progress included). */
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  static async listen(
    protocol: 'tcp' | 'tls',
    host: string,
    port: number,
    tls: TlsOptions | undefined,
    handshakeTimeoutMs: number,
    hooks: StreamListenerHooks,
  ): Promise<StreamListener> {
    if (protocol === 'tls' && (tls?.key === undefined || tls.cert === undefined) && tls?.pfx === undefined) {
      throw new TypeError('listen: protocol "tls" needs tls.key and tls.cert (or tls.pfx)');
    }
    const listener = new StreamListener(protocol, tls, handshakeTimeoutMs, hooks);
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen({ host, port }, () => {
        listener.server.off('error', reject);
        listener.server.on('error', (error) => hooks.error(error));
        resolve();
      });
    });
    return listener;
  }

  private constructor(protocol: 'tcp' | 'tls', tls: TlsOptions | undefined, handshakeTimeoutMs: number, hooks: StreamListenerHooks) {
    this.protocol = protocol;
    const admit = (socket: Socket): boolean => {
      socket.on('error', () => undefined); // reported by the connection, or irrelevant for a refused socket
      if (this.closing !== undefined || !hooks.admit(socket)) {
        socket.destroy();
        return false;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      return true;
    };
    if (protocol === 'tls') {
      const server = createTlsServer({ ...tls, handshakeTimeout: handshakeTimeoutMs > 0 ? handshakeTimeoutMs : undefined });
      server.on('connection', (socket: Socket) => void admit(socket));
      server.on('secureConnection', (socket: TLSSocket) => {
        if (socket.destroyed) return;
        hooks.accept(socket);
      });
      // A failed handshake only concerns that socket.
      server.on('tlsClientError', (_error, socket) => socket.destroy());
      this.server = server;
    } else {
      const server = createNetServer();
      server.on('connection', (socket: Socket) => {
        if (admit(socket)) hooks.accept(socket);
      });
      this.server = server;
    }
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get host(): string {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.address : '';
  }

  /** Stops listening and destroys every socket it accepted. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.closing;
  }
}
