/**
 * Live calls: the INVITE dialogs this proxy Record-Routed, counted per local
 * user, so that presence can show "In a call" for phones that publish no
 * RPID `on-the-phone` (issue "Instant messaging and presence as the original
 * does them": In a call comes from the user's live calls).
 *
 * A dialog is identified by Call-ID, the caller's (From) tag and the
 * callee's (To) tag (RFC 3261 §12). In-dialog requests from the callee carry
 * the tags the other way round (§12.2.1.1); both orders find the dialog.
 *
 * ```
 *               1xx with a To tag forwarded
 *   (none) ──────────────────────────────▶ Early ──────────────────┐
 *     │                                      │ 2xx forwarded       │ its INVITE ended without this
 *     │ 2xx forwarded                        ▼                     │ branch's 2xx (CANCEL, 4xx–6xx,
 *     └──────────────────────────────▶ Confirmed ──┐               │ a lost fork); BYE; 481/408;
 *                                            │  ▲   │ re-INVITE,    │ deadline
 *                                            │  └───┘ UPDATE, other │
 *                          BYE; 481/408;     │        in-dialog     │
 *                          deadline          ▼        request       │
 *                                          Ended ◀──────────────────┘
 *                                            │ ENDED_LINGER_MS later
 *                                            ▼
 *                                        forgotten
 * ```
 *
 * Only Confirmed counts, for each party that is a local user: the caller
 * (the authenticated From) and the callee (the user the Request-URI named).
 * A re-INVITE is a request in a confirmed dialog: it moves the deadline and
 * counts nothing. Of a forked INVITE only the branch whose 2xx the proxy
 * forwards upstream counts (§16.7 step 5); the other branches stay Early
 * and end with the INVITE transaction.
 *
 * The BYE itself ends the call, as the proxy takes it on, not its 2xx: the
 * session is over for the UAC once it sends the BYE and for the UAS once it
 * receives it, whatever the answer (§15.1.1, §15.1.2) — a 481, a 401
 * challenge, a 408 from a peer that vanished leave it ended just the same.
 * Waiting for the response would change no outcome, only delay it: by a
 * round trip, or by 32 s (Timer F) when the peer is gone, and for ever when
 * the proxy cannot forward the BYE at all (a browser whose WebSocket closed:
 * 480). A BYE is not authenticated by the proxy (it authorized the dialog
 * when it Record-Routed it), but neither is it by the peer: whoever knows
 * the dialog id (Call-ID and both tags, seen only on the signalling path)
 * ends the call itself with it, so presence showing it ended is the truth.
 *
 * Safety bound: a lost BYE (a phone switched off, a UA that ignored our
 * Record-Route) must not leave a user "In a call" for ever. A confirmed
 * dialog ends at its deadline: the session interval of RFC 4028 when the
 * 2xx of the INVITE (or of a later refresh) carries Session-Expires (§10:
 * a session not refreshed by then is over), else `idleLimitMs` (12 h) after
 * the last in-dialog request or response seen.
 *
 * Bounded: at most `maxDialogs` dialogs (early, confirmed and the ended
 * ones remembered for {@link ENDED_LINGER_MS}); past it, the oldest ended
 * ones are forgotten first, and a new dialog that still does not fit is
 * refused with `CallTrackerError('table-full')` (the call goes on, untracked).
 */
import type { Clock, TimerHandle } from '@parley/sip/transaction';
import { CallTrackerError } from './errors.js';

export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Ended = 'ended',
}

/**
 * An ended dialog is remembered this long (64·T1, the life of an INVITE
 * client transaction, RFC 3261 §17.1.1.2) so that a late 2xx retransmission
 * cannot bring it back.
 */
export const ENDED_LINGER_MS = 32_000;

export interface CallTrackerOptions {
  /** Timers and time (ms). Default: Date.now with unref'd timers. */
  readonly clock?: Clock;
  /** A confirmed dialog without session timer ends after this long without in-dialog traffic. Default 12 h. */
  readonly idleLimitMs?: number;
  /** Dialogs kept at most (early, confirmed, recently ended). Default 100,000. */
  readonly maxDialogs?: number;
  /** A listener threw. */
  onError?(err: unknown): void;
}

/** Why a dialog ended (for logs and tests). */
export type EndReason =
  /** A BYE, from either side. */
  | 'bye'
  /** 481 to an in-dialog request. */
  | 'no-dialog'
  /** 408 to an in-dialog request. */
  | 'timeout'
  /** The safety bound: no refresh within the session interval, or no traffic within the idle limit. */
  | 'expired'
  /** An early dialog whose INVITE ended without its 2xx. */
  | 'invite-failed';

/** A live-call count changed: `aor` is now in `calls` calls. */
export type CallsListener = (aor: string, calls: number) => void;

interface Dialog {
  readonly key: string;
  readonly parties: readonly string[];
  state: DialogState;
  /** When the safety bound (or, once Ended, the linger) runs out (clock ms). */
  deadline: number;
  /** RFC 4028 session interval (ms) when negotiated. */
  sessionMs: number | undefined;
  timer: TimerHandle | undefined;
  endReason: EndReason | undefined;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const processClock: Clock = {
  now: Date.now,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const keyOf = (callId: string, callerTag: string, calleeTag: string): string => `${callId}\n${callerTag}\n${calleeTag}`;

/**
 * One INVITE on its way: the dialogs its branches may create. Made by
 * {@link CallTracker.invite} when the proxy forks an initial INVITE.
 */
export class InviteAttempt {
  readonly #early = new Set<string>();

  constructor(
    private readonly tracker: CallTracker,
    readonly callId: string,
    readonly callerTag: string,
    readonly parties: readonly string[],
  ) {}

  /** A provisional response with a To tag went upstream: an early dialog (§12.1). */
  early(calleeTag: string): void {
    const key = keyOf(this.callId, this.callerTag, calleeTag);
    if (this.tracker.early(key, this.parties)) this.#early.add(key);
  }

  /** A 2xx went upstream (the branch that won, or one more 2xx of a fork): the dialog is confirmed. */
  confirm(calleeTag: string, sessionMs?: number): void {
    const key = keyOf(this.callId, this.callerTag, calleeTag);
    this.#early.delete(key);
    this.tracker.confirm(key, this.parties, sessionMs);
  }

  /** The INVITE transaction is over: its early dialogs that no 2xx confirmed end without counting. */
  over(): void {
    for (const key of this.#early) this.tracker.endEarly(key);
    this.#early.clear();
  }
}

export class CallTracker {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #max: number;
  readonly #dialogs = new Map<string, Dialog>();
  /** Ended dialogs in the order they ended: the first to forget when full. */
  readonly #ended = new Set<string>();
  readonly #counts = new Map<string, number>();
  readonly #listeners = new Set<CallsListener>();
  #closed = false;

  constructor(private readonly o: CallTrackerOptions = {}) {
    this.#clock = o.clock ?? processClock;
    this.#idleMs = o.idleLimitMs ?? 12 * 3600_000;
    this.#max = o.maxDialogs ?? 100_000;
    if (!(this.#idleMs > 0)) throw new TypeError('idleLimitMs must be positive');
    if (!(this.#max > 0)) throw new TypeError('maxDialogs must be positive');
  }

  /** Live (confirmed) calls of `aor`. */
  callsOf(aor: string): number {
    return this.#counts.get(aor) ?? 0;
  }

  /** Users in at least one call now. */
  get busyUsers(): number {
    return this.#counts.size;
  }

  /** Dialogs held (early, confirmed, recently ended). */
  get size(): number {
    return this.#dialogs.size;
  }

  /** The state of a dialog, either tag order; undefined when unknown or forgotten. */
  stateOf(callId: string, tagA: string, tagB: string): DialogState | undefined {
    return this.#find(callId, tagA, tagB)?.state;
  }

  /** Why an ended dialog ended, while it is remembered. */
  endReasonOf(callId: string, tagA: string, tagB: string): EndReason | undefined {
    return this.#find(callId, tagA, tagB)?.endReason;
  }

  /** Follows live-call counts; returns the function that stops following. */
  onChange(listener: CallsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * An initial INVITE from `callerTag` that this proxy forks and
   * Record-Routes; `parties` are its local users (caller, callee).
   */
  invite(callId: string, callerTag: string, parties: readonly string[]): InviteAttempt {
    return new InviteAttempt(this, callId, callerTag, [...new Set(parties)]);
  }

  /** @internal (InviteAttempt): a new early dialog; false when it is known already (a 1xx retransmission, a later 1xx). */
  early(key: string, parties: readonly string[]): boolean {
    if (this.#closed || this.#dialogs.has(key)) return false;
    this.#add({ key, parties, state: DialogState.Early, deadline: this.#clock.now() + this.#idleMs, sessionMs: undefined, timer: undefined, endReason: undefined });
    return true;
  }

  /** @internal (InviteAttempt): Early or unknown → Confirmed; Confirmed stays (a 2xx retransmission); Ended → illegal. */
  confirm(key: string, parties: readonly string[], sessionMs: number | undefined): void {
    if (this.#closed) return;
    let d = this.#dialogs.get(key);
    if (d?.state === DialogState.Ended) throw new CallTrackerError('illegal-transition', `${d.state} → ${DialogState.Confirmed}`);
    if (d?.state === DialogState.Confirmed) return;
    if (!d) {
      d = { key, parties, state: DialogState.Early, deadline: 0, sessionMs: undefined, timer: undefined, endReason: undefined };
      this.#add(d);
    }
    d.state = DialogState.Confirmed;
    this.#refresh(d, sessionMs);
    for (const aor of d.parties) this.#count(aor, +1);
  }

  /** @internal (InviteAttempt): an early dialog whose INVITE ended without its 2xx. */
  endEarly(key: string): void {
    const d = this.#dialogs.get(key);
    if (d?.state === DialogState.Early) this.#end(d, 'invite-failed');
  }

  /**
   * An in-dialog request (or ACK) reached the proxy: a BYE ends the dialog
   * (§15.1, above); anything else shows it alive (the idle bound moves).
   */
  request(callId: string, fromTag: string, toTag: string, method: string): void {
    const d = this.#find(callId, fromTag, toTag);
    if (!d || d.state === DialogState.Ended) return;
    if (method === 'BYE') this.#end(d, 'bye');
    else this.#touch(d);
  }

  /**
   * The final response to an in-dialog request went upstream (a BYE's finds
   * its dialog ended already):
   * - 481 or 408 to any request: the dialog ends (§12.2.1.2);
   * - 2xx to a re-INVITE or UPDATE: a session refresh (RFC 4028 §10), whose
   *   Session-Expires (absent: no session timer any more, §9) sets the deadline;
   * - anything else: traffic (the idle bound moves).
   */
  response(callId: string, fromTag: string, toTag: string, method: string, status: number, sessionMs?: number): void {
    if (status < 200) return;
    const d = this.#find(callId, fromTag, toTag);
    if (!d || d.state === DialogState.Ended) return;
    if (status === 481) this.#end(d, 'no-dialog');
    else if (status === 408) this.#end(d, 'timeout');
    else if (d.state === DialogState.Confirmed && status < 300 && (method === 'INVITE' || method === 'UPDATE')) this.#refresh(d, sessionMs);
    else this.#touch(d);
  }

  /** Stops every timer and forgets every call (no change is reported); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#dialogs.values()) if (d.timer !== undefined) this.#clock.clearTimeout(d.timer);
    this.#dialogs.clear();
    this.#ended.clear();
    this.#counts.clear();
    this.#listeners.clear();
  }

  #find(callId: string, a: string, b: string): Dialog | undefined {
    return this.#dialogs.get(keyOf(callId, a, b)) ?? this.#dialogs.get(keyOf(callId, b, a));
  }

  #add(d: Dialog): void {
    while (this.#dialogs.size >= this.#max && this.#ended.size > 0) {
      const oldest = this.#ended.values().next().value as string;
      this.#forget(oldest);
    }
    if (this.#dialogs.size >= this.#max) throw new CallTrackerError('table-full', `${this.#max} dialogs`);
    this.#dialogs.set(d.key, d);
    this.#arm(d);
  }

  /** In-dialog traffic: the idle bound moves (the session interval, when negotiated, moves only on a refresh). */
  #touch(d: Dialog): void {
    if (d.state === DialogState.Confirmed && d.sessionMs === undefined) d.deadline = this.#clock.now() + this.#idleMs;
  }

  #refresh(d: Dialog, sessionMs: number | undefined): void {
    d.sessionMs = sessionMs !== undefined && sessionMs > 0 ? sessionMs : undefined;
    d.deadline = this.#clock.now() + (d.sessionMs ?? this.#idleMs);
    this.#arm(d);
  }

  /** (Re)starts the dialog's one timer for its deadline; a timer that fires early re-arms itself (moves cost no timer). */
  #arm(d: Dialog): void {
    if (d.timer !== undefined) this.#clock.clearTimeout(d.timer);
    const delay = Math.min(Math.max(0, d.deadline - this.#clock.now()), MAX_TIMER_MS);
    d.timer = this.#clock.setTimeout(() => {
      d.timer = undefined;
      if (this.#closed || this.#dialogs.get(d.key) !== d) return;
      if (this.#clock.now() < d.deadline) this.#arm(d);
      else if (d.state === DialogState.Ended) this.#forget(d.key);
      else this.#end(d, 'expired');
    }, delay);
  }

  #end(d: Dialog, reason: EndReason): void {
    const was = d.state;
    d.state = DialogState.Ended;
    d.endReason = reason;
    d.deadline = this.#clock.now() + ENDED_LINGER_MS;
    this.#ended.add(d.key);
    this.#arm(d);
    if (was === DialogState.Confirmed) for (const aor of d.parties) this.#count(aor, -1);
  }

  #forget(key: string): void {
    const d = this.#dialogs.get(key);
    if (d?.timer !== undefined) this.#clock.clearTimeout(d.timer);
    this.#dialogs.delete(key);
    this.#ended.delete(key);
  }

  #count(aor: string, delta: number): void {
    const n = (this.#counts.get(aor) ?? 0) + delta;
    if (n > 0) this.#counts.set(aor, n);
    else this.#counts.delete(aor);
    for (const l of this.#listeners) {
      try {
        l(aor, Math.max(0, n));
      } catch (e) {
        this.o.onError?.(e);
      }
    }
  }
}

/**
 * The session interval of a 2xx (RFC 4028 §4: `Session-Expires: delta-seconds
 * *(;se-params)`), in ms; undefined when absent or malformed.
 */
export function sessionIntervalMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s*(?:;|$)/.exec(value);
  if (!m) return undefined;
  const s = Number(m[1]);
  return s > 0 ? s * 1000 : undefined;
}
