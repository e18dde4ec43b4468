/**
 * The composition root of the Standard Edition (DESIGN §1): one process with
 * the store, TLS material, HTTPS, the SIP transports, the transaction layer
 * and the services. Only this file chooses drivers and wires services to one
 * another.
 *
 * Start-up order: store → secrets → TLS → services → SIP listeners → HTTPS.
 * Stop (SIGTERM): refuse new requests with 503, let in-flight transactions
 * finish (bounded), then close listeners, the store and the logger.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParleyConfig } from './config/index.js';
import { createHttpServer, type HttpServer } from './http/index.js';
import { registerApi, type WebSessions } from './http/api/index.js';
import { createLogger, Metrics, type Logger } from './observability/index.js';
import { Authenticator } from './services/auth/index.js';
import { DomainResolver } from './services/domains/index.js';
import { ServerLocator } from '@parley/sip/locator';
import { bindingTarget, ProxyCore } from './services/proxy/index.js';
import type { ServiceContext, ServiceFactory } from './services/service.js';
import { imService } from './services/im/index.js';
import { createPresenceService, provideLiveCalls } from './services/presence/index.js';
import { LocationService, Registrar, type Binding } from './services/registrar/index.js';
import { UserDirectory, UserService } from './services/users/index.js';
import { SipFrontEnd } from './sip/front-end.js';
import { RequestRouter, type MethodHandler } from './sip/router.js';
import { openStore, type Store } from './store/index.js';
import { ensureTlsMaterial, type TlsMaterial } from './tls/index.js';

export const VERSION = '0.1.0';

export interface StartedServer {
  readonly config: ParleyConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tls: TlsMaterial;
  readonly ports: { sip: number; sips: number; https: number };
  readonly location: LocationService;
  readonly frontEnd: SipFrontEnd;
  /** Whether the web client is served (its build was found). */
  readonly servesWeb: boolean;
  stop(opts?: { drainMs?: number }): Promise<void>;
}

/** Load or create the HMAC secret of digest nonces (shared by a pool through the store). */
async function digestSecret(store: Store): Promise<Buffer> {
  const existing = await store.config.get('digest.secret');
  if (typeof existing === 'string' && existing.length >= 32) return Buffer.from(existing, 'base64');
  const secret = randomBytes(32);
  await store.config.set('digest.secret', secret.toString('base64'));
  return secret;
}

/** The services of the Standard Edition beyond registrar and proxy, by name (tests swap one for a tuned copy). */
export const STANDARD_SERVICE_MAP: Readonly<Record<string, ServiceFactory>> = Object.freeze({
  im: imService,
  presence: createPresenceService(),
});
export const STANDARD_SERVICES: readonly ServiceFactory[] = Object.values(STANDARD_SERVICE_MAP);

/** The standard services as `config` sets them up (the idle policy of presence). */
export function configuredServices(config: ParleyConfig): ServiceFactory[] {
  const { inactiveAfterSeconds, awayAfterSeconds } = config.presence;
  return Object.values({
    ...STANDARD_SERVICE_MAP,
    presence: createPresenceService({ idle: { inactiveAfterMs: inactiveAfterSeconds * 1000, awayAfterMs: awayAfterSeconds * 1000 } }),
  });
}

/** `packages/web/dist`: the web client as `npm run build` leaves it (src/ and dist/ both sit one level below packages/server). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The standard services with some replaced: `withServices({ presence: tuned })`. */
export function withServices(replace: Readonly<Record<string, ServiceFactory>>): ServiceFactory[] {
  return Object.values({ ...STANDARD_SERVICE_MAP, ...replace });
}

export async function startServer(
  config: ParleyConfig,
  opts: {
    logger?: Logger;
    services?: readonly ServiceFactory[];
    /** The built web client and Control Panel; default `packages/web/dist` of this repository. */
    webDir?: string;
  } = {},
): Promise<StartedServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const logger = opts.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const metrics = new Metrics();
  const store = await openStore(
    config.store.driver === 'sqlite'
      ? { driver: 'sqlite', file: config.store.file, backgroundCheckpoint: true }
      : { driver: 'postgres', connectionString: config.store.url },
  );
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const secret = await digestSecret(store);
    const tls = await ensureTlsMaterial({ dataDir: config.dataDir, names: config.publicNames, files: config.tls });
    const ownNames = [...config.publicNames, config.host];
    const domains = new DomainResolver(store, ownNames);
    await domains.refresh();
    cleanups.push(domains.startRefresh());
    // Services are built after the location service; they hear binding changes through this.
    let onBindings: (aor: string, bindings: readonly Binding[]) => void = () => undefined;
    const location = new LocationService(store, Date.now, { onChange: (aor, b) => onBindings(aor, b) });
    const restored = await location.start();
    cleanups.push(() => location.stop());
    const directory = new UserDirectory(store);
    const lookupUser = (a: string) => directory.get(a);
    let webSessions: WebSessions | undefined;
    const auth = new Authenticator(store, {
      secret,
      lookupUser,
      algorithms: [...config.security.digestAlgorithms],
      perSourceLimit: config.security.authFailuresPerSourcePerMinute,
      perUserLimit: config.security.authFailuresPerUserPerMinute,
      lockoutMs: config.security.lockoutSeconds * 1000,
      onFailure: (reason) => metrics.authFailure(reason),
      onThrottled: (scope) => metrics.authThrottled(scope),
      // The web client's SIP WebSocket, opened with a signed-in session, stands for its credentials.
      // Synchronous (no promise) for every request not on such a flow: this runs per request.
      assertedIdentity: (req) => {
        const who = frontEnd.identityOf(req);
        if (!who || who.credential === undefined || !webSessions) return undefined;
        return webSessions.isLive(who.credential).then((live) => {
          if (live) return who.identity;
          frontEnd.transports.closeFlow(who.flowId);
          return undefined;
        });
      },
    });
    const registrar = new Registrar(store, auth, domains, location, { ...config.registrar, lookupUser });
    const ports = { sip: 0, sips: 0, https: 0 };
    const frontEnd = new SipFrontEnd({
      logger,
      metrics,
      requestsPerFlowPerSecond: config.security.requestsPerConnectionPerSecond,
      tlsClientCa: tls.ca,
    });
    cleanups.push(() => frontEnd.close());
    const local = () => ({ host: localHost(config), ports: { udp: ports.sip, tcp: ports.sip, tls: ports.sips, ws: ports.https, wss: ports.https } });
    const proxy = new ProxyCore({
      transactions: frontEnd.transactions,
      send: (m, t) => frontEnd.send(m, t),
      auth,
      domains,
      location,
      store,
      logger,
      locator: new ServerLocator({ timeout: 1500 }),
      lookupUser,
      isOwnUri: (host, port) => domains.isOwnName(host) && (port === undefined || ownPorts().includes(port)),
      local,
      flowOpen: (id) => frontEnd.transports.getFlow(id) !== undefined,
      flowProtocol: (id) => frontEnd.transports.getFlow(id)?.protocol,
    });
    cleanups.push(() => proxy.calls.close());
    const ownPorts = () => [ports.sip, ports.sips, ports.https];
    const serviceContext: ServiceContext = {
      store,
      logger,
      metrics,
      domains,
      location,
      auth,
      transactions: frontEnd.transactions,
      send: (m, t) => frontEnd.send(m, t),
      bindingTarget: (b) => bindingTarget(b, (id) => frontEnd.transports.getFlow(id) !== undefined),
      local,
      protocolOf: (t) => ('flowId' in t ? (frontEnd.transports.getFlow(t.flowId)?.protocol ?? 'udp') : t.protocol.toLowerCase()),
      now: Date.now,
      lookupUser,
    };
    provideLiveCalls(serviceContext, proxy.calls); // presence: "In a call" from the calls the proxy routes
    const services = (opts.services ?? configuredServices(config)).map((f) => f(serviceContext));
    onBindings = (aor, b) => {
      for (const svc of services) {
        try {
          svc.onBindingsChanged?.(aor, b);
        } catch (err) {
          logger.error({ err, service: svc.name }, 'binding change handler failed');
        }
      }
    };
    const handlers: Record<string, MethodHandler[]> = {};
    for (const svc of services) {
      for (const [method, list] of Object.entries(svc.handlers ?? {})) (handlers[method] ??= []).push(...list);
      await svc.start?.();
      cleanups.push(() => svc.close?.());
    }
    const router = new RequestRouter({
      handlers,
      registrar,
      location,
      domains,
      proxy,
      logger,
      metrics,
      keepFlow: (id) => frontEnd.transports.setIdleTimeout(id, 0),
    });
    frontEnd.setService(router);

    const tm = frontEnd.transports;
    ports.sip = await tm.listen({ protocol: 'udp', host: config.host, port: config.sipPort });
    await tm.listen({ protocol: 'tcp', host: config.host, port: ports.sip });
    ports.sips = await tm.listen({ protocol: 'tls', host: config.host, port: config.sipsPort, tls: { key: tls.key, cert: tls.cert } });

    const http: HttpServer = createHttpServer({
      tls: { key: tls.key, cert: tls.cert },
      host: config.host,
      port: config.httpsPort,
      logger,
      metrics,
      version: VERSION,
      // The SIP WSS transport listens to the same server's 'upgrade' events itself.
      onUpgrade: () => undefined,
      staticDir: opts.webDir ?? DEFAULT_WEB_DIR,
      health: async () => {
        let storeOk = 'ok';
        try {
          await store.domains.list();
        } catch (e) {
          storeOk = `failing: ${(e as Error).message}`;
        }
        return { status: storeOk === 'ok' ? 'ok' : 'degraded', checks: { store: storeOk, sip: 'ok' } };
      },
    });
    tm.attach(http.app.server, {
      path: '/sip',
      identify: (request) =>
        webSessions?.identifyUpgrade({ cookie: request.headers.cookie, origin: request.headers.origin, host: request.headers.host }),
    });
    webSessions = registerApi(http.app, {
      onSessionsEnded: (hashes) => {
        for (const h of hashes) frontEnd.closeFlowsOf(h);
      },
      users: new UserService(store),
      store,
      location,
      throttle: {
        perSource: config.security.authFailuresPerSourcePerMinute,
        perAddress: config.security.authFailuresPerUserPerMinute,
        lockoutMs: config.security.lockoutSeconds * 1000,
      },
      status: () => ({ version: VERSION, ports, transactionsActive: frontEnd.activeTransactions, registrationsActive: location.size }),
      routes: services.flatMap((s) => (s.routes ? [s.routes] : [])),
    });
    const addr = await http.listen();
    ports.https = addr.port;
    cleanups.push(() => http.close());

    const metricsTimer = setInterval(() => {
      metrics.setTransactionsActive(frontEnd.activeTransactions);
      metrics.setRegistrationsActive(location.size);
    }, 1000);
    metricsTimer.unref();
    cleanups.push(() => clearInterval(metricsTimer));

    logger.info(
      { sip: ports.sip, sips: ports.sips, https: ports.https, data: config.dataDir, restoredRegistrations: restored, domains: (await store.domains.list()).map((d) => d.name) },
      'parley started',
    );
    let stopping: Promise<void> | undefined;
    return {
      config,
      store,
      logger,
      metrics,
      tls,
      ports,
      location,
      frontEnd,
      servesWeb: http.servesStatic,
      stop(o = {}) {
        stopping ??= (async () => {
          frontEnd.drain();
          const until = Date.now() + (o.drainMs ?? 5000);
          while (frontEnd.pendingRequests > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          for (const c of cleanups.reverse()) await c();
          logger.info('parley stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}

/** The address this server puts in Via and Record-Route: the listen address, or the first public IPv4 address. */
function localHost(config: ParleyConfig): string {
  if (config.host !== '0.0.0.0' && config.host !== '::') return config.host;
  return config.publicNames.find((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n) && n !== '127.0.0.1') ?? '127.0.0.1';
}

