/**
 * The routing proxy (RFC 3261 §16) of the Standard Edition, on the §16
 * helpers and the ProxyTransaction of the SIP stack:
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
 * - dialog-forming requests are Record-Routed, twice when the two sides use
 *   different transports (RFC 5658);
 * - the INVITE dialogs it Record-Routes between local users are followed
 *   by {@link CallTracker} (`calls.ts`): each user's live calls, for
 *   presence's "In a call".
 */
import { SipUri, TelUri, parseNameAddr, parseUri, type SipRequest, type SipResponse, type Uri } from '@parley/sip';
import {
  ProxyTransaction,
  type ProxyTransactionDelegate,
  addRecordRoute,
  addVia,
  decrementMaxForwards,
  detectLoop,
  forwardResponseStatelessly,
  preprocessRoute,
  type ProxyTarget,
  type ViaSpec,
} from '@parley/sip/core';
import type { FlowInfo, SendTarget, ServerTransaction, TransactionLayer } from '@parley/sip/transaction';
import type { Logger } from '../../observability/index.js';
import type { Store } from '../../store/index.js';
import type { Authenticator } from '../auth/index.js';
import type { DomainResolver } from '../domains/index.js';
import type { LocationService } from '../registrar/index.js';
import { CallTracker, sessionIntervalMs, type CallTrackerOptions, type InviteAttempt } from './calls.js';
import { CallTrackerError, ProxyError, PROXY_STATUS } from './errors.js';
import { bindingTarget, resolveUriTarget } from './targets.js';
import type { ServerLocator } from '@parley/sip/locator';

const DIALOG_FORMING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

export interface LocalAddress {
  host: string;
  /** Listening ports by protocol (udp, tcp, tls, ws, wss). */
  ports: Record<string, number>;
}

export interface ProxyDeps {
  transactions: TransactionLayer;
  /** Stateless send (ACK for 2xx). */
  send(msg: SipRequest | SipResponse, target: SendTarget): Promise<unknown>;
  auth: Authenticator;
  domains: DomainResolver;
  location: LocationService;
  store: Store;
  logger: Logger;
  /** Users as the hot path reads them (cached). */
  lookupUser(address: string): Promise<import('../../store/index.js').User | undefined>;
  /** RFC 3263 location of next hops named by host name. */
  locator: ServerLocator;
  /** True when a URI's host (and port, if given) is this server. */
  isOwnUri(host: string, port: number | undefined): boolean;
  /** Our address for Via and Record-Route. */
  local(): LocalAddress;
  /** Is a connection flow still open; its protocol. */
  flowOpen(flowId: string): boolean;
  flowProtocol(flowId: string): string | undefined;
  /** The call tracker's bounds and clock (defaults: 12 h idle bound, 100,000 dialogs). */
  calls?: CallTrackerOptions;
}

export class ProxyCore {
  /** The live calls of local users (INVITE dialogs this proxy Record-Routed). */
  readonly calls: CallTracker;

  constructor(private readonly d: ProxyDeps) {
    this.calls = new CallTracker({ onError: (err) => d.logger.warn({ err }, 'live-call listener failed'), ...d.calls });
  }

  /**
   * A URI that addresses this proxy itself: no user part, one of our names
   * (or a domain we serve) and port. A Request-URI counts only with `lr` —
   * what a strict router copies from our Record-Route (§16.4); a request
   * for the domain (`OPTIONS sip:example.com`) is not a strict-routed one.
   */
  private readonly ownUri = (u: Uri): boolean => u instanceof SipUri && u.user === undefined && this.d.isOwnUri(u.hostname, u.port);
  private readonly ownRoute = (req: SipRequest) => (u: Uri): boolean => this.ownUri(u) && (u !== req.uri || (u as SipUri).params.has('lr'));

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
    if (req.maxForwards === 0) throw new ProxyError('too-many-hops'); // §16.3 item 3
    if (detectLoop(req, (v) => this.d.isOwnUri(v.host.replace(/^\[|\]$/g, ''), v.port))) throw new ProxyError('loop'); // item 4
    preprocessRoute(req, this.ownRoute(req)); // §16.4

    if (req.method === 'CANCEL') {
      tx.reply(481); // matched no INVITE: nothing of ours to cancel (§16.10)
      return;
    }

    const routes = req.getAll('route');
    if (req.to.tag !== undefined || routes.length > 0) {
      // A preloaded Route on an out-of-dialog request is for authenticated local users only.
      if (req.to.tag === undefined && !(await this.authenticate(tx, flow))) return;
      // Before the next hop is known: a BYE ends its call even when it cannot be forwarded (`calls.ts`).
      const delegate = req.to.tag !== undefined ? this.inDialog(req) : undefined;
      const target = routes.length > 0 ? await resolveUriTarget(parseNameAddr(routes[0], 'route').uri, this.d.locator) : await this.requestUriTarget(req);
      if (!target) throw new ProxyError('unresolvable');
      this.proxy(tx, flow, [{ uri: req.uri, sendTarget: target }], false, delegate);
      return;
    }

    // Out of dialog: who is calling?
    const from = req.from.uri;
    const fromLocal = from instanceof SipUri ? this.d.domains.resolveCached(from.hostname) : undefined;
    if (!fromLocal || fromLocal.kind !== 'local') throw new ProxyError('foreign-origin');
    const who = await this.authenticate(tx, flow, fromLocal.domain);
    if (!who) return;
    if (`${(from as SipUri).userDecoded?.toLowerCase()}@${fromLocal.domain}` !== who) throw new ProxyError('spoofed-from');

    // Where to?
    const ruri = req.uri;
    if (ruri instanceof TelUri) throw new ProxyError('no-route-to-number');
    if (!(ruri instanceof SipUri)) throw new ProxyError('foreign-target');
    const dom = await this.d.domains.resolve(ruri.hostname);
    if (dom.kind !== 'local' || ruri.user === undefined) throw new ProxyError('foreign-target');
    const aor = `${ruri.userDecoded!.toLowerCase()}@${dom.domain}`;
    const user = await this.d.lookupUser(aor);
    if (!user || !user.enabled) throw new ProxyError('no-such-user');
    let bindings = this.d.location.lookup(aor);
    const gr = ruri.params.get('gr');
    if (gr !== undefined) {
      // RFC 5627 §7: a GRUU reaches the one instance it names
      const uri = ruri.toString();
      const one = bindings.find((b) => (gr !== null && b.gruuPub === `sip:${aor};gr=${gr}`) || (b.gruuTemp !== null && b.gruuTemp === uri));
      bindings = one ? [one] : [];
    }
    const targets: ProxyTarget[] = [];
    for (const b of bindings) {
      const sendTarget = bindingTarget(b, (id) => this.d.flowOpen(id));
      if (sendTarget) targets.push({ uri: parseUri(b.contactUri), sendTarget, path: b.path, q: b.q ?? undefined });
    }
    if (targets.length === 0) throw new ProxyError('not-signed-in');
    const fromTag = req.from.tag;
    const attempt = req.method === 'INVITE' && fromTag !== undefined ? this.calls.invite(req.callId, fromTag, [who, aor]) : undefined;
    this.proxy(tx, flow, targets, DIALOG_FORMING.has(req.method), attempt ? this.initialInvite(attempt) : undefined);
  }

  /**
   * An initial INVITE between local users (§16.7): a 1xx with a To tag going
   * upstream is an early dialog, a 2xx going upstream confirms its dialog —
   * only the branches whose responses the proxy forwards, so a fork's losers
   * and a CANCELled or refused INVITE never count.
   */
  private initialInvite(attempt: InviteAttempt): ProxyTransactionDelegate {
    return {
      onForward: (res) => {
        const tag = res.to.tag;
        if (tag === undefined || res.status >= 300) return;
        this.track(() => (res.status < 200 ? attempt.early(tag) : attempt.confirm(tag, sessionIntervalMs(res.get('session-expires')))));
      },
      onCompleted: () => this.track(() => attempt.over()),
    };
  }

  /** A request in a dialog: a BYE that ends a call, other traffic that keeps it alive, the final response (481, 408, a session refresh) that may end or extend it (`calls.ts`). */
  private inDialog(req: SipRequest): ProxyTransactionDelegate | undefined {
    const fromTag = req.from.tag;
    const toTag = req.to.tag;
    if (fromTag === undefined || toTag === undefined) return undefined;
    const callId = req.callId;
    this.track(() => this.calls.request(callId, fromTag, toTag, req.method));
    return {
      onForward: (res) => {
        if (res.status < 200) return;
        this.track(() => this.calls.response(callId, fromTag, toTag, req.method, res.status, sessionIntervalMs(res.get('session-expires'))));
      },
    };
  }

  /** The tracker never stands in the way of a call: its errors are logged. */
  private track(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof CallTrackerError) this.d.logger.debug({ err }, 'call not tracked');
      else this.d.logger.warn({ err }, 'call tracker failed');
    }
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

  /** In-dialog requests to a registered device go over its flow (WebSocket, NAT); others to the URI. */
  private async requestUriTarget(req: SipRequest): Promise<SendTarget | undefined> {
    const b = this.d.location.byContact(req.requestUri);
    const t = b ? bindingTarget(b, (id) => this.d.flowOpen(id)) : undefined;
    return t ?? resolveUriTarget(req.uri, this.d.locator);
  }

  private protocolOf(t: SendTarget): string {
    return 'flowId' in t ? (this.d.flowProtocol(t.flowId) ?? 'udp') : t.protocol.toLowerCase();
  }

  private viaSpec(protocol: string): ViaSpec {
    const local = this.d.local();
    return { transport: protocol.toUpperCase(), host: bracket(local.host), port: local.ports[protocol] ?? local.ports.udp };
  }

  /** Our URI as seen over `protocol` (for Record-Route). */
  private ownUriFor(protocol: string): SipUri {
    const local = this.d.local();
    const u = new SipUri('sip', undefined, undefined, bracket(local.host), local.ports[protocol] ?? local.ports.udp);
    u.params.set('transport', protocol);
    return u;
  }

  private proxy(tx: ServerTransaction, flow: FlowInfo, targets: ProxyTarget[], recordRoute: boolean, delegate?: ProxyTransactionDelegate): void {
    const inbound = flow.protocol.toLowerCase();
    const pt = new ProxyTransaction({
      layer: this.d.transactions,
      server: tx,
      forking: 'parallel',
      via: (target) => this.viaSpec(this.protocolOf(target)),
      prepareBranch: recordRoute
        ? (req, target) => {
            const outbound = target.sendTarget ? this.protocolOf(target.sendTarget) : inbound;
            addRecordRoute(req, { inbound: this.ownUriFor(inbound), outbound: this.ownUriFor(outbound) });
          }
        : undefined,
      delegate,
      onError: (err) => this.d.logger.warn({ err, callId: tx.request.get('call-id') }, 'proxy branch error'),
    });
    pt.start(targets);
  }

  /** ACK for a 2xx (§13.2.2.4): forwarded statelessly along its Route set (§16.11). */
  onAck(ack: SipRequest, _flow: FlowInfo): void {
    const { tag: fromTag } = ack.from;
    const { tag: toTag } = ack.to;
    if (fromTag !== undefined && toTag !== undefined) this.track(() => this.calls.request(ack.callId, fromTag, toTag, 'ACK'));
    void this.forwardAck(ack);
  }

  private async forwardAck(ack: SipRequest): Promise<void> {
    try {
      if ((ack.maxForwards ?? 70) <= 0) return;
      preprocessRoute(ack, this.ownRoute(ack));
      const routes = ack.getAll('route');
      const target = routes.length > 0 ? await resolveUriTarget(parseNameAddr(routes[0], 'route').uri, this.d.locator) : await this.requestUriTarget(ack);
      if (!target) return;
      decrementMaxForwards(ack);
      addVia(ack, this.viaSpec(this.protocolOf(target)));
      await this.d.send(ack, target).catch(() => undefined);
    } catch (e) {
      this.d.logger.debug({ err: e }, 'ACK not forwarded');
    }
  }

  /** A 2xx retransmission after the client transaction ended (RFC 6026): forwarded statelessly. */
  onStrayResponse(res: SipResponse, _flow: FlowInfo): void {
    try {
      const top = res.topVia;
      if (!this.d.isOwnUri(top.host.replace(/^\[|\]$/g, ''), top.port)) return;
      forwardResponseStatelessly(res, this.d.transactions);
    } catch {
      /* drop */
    }
  }
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
