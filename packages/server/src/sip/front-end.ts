/**
 * The SIP front end of the server: transports → parser → validation →
 * transaction layer → services. It owns the transport manager and the
 * transaction layer; services see requests through {@link SipService}.
 *
 * Malformed requests are answered here, statelessly, with the status the
 * parse error carries (400, 505…, RFC 3261 §8.2, RFC 4475) when a response can
 * be formed; otherwise they are dropped. Malformed responses are dropped.
 */
import {
  createResponse,
  newTag,
  parseMessage,
  SipParseError,
  SipRequest,
  type SipMessage,
  type SipResponse,
} from '@parley/sip';
import { addReceived, answerMalformed } from '@parley/sip/core';
import {
  TransactionLayer,
  type FlowInfo,
  type SendTarget,
  type ServerTransaction,
  type TransactionTransport,
} from '@parley/sip/transaction';
import { TransportManager, TRANSPORT_PROTOCOLS, type Flow, type InboundMessage, type TransportProtocol } from '@parley/sip/transport';
import type { Logger, Metrics } from '../observability/index.js';
import { RateLimiter } from '../services/auth/index.js';

/** What the front end hands requests to (the dispatcher of the services). */
export interface SipService {
  /** A new request with its server transaction (never ACK). Must answer through `tx`. */
  onRequest(tx: ServerTransaction, flow: FlowInfo): void | Promise<void>;
  /** ACK that matched no transaction (ACK for a 2xx, to be proxied). */
  onAck?(ack: SipRequest, flow: FlowInfo): void;
  /** 2xx to INVITE that matched no client transaction (to be forwarded statelessly). */
  onStrayResponse?(res: SipResponse, flow: FlowInfo): void;
  onFlowClosed?(flow: Flow): void;
}

export interface FrontEndOptions {
  logger: Logger;
  metrics: Metrics;
  /** Requests per second per flow (UDP: per source address and port). */
  requestsPerFlowPerSecond: number;
  idleTimeoutMs?: number;
  tlsClientCa?: string;
}

export class SipFrontEnd {
  readonly transports: TransportManager;
  readonly transactions: TransactionLayer;
  private service: SipService | undefined;
  private readonly limiter: RateLimiter;
  private closing = false;
  /** Requests that came over a flow whose peer proved an identity outside SIP (a web session on the WSS upgrade). */
  private readonly identified = new WeakMap<SipRequest, Flow>();
  /** Open flows by the credential that identified them (a session's key), so ending it closes them. */
  private readonly flowsByCredential = new Map<string, Set<string>>();

  constructor(private readonly opts: FrontEndOptions) {
    this.limiter = new RateLimiter(opts.requestsPerFlowPerSecond, opts.requestsPerFlowPerSecond * 2);
    this.transports = new TransportManager(
      { idleTimeoutMs: opts.idleTimeoutMs ?? 300_000, tlsClient: opts.tlsClientCa ? { ca: opts.tlsClientCa } : undefined },
      {
        onMessage: (m) => this.onMessage(m),
        onFlowOpened: (f) => {
          this.opts.metrics.connectionOpened(f.protocol);
          if (f.credential !== undefined) {
            let set = this.flowsByCredential.get(f.credential);
            if (!set) this.flowsByCredential.set(f.credential, (set = new Set()));
            set.add(f.id);
          }
        },
        onFlowClosed: (f) => {
          this.opts.metrics.connectionClosed(f.protocol);
          if (f.credential !== undefined) {
            const set = this.flowsByCredential.get(f.credential);
            set?.delete(f.id);
            if (set?.size === 0) this.flowsByCredential.delete(f.credential);
          }
          this.limiter.forget(f.id);
          this.service?.onFlowClosed?.(f);
        },
        onError: (err, flow) => this.opts.logger.warn({ err, flow: flow?.id }, 'transport error'),
      },
    );
    const transport: TransactionTransport = {
      send: (msg: SipMessage, target: SendTarget) => this.send(msg, target),
      reliable: (p: string) => p.toLowerCase() !== 'udp',
    };
    this.transactions = new TransactionLayer({
      transport,
      core: {
        onRequest: (tx, flow) => this.dispatch(tx, flow),
        onAck: (ack, flow) => this.service?.onAck?.(ack, flow),
        onStrayResponse: (res, flow) => this.service?.onStrayResponse?.(res, flow),
      },
      answerUnmatchedCancel: false,
      onError: (err) => this.opts.logger.error({ err }, 'transaction layer error'),
    });
  }

  setService(s: SipService): void {
    this.service = s;
  }

  /**
   * The identity and credential of the flow `req` arrived on, when its peer
   * proved who it is outside SIP (see `Flow.identity`); the authenticator
   * takes it instead of a digest challenge.
   */
  identityOf(req: SipRequest): { readonly identity: string; readonly credential: string | undefined; readonly flowId: string } | undefined {
    const f = this.identified.get(req);
    return f?.identity === undefined ? undefined : { identity: f.identity, credential: f.credential, flowId: f.id };
  }

  /** Closes every open flow identified by `credential` (a session that ended). Returns how many. */
  closeFlowsOf(credential: string): number {
    const ids = [...(this.flowsByCredential.get(credential) ?? [])];
    for (const id of ids) this.transports.closeFlow(id);
    return ids.length;
  }

  /** Send a message (used by the transaction layer and stateless forwarding). */
  async send(msg: SipMessage, target: SendTarget): Promise<Flow> {
    const buf = msg.toBuffer();
    let t: import('@parley/sip/transport').SendTarget;
    if ('flowId' in target) t = target;
    else {
      const protocol = target.protocol.toLowerCase();
      if (!(TRANSPORT_PROTOCOLS as readonly string[]).includes(protocol)) throw new TypeError(`unsupported transport ${target.protocol}`);
      t = { protocol: protocol as TransportProtocol, host: target.host, port: target.port };
    }
    const flow = await this.transports.send(buf, t);
    const kind = msg instanceof SipRequest ? 'request' : 'response';
    this.opts.metrics.messageSent(flow.protocol, kind);
    if (kind === 'response') this.opts.metrics.responseSent((msg as SipResponse).status);
    return flow;
  }

  /** Requests taken but not yet answered with a final response. */
  get pendingRequests(): number {
    return this.transactions.unanswered;
  }

  private dispatch(tx: ServerTransaction, flow: FlowInfo): void {
    const svc = this.service;
    if (!svc || this.closing) {
      tx.reply(503, { headers: [['Retry-After', 5]] });
      return;
    }
    // A synchronous throw is answered 500 by the transaction layer itself; a
    // rejected promise is ours to answer.
    const r = svc.onRequest(tx, flow);
    if (r instanceof Promise)
      r.catch((err: unknown) => {
        this.opts.logger.error({ err, callId: tx.request.get('call-id') }, 'request handling failed');
        if (!tx.terminated && (tx.lastStatus === undefined || tx.lastStatus < 200)) tx.reply(500);
      });
  }

  private onMessage(m: InboundMessage): void {
    const protocol = m.flow.protocol;
    let msg;
    try {
      msg = parseMessage(m.data, { datagram: protocol === 'udp' });
    } catch (err) {
      if (err instanceof SipParseError) {
        this.opts.metrics.parseError(err.code);
        return;
      }
      throw err;
    }
    const kind = msg instanceof SipRequest ? 'request' : 'response';
    this.opts.metrics.messageReceived(protocol as TransportProtocol, kind);
    if (msg instanceof SipRequest) {
      this.opts.metrics.requestReceived(msg.method);
      if (!this.limiter.take(m.flow.id)) {
        this.opts.metrics.rateLimited('connection');
        if (msg.method !== 'ACK' && msg.get('via') !== undefined) {
          const res = createResponse(msg, 503, { reason: 'Service Unavailable (rate limited)', toTag: newTag(), headers: [['Retry-After', 1]] });
          this.send(res, { flowId: m.flow.id }).catch(() => undefined);
        }
        return;
      }
    }
    try {
      msg.validate();
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      this.opts.metrics.parseError(err.code);
      const res = answerMalformed(msg, err);
      if (res) this.send(res, { flowId: m.flow.id }).catch(() => undefined);
      return;
    }
    if (msg instanceof SipRequest) {
      addReceived(msg, m.flow);
      if (m.flow.identity !== undefined) this.identified.set(msg, m.flow);
    }
    this.transactions.receive(msg, m.flow);
  }

  /** Stop taking new requests: they get 503 while in-flight transactions finish. */
  drain(): void {
    this.closing = true;
  }

  get activeTransactions(): number {
    const s = this.transactions.size;
    return s.client + s.server;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.transactions.close();
    await this.transports.close();
  }
}

