/**
 * WebSocket upgrades for SIP (RFC 7118), either on a server of its own or
 * attached to an existing HTTP(S) server so SIP over WSS shares the port of
 * the web API (`attach`).
 *
 * RFC 7118 §4.1: the client offers the `sip` subprotocol; an upgrade without
 * it is refused with 400, one over the connection limits with 503. Only
 * upgrades for `path` are taken; on an attached server, other paths are left
 * to the server's other `upgrade` listeners.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { Server as TlsServer, type TlsOptions } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { SIP_SUBPROTOCOL } from './ws-connection.js';

/** Who the peer of an upgrade proved to be, and by what (see `Flow.identity`, `Flow.credential`). */
export interface UpgradeIdentity {
  readonly identity: string;
  readonly credential?: string;
}

/**
 * Checks an upgrade request before it is taken (e.g. a session cookie):
 * resolves with the identity to put on the flow, `undefined` for none (the
 * peer then authenticates in SIP), or `false` to refuse it with 403. A
 * rejection refuses it with 503.
 */
export type UpgradeIdentifier = (
  request: IncomingMessage,
) => Promise<UpgradeIdentity | undefined | false> | UpgradeIdentity | undefined | false;

export interface WsListenerHooks {
  /** Limit check on the raw socket; false refuses the upgrade. */
  admit(socket: Socket): boolean;
  accept(ws: WebSocket, request: IncomingMessage, protocol: 'ws' | 'wss', identity: UpgradeIdentity | undefined): void;
  /** An upgrade refused (no `sip` subprotocol, limits). */
  rejected(request: IncomingMessage, why: string): void;
  error(error: Error): void;
}

export class WsListener {
  readonly protocol: 'ws' | 'wss';
  private readonly server: HttpServer;
  private readonly owned: boolean;
  private readonly path: string;
  private readonly wss: WebSocketServer;
  private readonly hooks: WsListenerHooks;
  private readonly identify: UpgradeIdentifier | undefined;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.upgrade(request, socket as Socket, head);
  private closing: Promise<void> | undefined;

  /** A server of its own on host:port (wss when `tls` is given). */
  static async listen(
    protocol: 'ws' | 'wss',
    host: string,
    port: number,
    path: string,
    tls: TlsOptions | undefined,
    maxPayload: number,
    hooks: WsListenerHooks,
  ): Promise<WsListener> {
    if (protocol === 'wss' && (tls?.key === undefined || tls.cert === undefined) && tls?.pfx === undefined) {
      throw new TypeError('listen: protocol "wss" needs tls.key and tls.cert (or tls.pfx)');
    }
    const server = protocol === 'wss' ? createHttpsServer({ ...tls }) : createHttpServer();
    server.on('request', (_request, response) => {
      response.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Length': '0' }).end();
    });
    const listener = new WsListener(server, true, protocol, path, maxPayload, hooks);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', (error) => hooks.error(error));
        resolve();
      });
    });
    return listener;
  }

  /** Takes `path` upgrades on a server the caller owns (wss if it is an HTTPS server). */
  static attach(server: HttpServer, path: string, maxPayload: number, hooks: WsListenerHooks, identify?: UpgradeIdentifier): WsListener {
    const protocol = server instanceof TlsServer ? 'wss' : 'ws';
    return new WsListener(server, false, protocol, path, maxPayload, hooks, identify);
  }

  private constructor(
    server: HttpServer,
    owned: boolean,
    protocol: 'ws' | 'wss',
    path: string,
    maxPayload: number,
    hooks: WsListenerHooks,
    identify?: UpgradeIdentifier,
  ) {
    this.server = server;
    this.identify = identify;
    this.owned = owned;
    this.protocol = protocol;
    this.path = path.startsWith('/') ? path : `/${path}`;
    this.hooks = hooks;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
    server.on('upgrade', this.onUpgrade);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Stops taking upgrades; closes the server only if it is ours. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.off('upgrade', this.onUpgrade);
      this.wss.close();
      if (!this.owned) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => undefined);
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== this.path) {
      if (this.owned) this.refuse(request, socket, 404, 'Not Found', `no SIP WebSocket at ${pathname}`);
      return;
    }
    if (this.closing !== undefined) return this.refuse(request, socket, 503, 'Service Unavailable', 'closing');
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(SIP_SUBPROTOCOL)) {
      return this.refuse(request, socket, 400, 'Bad Request', `subprotocol "${SIP_SUBPROTOCOL}" required (RFC 7118 §4.1)`);
    }
    if (this.identify === undefined) return this.take(request, socket, head, undefined);
    let verdict: ReturnType<UpgradeIdentifier>;
    try {
      verdict = this.identify(request);
    } catch {
      return this.refuse(request, socket, 503, 'Service Unavailable', 'cannot check the upgrade now');
    }
    Promise.resolve(verdict).then(
      (identity) => {
        if (identity === false) return this.refuse(request, socket, 403, 'Forbidden', 'upgrade refused');
        if (this.closing !== undefined) return this.refuse(request, socket, 503, 'Service Unavailable', 'closing');
        if (socket.destroyed) return;
        this.take(request, socket, head, identity);
      },
      () => this.refuse(request, socket, 503, 'Service Unavailable', 'cannot check the upgrade now'),
    );
  }

  private take(request: IncomingMessage, socket: Socket, head: Buffer, identity: UpgradeIdentity | undefined): void {
    if (!this.hooks.admit(socket)) return this.refuse(request, socket, 503, 'Service Unavailable', 'connection limit');
    this.wss.handleUpgrade(request, socket, head, (ws) => this.hooks.accept(ws, request, this.protocol, identity));
  }

  private refuse(request: IncomingMessage, socket: Socket, status: number, text: string, why: string): void {
    this.hooks.rejected(request, why);
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
  }
}
