/**
 * The HTTPS server of a front end (Fastify 5): `/healthz`, `/metrics`, the
 * static web client, and WebSocket upgrades for SIP at `/sip`. Other modules
 * register their routes on {@link HttpServer.app} before {@link HttpServer.listen}.
 *
 * ```
 * created ──listen()──► listening ──close()──► closed
 *    └──────────────close()────────────────────┘
 * ```
 * `close()` is idempotent; `listen()` after `close()` is an error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { LogController, fastify, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/index.js';
import type { ParleyFastify } from './app.js';
import { HttpServerError } from './errors.js';
import { registerHealth, type HealthSource } from './health.js';
import { registerStatic } from './static.js';
import { UpgradeRouter, type UpgradeHandler } from './upgrade.js';

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  /** PEM key and certificate (chain). */
  readonly tls: { readonly key: string; readonly cert: string };
  /** Listen address. */
  readonly host: string;
  /** Listen port; 0 for any free one. */
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Feeds `/healthz`. */
  readonly health: HealthSource;
  /** Takes over WebSocket upgrades of `/sip`; can also be set later with `setUpgradeHandler`. */
  readonly onUpgrade?: UpgradeHandler;
  /** Folder of the built web client; served for GET paths no route claims, when it exists. */
  readonly staticDir?: string;
  /** Reported by `/healthz`. Default the server package's version. */
  readonly version?: string;
  /** How long `/healthz` waits for the checks. Default 2000 ms. */
  readonly healthTimeoutMs?: number;
  /** How long `close()` waits for open connections before destroying them. Default 2000 ms. */
  readonly closeGraceMs?: number;
}

/** A front end's HTTPS server. */
export interface HttpServer {
  /** The Fastify instance: register routes here before `listen()`. */
  readonly app: ParleyFastify;
  /** Whether static files are served (the folder existed). */
  readonly servesStatic: boolean;
  /** Binds the address and port. @throws HttpServerError `listen-failed`, `closed` */
  listen(): Promise<AddressInfo>;
  /** The bound address, once listening. */
  address(): AddressInfo | undefined;
  /** Sets or removes the handler of `/sip` WebSocket upgrades. */
  setUpgradeHandler(handler: UpgradeHandler | undefined): void;
  /** Stops listening and closes connections. Idempotent: later calls return the same promise. */
  close(): Promise<void>;
}

const PACKAGE_VERSION: string = (() => {
  try {
    // src/http/ and dist/http/ both sit two levels below the package root.
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** Creates the server; nothing is bound until `listen()`. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  if (!options?.tls?.key || !options.tls.cert) throw new TypeError('createHttpServer needs tls.key and tls.cert');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError(`bad port: ${String(options.port)}`);
  }
  const log = options.logger.child({ component: 'http' });
  const metrics = options.metrics;
  const app: ParleyFastify = fastify<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    https: { key: options.tls.key, cert: options.tls.cert },
    loggerInstance: log as FastifyBaseLogger,
    // Per-request lines are debug-level and written by the hook below.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(request.method, route, reply.statusCode);
    log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.addHook('onError', async (request, reply, err) => {
    // onError runs after the error handler chose the status. Client errors
    // (no session, bad JSON, a weak password) are the client's problem: one
    // debug line without a stack; server errors are logged with it.
    if (reply.statusCode >= 500) log.error({ err, method: request.method, url: request.url }, 'request failed');
    else log.debug({ method: request.method, url: request.url, status: reply.statusCode, error: err.message }, 'request refused');
  });

  registerHealth(app, {
    health: options.health,
    version: options.version ?? PACKAGE_VERSION,
    startedAt: Date.now(),
    timeoutMs: options.healthTimeoutMs ?? 2000,
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).header('cache-control', 'no-store').send(await metrics.render()),
  );
  const servesStatic = options.staticDir !== undefined && registerStatic(app, options.staticDir);

  const upgrades = new UpgradeRouter(log, options.onUpgrade);
  app.server.on('upgrade', upgrades.onUpgrade);

  let closing: Promise<void> | undefined;
  let bound: AddressInfo | undefined;
  const closeGraceMs = options.closeGraceMs ?? 2000;

  return {
    app,
    servesStatic,
    async listen() {
      if (closing) throw new HttpServerError('closed', 'the HTTP server was closed');
      try {
        await app.listen({ host: options.host, port: options.port });
      } catch (err) {
        const message = `cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`;
        throw new HttpServerError('listen-failed', message, { cause: err });
      }
      bound = app.server.address() as AddressInfo;
      log.info({ host: bound.address, port: bound.port }, 'HTTPS listening');
      return bound;
    },
    address: () => (closing ? undefined : bound),
    setUpgradeHandler: (handler) => upgrades.setHandler(handler),
    close() {
      closing ??= closeApp(app, upgrades, closeGraceMs).then(() => {
        if (bound) log.info('HTTPS closed');
      });
      return closing;
    },
  };
}

/**
 * Closes Fastify; if connections (requests in flight, WebSockets the
 * transport did not close) keep the server open past the grace period,
 * destroys them.
 */
async function closeApp(app: ParleyFastify, upgrades: UpgradeRouter, graceMs: number): Promise<void> {
  const closed = app.close();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  try {
    if ((await Promise.race([closed.then(() => 'closed' as const), grace])) === 'timeout') {
      for (const socket of upgrades.handedOver) socket.destroy();
      app.server.closeAllConnections();
      await closed;
    }
  } finally {
    clearTimeout(timer);
  }
}
