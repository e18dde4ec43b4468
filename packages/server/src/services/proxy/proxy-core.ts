/**
 * The routing proxy (RFC 3261 §16) of the Standard Edition:
 *
 * - in-dialog requests (To tag) follow their Route set (§16.4 loose routing)
 *   without a new authentication: Parley authorized the dialog when it
 *   Record-Routed it;
 * - requests from local users are authenticated (407) before they are routed,
 *   and their From must be the authenticated user; requests from other
 *   domains get 403 until federation exists;
 * - a request for a local user forks in parallel to every registered device
 *   (404 for an unknown user, 480 when none is signed in); a GRUU reaches its
 *   one device (RFC 5627 §7);
 * - dialog-forming requests are Record-Routed.
 */
import {
  parseMessage,
  parseNameAddr,
  randomToken,
  SipUri,
  TelUri,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '@parley/sip';
import type { FlowInfo, SendTarget, ServerTransaction, TransactionLayer } from '@parley/sip/transaction';
import type { Logger } from '../../observability/index.js';
import type { Store } from '../../store/index.js';
import type { Authenticator } from '../auth/index.js';
import type { DomainResolver } from '../domains/index.js';
import type { LocationService } from '../registrar/index.js';
import { ProxyError, PROXY_STATUS } from './errors.js';
import { ForkContext, type Branch } from './fork.js';
import { bindingTarget, loopHash, proxyBranch, uriTarget, viaFor, type LocalAddress } from './targets.js';

const DIALOG_FORMING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export interface ProxyDeps {
  transactions: TransactionLayer;
  /** Stateless send (ACK for 2xx, stray 2xx responses). */
  send(msg: SipRequest | SipResponse, target: SendTarget): Promise<unknown>;
  auth: Authenticator;
  domains: DomainResolver;
  location: LocationService;
  store: Store;
  logger: Logger;
  /** Our Record-Route URI for a request that came in on `flow`. */
  recordRoute(flow: FlowInfo): string;
  /** True when a URI's host (and port, if given) is this server. */
  isOwnUri(host: string, port: number | undefined): boolean;
  /** Our address for Via headers. */
  local(): LocalAddress;
  /** Is a connection flow still open; its protocol. */
  flowOpen(flowId: string): boolean;
  flowProtocol(flowId: string): string | undefined;
}

export class ProxyCore {
  constructor(private readonly d: ProxyDeps) {}

  async onRequest(tx: ServerTransaction, flow: FlowInfo): Promise<void> {
    try {
      await this.route(tx, flow);
    } catch (e) {
      if (e instanceof ProxyError) {
        const { status, reason } = PROXY_STATUS[e.code];
        tx.reply(status, { reason });
        return;
      }
      throw e;
    }
  }

  private async route(tx: ServerTransaction, flow: FlowInfo): Promise<void> {
    const req = tx.request;
    // §16.3 item 3: Max-Forwards
    const mf = req.maxForwards;
    if (mf === 0) throw new ProxyError('too-many-hops');
    // §16.3 item 4: loop detection — our own Via with the same route hash
    const hash = loopHash(req);
    for (const v of req.vias) {
      if (v.branch?.startsWith(`z9hG4bK${hash}.`) && this.d.isOwnUri(v.host, v.port)) throw new ProxyError('loop');
    }
    // §16.4: remove our own Route; a strict-routing previous hop left us in the Request-URI
    this.stripOwnRoute(req);

    if (req.method === 'CANCEL') {
      // A CANCEL that matched no INVITE transaction (§16.10: forward statelessly… we have nothing to cancel).
      tx.reply(481);
      return;
    }

    const routes = req.getAll('route');
    if (req.to.tag !== undefined || routes.length > 0) {
      if (req.to.tag === undefined) {
        // a preloaded Route on an out-of-dialog request: only for authenticated local users
        const who = await this.authenticate(tx, flow);
        if (!who) return;
      }
      const target = routes.length > 0 ? uriTarget(parseUriText(routes[0])) : this.requestUriTarget(req);
      if (!target) throw new ProxyError('unreachable');
      this.fork(tx, flow, [this.branch(req, req.requestUri, target, [], false)]);
      return;
    }

    // Out of dialog: who is calling?
    const from = req.from.uri;
    const fromLocal = from instanceof SipUri ? this.d.domains.resolveCached(from.hostname) : undefined;
    if (!fromLocal || fromLocal.kind !== 'local') throw new ProxyError('foreign-origin');
    const who = await this.authenticate(tx, flow, fromLocal.domain);
    if (!who) return;
    const fromAor = `${(from as SipUri).userDecoded?.toLowerCase()}@${fromLocal.domain}`;
    if (fromAor !== who) throw new ProxyError('spoofed-from');

    // Where to?
    const ruri = req.uri;
    if (ruri instanceof TelUri) throw new ProxyError('no-route-to-number');
    if (!(ruri instanceof SipUri)) throw new ProxyError('foreign-target');
    const dom = await this.d.domains.resolve(ruri.hostname);
    if (dom.kind !== 'local' || ruri.user === undefined) throw new ProxyError('foreign-target');
    const aor = `${ruri.userDecoded!.toLowerCase()}@${dom.domain}`;
    const user = await this.d.store.users.getByAddress(aor);
    if (!user || !user.enabled) throw new ProxyError('no-such-user');
    let bindings = this.d.location.lookup(aor);
    const gr = ruri.params.get('gr');
    if (gr !== undefined) {
      const one = bindings.find((b) => b.gruuPub === `sip:${aor};gr=${gr}` || (b.gruuTemp ?? '').startsWith(`sip:${ruri.user}@`));
      bindings = one ? [one] : [];
    }
    const branches: Branch[] = [];
    for (const b of bindings) {
      const target = bindingTarget(b, (id) => this.d.flowOpen(id));
      if (target) branches.push(this.branch(req, b.contactUri, target, b.path, DIALOG_FORMING.has(req.method), flow));
    }
    if (branches.length === 0) throw new ProxyError('not-signed-in');
    this.fork(tx, flow, branches);
  }

  /** 407 challenge or the authenticated address; answers the transaction itself when not authenticated. */
  private async authenticate(tx: ServerTransaction, flow: FlowInfo, realm?: string): Promise<string | undefined> {
    const req = tx.request;
    let r = realm;
    if (!r) {
      const from = req.from.uri;
      const m = from instanceof SipUri ? this.d.domains.resolveCached(from.hostname) : undefined;
      if (!m || m.kind !== 'local') throw new ProxyError('foreign-origin');
      r = m.domain;
    }
    const out = await this.d.auth.check(req, flow.remoteAddress, 'proxy', r);
    if (out.ok) return out.address;
    tx.reply(out.status, { reason: out.reason, headers: out.headers });
    return undefined;
  }

  private stripOwnRoute(req: SipRequest): void {
    for (let i = 0; i < 2; i++) {
      const top = req.getAll('route')[0];
      if (!top) return;
      const u = parseUriText(top);
      if (u instanceof SipUri && this.d.isOwnUri(u.hostname, u.port)) req.removeFirst('route');
      else return;
    }
  }

  private requestUriTarget(req: SipRequest): SendTarget | undefined {
    // In-dialog requests to a registered device: use its flow (WebSocket, NAT).
    const b = this.d.location.byContact(req.requestUri);
    if (b) {
      const t = bindingTarget(b, (id) => this.d.flowOpen(id));
      if (t) return t;
    }
    return uriTarget(req.uri);
  }

  /** Build one branch request (§16.6): copy, new Request-URI, Max-Forwards−1, Record-Route, Path as Route, our Via. */
  private branch(req: SipRequest, ruri: string, target: SendTarget, path: readonly string[], recordRoute: boolean, inFlow?: FlowInfo): Branch {
    const copy = parseMessage(req.toBuffer()) as SipRequest;
    copy.uri = ruri;
    copy.set('Max-Forwards', (req.maxForwards ?? 70) - 1);
    if (recordRoute && inFlow) {
      const rr = `<${this.d.recordRoute(inFlow)}>`;
      copy.prepend('Record-Route', rr);
    }
    for (let i = path.length - 1; i >= 0; i--) copy.prepend('Route', path[i]);
    const protocol = 'flowId' in target ? (this.d.flowProtocol(target.flowId) ?? 'udp') : target.protocol;
    copy.prepend('Via', viaFor(this.d.local(), protocol, proxyBranch(req, randomToken(6))));
    return { request: copy, target };
  }

  private fork(tx: ServerTransaction, _flow: FlowInfo, branches: Branch[]): void {
    const ctx = new ForkContext(tx, this.d.transactions, (res) => {
      const up = parseMessage(res.toBuffer()) as SipResponse;
      up.removeFirst('via');
      return up;
    });
    ctx.start(branches);
  }

  /** ACK for a 2xx (§13.2.2.4): forwarded statelessly along its Route set (§16.11). */
  onAck(ack: SipRequest, _flow: FlowInfo): void {
    try {
      this.stripOwnRoute(ack);
      const mf = ack.maxForwards ?? 70;
      if (mf <= 0) return;
      const routes = ack.getAll('route');
      const target = routes.length > 0 ? uriTarget(parseUriText(routes[0])) : this.requestUriTarget(ack);
      if (!target) return;
      ack.set('Max-Forwards', mf - 1);
      const protocol = 'flowId' in target ? (this.d.flowProtocol(target.flowId) ?? 'udp') : target.protocol;
      ack.prepend('Via', viaFor(this.d.local(), protocol, proxyBranch(ack, 'ack')));
      void this.d.send(ack, target).catch(() => undefined);
    } catch (e) {
      this.d.logger.debug({ err: e }, 'ACK not forwarded');
    }
  }

  /** A 2xx retransmission after the client transaction ended: forward statelessly (§16.7, RFC 6026). */
  onStrayResponse(res: SipResponse, _flow: FlowInfo): void {
    try {
      const top = res.topVia;
      if (!this.d.isOwnUri(top.host, top.port)) return;
      res.removeFirst('via');
      const next = res.topVia;
      const host = next.received ?? next.host;
      const port = typeof next.rport === 'number' ? next.rport : (next.port ?? 5060);
      void this.d.send(res, { protocol: next.transport.toLowerCase(), host: host.replace(/^\[|\]$/g, ''), port }).catch(() => undefined);
    } catch {
      /* drop */
    }
  }
}

/** The URI of a Route header element (name-addr). */
function parseUriText(nameAddr: string): Uri {
  return parseNameAddr(nameAddr, 'route').uri;
}
