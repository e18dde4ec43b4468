/**
 * The signed-in user's SIP side, over secure WebSocket (RFC 7118) with
 * SIP.js: registration (RFC 3261 §10), the presence publication (RFC 3903),
 * the contact-list subscription (RFC 4662 over RFC 6665), and instant
 * messages with is-composing (RFC 3428, RFC 3994).
 *
 * The WebSocket upgrade carries the session cookie, so the server knows who
 * is on this connection and asks no digest: the password is never kept.
 *
 * Link states:
 *
 *   idle --start()--> connecting --registered--> online
 *                        ^  |                      |
 *                        |  | failure     transport lost, browser offline,
 *                        |  v             registration refresh failed
 *                     reconnecting <---------------+
 *                        |
 *                        | the session is gone (REGISTER 401/403, GET /me 401)
 *                        v
 *                    signed-out            stop() from any state --> stopped
 *
 * On every (re)connection: REGISTER again (same Call-ID, RFC 3261 §10.2.4),
 * a new list SUBSCRIBE whose first NOTIFY carries full state, and a
 * SUBSCRIBE to the user's own AOR (the server lets an owner watch themself)
 * whose NOTIFYs carry the state aggregated over all the user's devices; the
 * two subscriptions go out together, so the self one costs no round trip.
 * Then PUBLISH the current document (SIP.js sends SIP-If-Match and falls
 * back to a fresh publication on 412, RFC 3903 §4.4). On a RE-connection
 * the publication waits (at most 1.5 s) for the self subscription's first
 * NOTIFY, so that a state chosen on another device meanwhile is adopted
 * first rather than overwritten by this device's stale one.
 */
import { Messager, Publisher, PublisherState, Registerer, RegistererState, Subscriber, SubscriptionState, UserAgent, type Message } from 'sip.js';
import { ISCOMPOSING_TYPE, buildIsComposing, parseIsComposing } from '../presence/iscomposing.js';
import { parsePidf, type PidfPresence } from '../presence/pidf.js';
import { parseListNotify, type ListNotify } from '../presence/rlmi.js';
import { browserXml, type XmlParse } from '../presence/xml.js';

export type LinkState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'signed-out' | 'stopped';

export interface IncomingIm {
  /** The other party, `bob@example.com`. */
  readonly peer: string;
  /** received: from the peer; sent: a copy of what this user sent from another device. */
  readonly direction: 'received' | 'sent';
  readonly body: string;
  readonly at: number;
}

export interface SipClientEvents {
  onLinkState(state: LinkState, detail: string | undefined): void;
  onListNotify(n: ListNotify): void;
  /** My own aggregated presence (all my devices), from the subscription to my own AOR. */
  onSelfNotify(p: PidfPresence): void;
  onMessage(m: IncomingIm): void;
  onComposing(peer: string, active: boolean, refreshS: number): void;
}

export interface SipClientOptions {
  /** `alice@example.com` */
  readonly address: string;
  readonly displayName?: string;
  /** `wss://host:port/sip` */
  readonly server: string;
  /** Answers whether the HTTP session still exists (false: signed out; throws: cannot tell). */
  readonly sessionAlive: () => Promise<boolean>;
  readonly instanceId?: string;
  readonly xml?: XmlParse;
  readonly userAgentString?: string;
}

/** How an IM send ended: delivered (200), stored for an offline peer (202). */
export type SendResult = 'delivered' | 'stored';

export class SendError extends Error {
  override readonly name = 'SendError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const bare = (u: { user?: string; host: string }): string => `${u.user ?? ''}@${u.host}`.toLowerCase();

/** Delays between reconnection attempts, ms (then the last one again). */
const BACKOFF = [300, 1000, 2000, 4000, 8000];

export class SipClient {
  readonly #o: SipClientOptions;
  readonly #ev: SipClientEvents;
  readonly #xml: XmlParse;
  readonly #ua: UserAgent;
  readonly #registerer: Registerer;
  #publisher: Publisher;
  #subscriber: Subscriber | undefined;
  #selfSubscriber: Subscriber | undefined;
  /** Resolves on the current self subscription's first NOTIFY. */
  #selfFirst: Promise<void> = Promise.resolve();
  #connections = 0;
  #state: LinkState = 'idle';
  #document: string | undefined;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #lastVersion = -1;
  /** Bumped on each connection so that work for an older one stops. */
  #epoch = 0;

  constructor(o: SipClientOptions, ev: SipClientEvents) {
    this.#o = o;
    this.#ev = ev;
    this.#xml = o.xml ?? browserXml;
    const uri = UserAgent.makeURI(`sip:${o.address}`);
    if (!uri) throw new TypeError(`not a SIP address: ${o.address}`);
    this.#ua = new UserAgent({
      uri,
      displayName: o.displayName,
      transportOptions: { server: o.server, connectionTimeout: 8 },
      sipExtensionExtraSupported: ['eventlist'],
      userAgentString: o.userAgentString ?? 'Parley Web (SIP.js 0.21.2)',
      instanceId: o.instanceId,
      instanceIdAlwaysAdded: o.instanceId !== undefined,
      // Transport errors while the link is down are expected and handled here;
      // SIP.js reports them as errors, so they go to the console as warnings.
      logLevel: 'warn',
      logBuiltinEnabled: false,
      logConnector: (level, category, _label, content) => {
        if (level === 'error' || level === 'warn') console.warn(`SIP.js ${category}: ${content}`);
      },
      // stop() unregisters, unpublishes and unsubscribes itself, only while the link is up.
      gracefulShutdown: false,
      reconnectionAttempts: 0,
      delegate: {
        onDisconnect: (error) => this.#lost(error ? error.message : 'connection closed'),
        onMessage: (m) => this.#incoming(m),
      },
    });
    this.#registerer = new Registerer(this.#ua, { expires: 600 });
    this.#registerer.stateChange.addListener((s) => {
      // A refresh that failed leaves the binding gone: reconnect and register again.
      if (s === RegistererState.Unregistered && this.#state === 'online') this.#lost('registration lost');
    });
    this.#publisher = this.#newPublisher();
  }

  /**
   * A failed PUBLISH (a transport error while the link drops, a 5xx) leaves
   * a SIP.js Publisher Terminated for good, and a 200 that arrives for an
   * earlier request afterwards makes it throw (Terminated → Published) in
   * the page. So: a late transition out of Terminated is ignored, and a
   * Terminated publisher is replaced before the next publication.
   */
  #newPublisher(): Publisher {
    const pub = new Publisher(this.#ua, this.#ua.configuration.uri, 'presence', { expires: 3600, contentType: 'application/pidf+xml' });
    const p = pub as unknown as { stateTransition(s: PublisherState): void };
    const transition = p.stateTransition.bind(pub);
    p.stateTransition = (next) => {
      if (pub.state !== PublisherState.Terminated) transition(next);
    };
    return pub;
  }

  #sendPublication(pidf: string): void {
    if (this.#publisher.state === PublisherState.Terminated) this.#publisher = this.#newPublisher();
    void this.#publisher.publish(pidf).catch(() => undefined);
  }

  get state(): LinkState {
    return this.#state;
  }

  #set(state: LinkState, detail?: string): void {
    if (this.#state === state && detail === undefined) return;
    this.#state = state;
    this.#ev.onLinkState(state, detail);
  }

  /** Connects and registers; afterwards keeps the link up by itself. */
  start(): void {
    if (this.#state !== 'idle') throw new Error(`start() in state ${this.#state}`);
    this.#set('connecting');
    this.#ua
      .start()
      .then(() => this.#connected())
      .catch((e: unknown) => this.#lost(e instanceof Error ? e.message : String(e)));
  }

  /** The browser says the network came back: retry now rather than after the back-off. */
  nudge(): void {
    if (this.#state === 'reconnecting') {
      clearTimeout(this.#retryTimer);
      this.#attempt = 0;
      this.#retry();
    }
  }

  /** The browser says the network is gone. */
  networkDown(): void {
    if (this.#state === 'online' || this.#state === 'connecting') {
      this.#lost('the network is down');
      // A WebSocket may linger on a dead network; drop it so the next attempt starts clean.
      void this.#ua.transport.disconnect().catch(() => undefined);
    }
  }

  #lost(why: string): void {
    if (this.#state === 'stopped' || this.#state === 'signed-out' || this.#state === 'idle') return;
    if (this.#state === 'reconnecting' && this.#retryTimer !== undefined) return;
    this.#epoch++;
    this.#set('reconnecting', why);
    const delay = BACKOFF[Math.min(this.#attempt, BACKOFF.length - 1)];
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#retry(), delay);
  }

  async #retry(): Promise<void> {
    this.#retryTimer = undefined;
    if (this.#state !== 'reconnecting') return;
    // Ask HTTP first: a signed-out session is final, a server that is down is not.
    try {
      if (!(await this.#o.sessionAlive())) return this.#signedOut();
    } catch {
      return this.#lost('the server cannot be reached');
    }
    try {
      if (!this.#ua.isConnected()) await this.#ua.reconnect();
      await this.#connected();
    } catch (e) {
      this.#lost(e instanceof Error ? e.message : String(e));
    }
  }

  async #connected(): Promise<void> {
    const epoch = ++this.#epoch;
    try {
      await this.#register();
    } catch (e) {
      if (e instanceof SessionGone) return this.#signedOut();
      throw e;
    }
    if (epoch !== this.#epoch) return;
    this.#attempt = 0;
    this.#set('online');
    this.#subscribe();
    this.#subscribeSelf();
    if (this.#connections++ > 0) {
      await Promise.race([this.#selfFirst, new Promise((r) => setTimeout(r, 1500))]);
      if (epoch !== this.#epoch) return;
    }
    if (this.#document !== undefined) this.#sendPublication(this.#document);
  }

  #register(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const attempt = (n: number): void => {
        this.#registerer
          .register({
            requestDelegate: {
              onAccept: () => resolve(),
              onReject: (res) => {
                const code = res.message.statusCode;
                if (code === 401 || code === 403 || code === 407) reject(new SessionGone(`REGISTER ${code}`));
                else reject(new Error(`REGISTER answered ${code} ${res.message.reasonPhrase}`));
              },
            },
          })
          .catch((e: unknown) => {
            // A REGISTER still pending on the old connection: wait for it to end (RFC 3261 §10.2).
            if (e instanceof Error && e.name === 'RequestPendingError' && n < 40) setTimeout(() => attempt(n + 1), 500);
            else reject(e instanceof Error ? e : new Error(String(e)));
          });
      };
      attempt(0);
    });
  }

  #subscribe(): void {
    const old = this.#subscriber;
    if (old) void old.dispose().catch(() => undefined);
    const [user, domain] = this.#o.address.split('@');
    const list = UserAgent.makeURI(`sip:${user};list=contacts@${domain}`);
    if (!list) return;
    this.#lastVersion = -1;
    const sub = new Subscriber(this.#ua, list, 'presence', {
      expires: 3600,
      extraHeaders: ['Accept: application/pidf+xml, application/rlmi+xml, multipart/related'],
    });
    this.#subscriber = sub;
    sub.delegate = {
      onNotify: (notification) => {
        notification.accept();
        const req = notification.request;
        if (!req.body) return;
        try {
          const n = parseListNotify(req.getHeader('content-type') ?? '', req.body, this.#xml);
          // RFC 4662 §5.3: a version not above the last is stale or repeated.
          if (n.version >= 0 && n.version <= this.#lastVersion && !n.fullState) return;
          this.#lastVersion = Math.max(this.#lastVersion, n.version);
          this.#ev.onListNotify(n);
        } catch (e) {
          console.warn('presence: unreadable NOTIFY', e);
        }
      },
    };
    sub.stateChange.addListener((s) => {
      // The server ended it (restart, timeout): subscribe again while online.
      if (s === SubscriptionState.Terminated && this.#subscriber === sub && this.#state === 'online') {
        setTimeout(() => this.#state === 'online' && this.#subscriber === sub && this.#subscribe(), 2000);
      }
    });
    void sub.subscribe().catch(() => undefined);
  }

  /** SUBSCRIBE to my own presence: what every device of mine makes of it (aggregate.ts on the server). */
  #subscribeSelf(): void {
    const old = this.#selfSubscriber;
    if (old) void old.dispose().catch(() => undefined);
    const me = UserAgent.makeURI(`sip:${this.#o.address}`);
    if (!me) return;
    const sub = new Subscriber(this.#ua, me, 'presence', { expires: 3600, extraHeaders: ['Accept: application/pidf+xml'] });
    this.#selfSubscriber = sub;
    let first: () => void = () => undefined;
    this.#selfFirst = new Promise<void>((r) => (first = r));
    sub.delegate = {
      onNotify: (notification) => {
        notification.accept();
        const req = notification.request;
        first();
        if (!req.body) return;
        try {
          this.#ev.onSelfNotify(parsePidf(req.body, this.#xml));
        } catch (e) {
          console.warn('presence: unreadable NOTIFY of my own state', e);
        }
      },
    };
    sub.stateChange.addListener((s) => {
      if (s === SubscriptionState.Terminated && this.#selfSubscriber === sub && this.#state === 'online') {
        setTimeout(() => this.#state === 'online' && this.#selfSubscriber === sub && this.#subscribeSelf(), 2000);
      }
    });
    void sub.subscribe().catch(() => undefined);
  }

  #signedOut(): void {
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#set('signed-out');
    void this.#ua.stop().catch(() => undefined);
  }

  /**
   * Publishes `pidf` now (or once online); later refreshes are SIP.js's.
   * `send: false` only keeps it for the next (re)publication: the server
   * already holds that state (adopted from another device).
   */
  publish(pidf: string, send = true): void {
    this.#document = pidf;
    if (send && this.#state === 'online') this.#sendPublication(pidf);
  }

  /** Sends an instant message; resolves how it was taken, rejects with SendError. */
  sendMessage(peer: string, text: string, contentType = 'text/plain'): Promise<SendResult> {
    const target = UserAgent.makeURI(`sip:${peer}`);
    if (!target) return Promise.reject(new TypeError(`not a SIP address: ${peer}`));
    if (this.#state !== 'online') return Promise.reject(new SendError(0, 'not connected'));
    return new Promise<SendResult>((resolve, reject) => {
      new Messager(this.#ua, target, text, contentType)
        .message({
          requestDelegate: {
            onAccept: (res) => resolve(res.message.statusCode === 202 ? 'stored' : 'delivered'),
            onReject: (res) => reject(new SendError(res.message.statusCode ?? 0, `${res.message.statusCode} ${res.message.reasonPhrase}`)),
          },
        })
        .catch((e: unknown) => reject(new SendError(0, e instanceof Error ? e.message : String(e))));
    });
  }

  /** Is-composing (RFC 3994); failures do not matter. */
  sendComposing(peer: string, state: 'active' | 'idle'): void {
    if (this.#state !== 'online') return;
    void this.sendMessage(peer, buildIsComposing(state), ISCOMPOSING_TYPE).catch(() => undefined);
  }

  #incoming(m: Message): void {
    const req = m.request;
    const from = bare(req.from.uri);
    const to = bare(req.to.uri);
    const me = this.#o.address.toLowerCase();
    const type = (req.getHeader('content-type') ?? 'text/plain').split(';')[0].trim().toLowerCase();
    void m.accept().catch(() => undefined);
    // A copy of our own message from another device: From is us, the peer is in To.
    const mine = from === me;
    const peer = mine ? to : from;
    if (type === ISCOMPOSING_TYPE) {
      if (mine) return;
      const c = parseIsComposing(req.body, this.#xml);
      if (c) this.#ev.onComposing(peer, c.state === 'active', c.refreshS);
      return;
    }
    if (!type.startsWith('text/')) return;
    this.#ev.onMessage({ peer, direction: mine ? 'sent' : 'received', body: req.body, at: Date.now() });
  }

  /** Signs this device out of SIP: unsubscribes, unpublishes, unregisters, disconnects. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasOnline = this.#state === 'online';
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#set('stopped');
    const bounded = <T>(p: Promise<T>): Promise<unknown> => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 1500))]);
    if (wasOnline) {
      await Promise.all([
        this.#subscriber ? bounded(this.#subscriber.dispose()) : undefined,
        this.#selfSubscriber ? bounded(this.#selfSubscriber.dispose()) : undefined,
        bounded(this.#publisher.unpublish()),
        bounded(this.#registerer.unregister()),
      ]);
    }
    await bounded(this.#ua.stop());
  }
}

class SessionGone extends Error {
  override readonly name = 'SessionGone';
}
