/**
 * The request router of the front end: which service takes a request.
 *
 * - REGISTER → registrar (RFC 3261 §10)
 * - OPTIONS for the server itself → answered here (§11.2)
 * - everything else → the routing proxy (§16)
 *
 * Checks every request gets first (§8.2.2, §16.3): the Request-URI scheme
 * (416) and Proxy-Require (420; Parley needs no proxy extension yet).
 */
import { SipUri, TelUri, type SipRequest } from '@parley/sip';
import type { FlowInfo, ServerTransaction } from '@parley/sip/transaction';
import type { Flow } from '@parley/sip/transport';
import { sipLogFields, type Logger, type Metrics } from '../observability/index.js';
import type { DomainResolver } from '../services/domains/index.js';
import type { LocationService, Registrar } from '../services/registrar/index.js';
import type { SipService } from './front-end.js';

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, REFER, INFO, UPDATE, PRACK';
export const SUPPORTED = 'path, gruu, outbound';

/** The routing proxy as the router sees it. */
export interface ProxyService {
  onRequest(tx: ServerTransaction, flow: FlowInfo): void | Promise<void>;
  onAck(ack: SipRequest, flow: FlowInfo): void;
  onStrayResponse?(res: import('@parley/sip').SipResponse, flow: FlowInfo): void;
}

/**
 * A service's take on a request method (IM for MESSAGE, presence for
 * SUBSCRIBE/PUBLISH…): returns true when it answered the transaction, false
 * to let the next handler or the proxy have it. Runs after the checks every
 * request gets; the request is validated, and `flow` is where it came from.
 */
export type MethodHandler = (tx: ServerTransaction, flow: FlowInfo) => boolean | Promise<boolean>;

export interface RouterDeps {
  /** Handlers by method, tried in order before the proxy. */
  handlers?: Readonly<Record<string, readonly MethodHandler[]>>;
  registrar: Registrar;
  location: LocationService;
  domains: DomainResolver;
  proxy: ProxyService;
  logger: Logger;
  metrics: Metrics;
  /** Keep a connection open while it carries a registration (RFC 5626 flows). */
  keepFlow(flowId: string): void;
}

export class RequestRouter implements SipService {
  constructor(private readonly d: RouterDeps) {}

  async onRequest(tx: ServerTransaction, flow: FlowInfo): Promise<void> {
    const req = tx.request;
    if (this.d.logger.isLevelEnabled('debug')) this.d.logger.debug({ ...sipLogFields(req.callId, req.method), from: flow.remoteAddress }, 'request');
    const uri = req.uri;
    if (!(uri instanceof SipUri) && !(uri instanceof TelUri)) {
      tx.reply(416);
      return;
    }
    const proxyRequire = req.tokens('proxy-require');
    if (proxyRequire.length > 0) {
      tx.reply(420, { headers: [['Unsupported', proxyRequire.join(', ')]] });
      return;
    }
    if (req.method === 'REGISTER') {
      const r = await this.d.registrar.handle(req, flow as Flow);
      this.d.metrics.registrarRequest(String(r.response.status));
      if (r.response.status === 200 && flow.protocol !== 'udp') this.d.keepFlow(flow.id);
      tx.respond(r.response);
      this.d.metrics.setRegistrationsActive(this.d.location.size);
      return;
    }
    if (req.method === 'OPTIONS' && uri instanceof SipUri && uri.user === undefined && this.d.domains.isOwnName(uri.hostname)) {
      this.answerOptions(tx);
      return;
    }
    for (const h of this.d.handlers?.[req.method] ?? []) if (await h(tx, flow)) return;
    await this.d.proxy.onRequest(tx, flow);
  }

  private answerOptions(tx: ServerTransaction): void {
    tx.reply(200, {
      headers: [
        ['Allow', ALLOW],
        ['Accept', 'application/sdp, text/plain, message/cpim, application/pidf+xml'],
        ['Supported', SUPPORTED],
      ],
    });
  }

  onAck(ack: SipRequest, flow: FlowInfo): void {
    this.d.proxy.onAck(ack, flow);
  }

  onStrayResponse(res: import('@parley/sip').SipResponse, flow: FlowInfo): void {
    this.d.proxy.onStrayResponse?.(res, flow);
  }

  onFlowClosed(flow: Flow): void {
    void this.d.location.flowClosed(flow.id);
  }
}
