/**
 * One subscription where Parley is the notifier (RFC 6665 §4.2): its dialog,
 * its expiry, and the NOTIFYs it sends. The event package (presence, a
 * resource list, watcher information) only renders bodies.
 *
 * ```
 *            accept (200 to SUBSCRIBE, NOTIFY with the full state)
 *   (new) ─────────────────────────────────▶ Active ──┐ refresh: new expiry, NOTIFY with the full state
 *                                              │  ▲    │ change:  NOTIFY (one in flight; later changes
 *                                              │  └────┘          are coalesced into the next one)
 *        expiry / unsubscribe (Expires: 0) /   │
 *        owner gone / service closing          │ NOTIFY answered 481, 408 or any failure, or
 *        without a store:                      │ no answer (Timer F) / transport error: no NOTIFY
 *        NOTIFY "terminated;reason=…"          ▼
 *                                          Terminated   (final: every operation but terminate throws)
 *
 *   Active ── service stopping with a durable shadow (`suspend`) ──▶ Suspended
 *             (final in this process: no NOTIFY, no timer; the stored row lives on, and the next
 *              start resumes the subscription in its dialog with a NOTIFY of the full state)
 * ```
 *
 * RFC 6665 §4.2.1.1 / §4.2.1.2: a NOTIFY follows every accepted SUBSCRIBE
 * and refresh at once. §4.2.2: a 481 to a NOTIFY ends the subscription, and
 * so does a transaction timeout; other failure answers end it here too (the
 * subscriber can subscribe again). RFC 3856 §6.4 asks for at most one
 * NOTIFY per five seconds; Parley sends changes at once (the product's 50 ms
 * goal) and bounds the rate by keeping one NOTIFY in flight per subscription.
 */
import { InvalidStateError, type SipRequest } from '@parley/sip';
import type { Dialog } from '@parley/sip/dialog';
import type { Clock, SendTarget, TimerHandle } from '@parley/sip/transaction';

export enum SubscriptionState {
  Active = 'active',
  Terminated = 'terminated',
  Suspended = 'suspended',
}

const TRANSITIONS: ReadonlyMap<SubscriptionState, readonly SubscriptionState[]> = new Map([
  [SubscriptionState.Active, [SubscriptionState.Terminated, SubscriptionState.Suspended]],
  [SubscriptionState.Terminated, []],
  [SubscriptionState.Suspended, []],
]);

/** How a NOTIFY's transaction ended. */
export type NotifyOutcome = 'delivered' | 'gone' | 'failed';

/** Where NOTIFYs go: the real channel adds our Via and uses the transaction layer (`notifier.ts`). */
export interface NotifyChannel {
  /** Sends `notify` to `target`; calls `done` once with the outcome of its client transaction. */
  send(notify: SipRequest, target: SendTarget, done: (outcome: NotifyOutcome) => void): void;
}

export interface NotifyBody {
  readonly contentType: string;
  readonly body: string | Buffer;
  /** The state did not fit this NOTIFY: another follows once it is answered (a large list over UDP). */
  readonly more?: boolean;
}

/**
 * The largest NOTIFY body sent over UDP: a datagram carries at most 65,507
 * bytes (RFC 768 over IPv4), and the headers take about 1 KB. Over a
 * connection (TCP, TLS, WebSocket) there is no such limit.
 */
export const MAX_DATAGRAM_BODY = 64_000;

/** RFC 6665 §4.1.3 / §8.2.3 reasons of a terminated subscription. */
export type TerminationReason = 'timeout' | 'deactivated' | 'noresource' | 'rejected' | 'giveup' | 'notify-failed';

/** Everything a subscription is made of but its callbacks. */
export interface SubscriptionParams {
  readonly id: string;
  /** The Event header value (`presence`, `presence.winfo`). */
  readonly event: string;
  /** Authenticated address of the subscriber. */
  readonly watcher: string;
  /** The resource watched (a user address or a list URI). */
  readonly resource: string;
  readonly dialog: Dialog;
  readonly target: SendTarget;
  /** ms epoch. */
  readonly expiresAt: number;
  readonly clock: Clock;
  readonly channel: NotifyChannel;
}

/** What a subscription calls: its event package's renderer, and whoever keeps the subscription. */
export interface SubscriptionHandler {
  /**
   * The body of the next NOTIFY: `full` after accept and refresh; otherwise
   * the change since the last one, or undefined when there is nothing a
   * NOTIFY should say (the watcher's view did not change).
   */
  render(full: boolean, maxBytes: number): NotifyBody | undefined;
  /** The subscription ended (after its last NOTIFY, if any, was sent). */
  onTerminated(sub: Subscription, reason: TerminationReason): void;
  /** A refresh was accepted (the durable shadow follows). */
  onRefreshed?(sub: Subscription): void;
}

export interface SubscriptionInit extends SubscriptionParams, SubscriptionHandler {}

export class Subscription {
  readonly id: string;
  readonly event: string;
  readonly watcher: string;
  readonly resource: string;
  readonly dialog: Dialog;
  readonly #clock: Clock;
  readonly #channel: NotifyChannel;
  readonly #handler: SubscriptionHandler;
  #state = SubscriptionState.Active;
  #target: SendTarget;
  #expiresAt: number;
  #timer: TimerHandle | undefined;
  #inFlight = false;
  /** A change (or a full state, when 'full') waits for the NOTIFY in flight. */
  #pending: 'change' | 'full' | undefined;
  #sent = 0;

  constructor(init: SubscriptionInit);
  /**
   * With a separate `handler`: the subscription keeps only the handler, not
   * `params`. A server holds thousands of subscriptions; one handler object
   * with methods (the subscription manager's entry) costs less than an init
   * object with a closure per callback.
   */
  constructor(params: SubscriptionParams, handler: SubscriptionHandler);
  constructor(init: SubscriptionParams, handler: SubscriptionHandler = init as SubscriptionInit) {
    this.#clock = init.clock;
    this.#channel = init.channel;
    this.#handler = handler;
    this.id = init.id;
    this.event = init.event;
    this.watcher = init.watcher;
    this.resource = init.resource;
    this.dialog = init.dialog;
    this.#target = init.target;
    this.#expiresAt = init.expiresAt;
    this.#arm();
  }

  get state(): SubscriptionState {
    return this.#state;
  }
  get expiresAt(): number {
    return this.#expiresAt;
  }
  get target(): SendTarget {
    return this.#target;
  }
  /** NOTIFYs sent so far. */
  get notifications(): number {
    return this.#sent;
  }

  #transition(to: SubscriptionState): void {
    if (!(TRANSITIONS.get(this.#state) ?? []).includes(to)) throw new InvalidStateError(`subscription: ${this.#state} → ${to} is not a transition`);
    this.#state = to;
  }

  #requireActive(what: string): void {
    if (this.#state !== SubscriptionState.Active) throw new InvalidStateError(`subscription ${this.#state}: cannot ${what}`);
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    const delay = Math.max(0, this.#expiresAt - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.terminate('timeout'), Math.min(delay, 2 ** 31 - 1));
  }

  /** Sends the full state: call once the 200 to the SUBSCRIBE is sent (RFC 6665 §4.2.1.1). */
  start(): void {
    this.#requireActive('start');
    this.#queue('full');
  }

  /** The watched state changed: a NOTIFY when the watcher's view did. */
  changed(): void {
    if (this.#state !== SubscriptionState.Active) return;
    this.#queue('change');
  }

  /** Sends the full state again (a resource list whose members changed, RFC 4662 §4.5). */
  resync(): void {
    if (this.#state !== SubscriptionState.Active) return;
    this.#queue('full');
  }

  /** A refreshing SUBSCRIBE was accepted (RFC 6665 §4.2.1.2): new expiry and target, full state. */
  refresh(expiresAt: number, target: SendTarget): void {
    this.#requireActive('refresh');
    this.#expiresAt = expiresAt;
    this.#target = target;
    this.#arm();
    this.#queue('full');
    this.#handler.onRefreshed?.(this);
  }

  /** The service stops and keeps this subscription in its store: no NOTIFY, timers off (see the diagram). */
  suspend(): void {
    if (this.#state !== SubscriptionState.Active) return;
    this.#transition(SubscriptionState.Suspended);
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #queue(kind: 'change' | 'full'): void {
    if (this.#inFlight) {
      if (this.#pending !== 'full') this.#pending = kind;
      return;
    }
    const body = this.#handler.render(kind === 'full', this.#maxBody());
    if (body === undefined) return;
    if (body.more && this.#pending === undefined) this.#pending = 'change';
    this.#inFlight = true;
    const expires = Math.max(0, Math.ceil((this.#expiresAt - this.#clock.now()) / 1000));
    this.#send(`active;expires=${expires}`, body, (outcome) => {
      this.#inFlight = false;
      if (this.#state !== SubscriptionState.Active) return;
      if (outcome !== 'delivered') {
        this.#end(outcome === 'gone' ? 'noresource' : 'notify-failed', false);
        return;
      }
      const next = this.#pending;
      this.#pending = undefined;
      if (next) this.#queue(next);
    });
  }

  /** How large a body the target takes: a datagram's worth over UDP, anything over a connection. */
  #maxBody(): number {
    return 'flowId' in this.#target ? Number.POSITIVE_INFINITY : MAX_DATAGRAM_BODY;
  }

  #send(subscriptionState: string, body: NotifyBody | undefined, done: (o: NotifyOutcome) => void): void {
    const notify = this.dialog.createRequest('NOTIFY', {
      headers: [
        ['Event', this.event],
        ['Subscription-State', subscriptionState],
      ],
      ...(body ? { body: body.body, contentType: body.contentType } : {}),
    });
    this.#sent++;
    this.#channel.send(notify, this.#target, done);
  }

  /**
   * Ends the subscription with a final NOTIFY "terminated;reason=…" (RFC 6665
   * §4.2.2), carrying the last state when the package has one. Idempotent.
   */
  terminate(reason: TerminationReason): void {
    if (this.#state !== SubscriptionState.Active) return;
    this.#end(reason, true);
  }

  #end(reason: TerminationReason, notify: boolean): void {
    this.#transition(SubscriptionState.Terminated);
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    if (notify) {
      const wire = reason === 'notify-failed' ? 'giveup' : reason;
      const body = this.#handler.render(true, this.#maxBody());
      const state = `terminated;reason=${wire}`;
      try {
        this.#send(state, body, () => undefined);
      } catch {
        /* the dialog may be gone already */
      }
    }
    this.dialog.terminate();
    this.#handler.onTerminated(this, reason);
  }
}
