/**
 * A real stateful proxy for scenario tests, built only from the §16 helpers:
 * received/rport, Max-Forwards, loop detection, route processing,
 * Record-Route, forking through {@link ProxyTransaction}, stateless ACK and
 * late-2xx forwarding. Its "location service" is a function of the
 * Request-URI, as a real registrar would provide.
 */
import { SipUri, type Uri } from '../../grammar/uri.js';
import type { Via } from '../../grammar/via.js';
import type { SipRequest } from '../../message/message.js';
import type { ServerTransaction } from '../../transaction/server-transaction.js';
import type { TimerValues } from '../../transaction/timer-values.js';
import { TransactionLayer } from '../../transaction/transaction-layer.js';
import type { MemoryEndpoint, MemoryNetwork } from '../../transaction/test-support/memory-network.js';
import { cloneRequest } from '../credentials.js';
import { addReceived } from '../proxy/received.js';
import { checkMaxForwards } from '../proxy/max-forwards.js';
import { detectLoop, loopHash } from '../proxy/loop-detection.js';
import { preprocessRoute } from '../proxy/loose-route.js';
import { addRecordRoute } from '../proxy/record-route.js';
import { ProxyTransaction, type ProxyTransactionOptions } from '../proxy/proxy-transaction.js';
import type { ProxyTarget } from '../proxy/proxy-target.js';
import { forwardResponseStatelessly, forwardStatelessly } from '../proxy/stateless-forward.js';

export interface ProxyAgentOptions {
  /** The domain this proxy serves; requests for it are looked up with `locate`. */
  domain?: string;
  locate?(uri: Uri): ProxyTarget[];
  forking?: ProxyTransactionOptions['forking'];
  recordRoute?: boolean;
  timers?: Partial<TimerValues>;
}

export class ProxyAgent {
  readonly endpoint: MemoryEndpoint;
  readonly layer: TransactionLayer;
  readonly host: string;
  readonly port: number;
  readonly contexts: ProxyTransaction[] = [];
  readonly errors: unknown[] = [];
  readonly #options: ProxyAgentOptions;

  constructor(network: MemoryNetwork, host: string, port: number, options: ProxyAgentOptions = {}) {
    this.host = host;
    this.port = port;
    this.#options = options;
    this.endpoint = network.endpoint(host, port, 'udp');
    this.layer = new TransactionLayer({
      transport: this.endpoint,
      clock: network.clock,
      timers: { trying100: 0, ...options.timers }, // §16.2: a proxy sends 100 at once for INVITE
      answerUnmatchedCancel: false,
      onError: (e) => this.errors.push(e),
      core: {
        onRequest: (tx) => this.#onRequest(tx),
        onAck: (ack) => this.#onAck(ack),
        onStrayResponse: (res) => forwardResponseStatelessly(res, this.layer),
      },
    });
    this.endpoint.onMessage = (msg, flow) => {
      try {
        msg.validate();
        if (msg.isRequest) addReceived(msg, flow); // §18.2.1, before the transaction layer
      } catch (e) {
        this.errors.push(e);
        return;
      }
      this.layer.receive(msg, flow);
    };
  }

  /** Our URI (Record-Route, preloaded routes). */
  get uri(): string {
    return `sip:${this.host}:${this.port}`;
  }

  isOwnUri = (uri: Uri): boolean => uri instanceof SipUri && uri.hostname === this.host && (uri.port ?? 5060) === this.port && uri.user === undefined;

  isOwnVia = (via: Via): boolean => via.host === this.host && (via.port ?? 5060) === this.port;

  #via = () => ({ transport: 'udp', host: this.host, port: this.port });

  #onRequest(tx: ServerTransaction): void {
    const received = tx.request;
    const tooMany = checkMaxForwards(received); // §16.3 item 3
    if (tooMany) return void tx.respond(tooMany);
    if (detectLoop(received, this.isOwnVia)) return void tx.reply(482); // §16.3 item 4
    const req = cloneRequest(received);
    preprocessRoute(req, this.isOwnUri); // §16.4
    let targets: ProxyTarget[];
    const uri = req.uri;
    if (uri instanceof SipUri && uri.hostname === this.#options.domain && !req.has('route')) {
      targets = this.#options.locate?.(uri) ?? [];
      if (targets.length === 0) return void tx.reply(404);
    } else targets = [{ uri }];
    if (this.#options.recordRoute && req.to.tag === undefined && (req.method === 'INVITE' || req.method === 'SUBSCRIBE')) {
      addRecordRoute(req, { inbound: new SipUri('sip', undefined, undefined, this.host, this.port) });
    }
    const ctx = new ProxyTransaction({
      layer: this.layer,
      server: tx,
      request: req,
      via: this.#via,
      forking: this.#options.forking,
      onError: (e) => this.errors.push(e),
    });
    this.contexts.push(ctx);
    ctx.start(targets);
  }

  #onAck(ack: SipRequest): void {
    const loop = loopHash(ack);
    preprocessRoute(ack, this.isOwnUri);
    forwardStatelessly(ack, loop, { layer: this.layer, via: this.#via }).catch((e: unknown) => this.errors.push(e));
  }

  close(): void {
    for (const c of this.contexts) c.dispose();
    this.layer.close();
    this.endpoint.close();
  }
}
