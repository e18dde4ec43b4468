/**
 * WebSocket upgrades on the HTTPS port. Only `GET /sip` (SIP over secure
 * WebSocket, RFC 7118 §5) is handed on, to the SIP WSS transport, which does
 * the WebSocket handshake itself; any other upgrade is answered 400, and
 * `/sip` before a transport is attached 503, then closed.
 *
 * The HTTP server keeps hold of the sockets it handed on, only so that
 * closing it can end connections the transport failed to close.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/** The path SIP over secure WebSocket is served at. */
export const SIP_WEBSOCKET_PATH = '/sip';

/** Takes over an upgrade request (e.g. `ws.WebSocketServer#handleUpgrade`). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Routes `'upgrade'` events of one server. */
export class UpgradeRouter {
  #handler: UpgradeHandler | undefined;
  readonly #log: Logger;
  /** Sockets handed to the handler and still open. */
  readonly handedOver = new Set<Duplex>();

  constructor(log: Logger, handler?: UpgradeHandler) {
    this.#log = log;
    this.#handler = handler;
  }

  /** Sets or removes the handler of `/sip` upgrades. */
  setHandler(handler: UpgradeHandler | undefined): void {
    this.#handler = handler;
  }

  /** The `'upgrade'` listener. */
  readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (request.url ?? '').split('?', 1)[0];
    const handler = this.#handler;
    if (path !== SIP_WEBSOCKET_PATH) return refuse(socket, 400, 'Bad Request');
    if (!handler) return refuse(socket, 503, 'Service Unavailable');
    this.handedOver.add(socket);
    socket.once('close', () => this.handedOver.delete(socket));
    try {
      handler(request, socket, head);
    } catch (err) {
      this.#log.error({ err }, 'WebSocket upgrade handler failed');
      socket.destroy();
    }
  };
}

/** Answers an upgrade request with `status` and closes the connection. */
function refuse(socket: Duplex, status: number, reason: string): void {
  socket.on('error', () => undefined); // the peer may already be gone
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}
