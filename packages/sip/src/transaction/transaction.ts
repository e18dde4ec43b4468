/**
 * What the four transaction state machines of RFC 3261 §17 share: identity,
 * the state with checked transitions, timers on an injected clock, sending
 * with transport failures turned into reports, and an idempotent dispose.
 *
 * Memory: a server over UDP holds every transaction it answered for 32 s
 * (Timer J) and thousands are created a second, so what a transaction keeps
 * is counted in objects that outlive the young generation. Hence two fixed
 * timer slots instead of a map of named timers (no transaction runs more
 * than one retransmission timer and one timeout at a time, see
 * {@link startRetransmitTimer}), no closure per TU notification, and final
 * states that keep only what absorbing retransmissions needs.
 */
import { InvalidStateError } from '../errors.js';
import type { SipMessage, SipRequest } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import type { TimerHandle } from './clock.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { SendTarget } from './transport.js';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

export abstract class Transaction {
  abstract readonly kind: TransactionKind;
  /** The key of the layer's table (§17.1.3 / §17.2.3). */
  readonly id: string;
  /** The parsed request, or undefined once released (see {@link releaseRequest}). */
  #request: SipRequest | undefined;
  /** Where messages of this transaction are sent. */
  readonly target: SendTarget;
  /** Reliable transport: no retransmissions, timers D/I/J/K zero (§17). */
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext;
  #state: TransactionState;
  /** Slot of the retransmission timer: A, E, G, or the INVITE server's 100 Trying delay. */
  #retransmitTimer: TimerHandle | undefined;
  /** Slot of the timeout: B, D, F, H, I, K, L, M, or the non-INVITE server's abandon guard. */
  #deadlineTimer: TimerHandle | undefined;

  protected constructor(ctx: TransactionContext, id: string, request: SipRequest, target: SendTarget, reliable: boolean, initial: TransactionState) {
    this.ctx = ctx;
    this.id = id;
    this.#request = request;
    this.target = target;
    this.reliable = reliable;
    this.#state = initial;
  }

  /** The allowed transitions of this kind (one table per class, not per instance). */
  protected abstract get transitions(): TransitionTable;

  /**
   * The request that created the transaction. After {@link releaseRequest}
   * it is parsed again from {@link keptRequestBytes} (and cached), or, when
   * none were kept, this throws {@link InvalidStateError}.
   */
  get request(): SipRequest {
    if (this.#request !== undefined) return this.#request;
    const bytes = this.keptRequestBytes();
    if (bytes === undefined) throw new InvalidStateError(`${this.kind} transaction in ${this.state} no longer holds its request`);
    return (this.#request = parseMessage(bytes) as SipRequest);
  }

  /** True while the parsed request is held (not released, or parsed again since). */
  get holdsRequest(): boolean {
    return this.#request !== undefined;
  }

  /** The bytes {@link request} parses after a release; none by default. */
  protected keptRequestBytes(): Buffer | undefined {
    return undefined;
  }

  /**
   * Drops the parsed request (header arrays, URIs, parameter maps: most of
   * a transaction's memory) for a final state that does not need it.
   */
  protected releaseRequest(): void {
    this.#request = undefined;
  }

  get state(): TransactionState {
    return this.#state;
  }

  get terminated(): boolean {
    return this.state === TransactionState.Terminated;
  }

  /**
   * Moves to `to`, or throws {@link InvalidStateError} when the drawn state
   * machine has no such edge. Entering Terminated clears every timer and
   * removes the transaction from the layer.
   */
  protected transition(to: TransactionState): void {
    const allowed = this.transitions.get(this.#state);
    if (allowed === undefined || !allowed.includes(to)) {
      throw new InvalidStateError(`${this.kind} transaction: ${this.#state} → ${to} is not a transition`);
    }
    this.#state = to;
    if (to === TransactionState.Terminated) {
      this.stopRetransmitTimer();
      this.stopDeadlineTimer();
      this.ctx.terminated(this);
    }
    this.stateChanged(to);
  }

  // ---- timers --------------------------------------------------------------------

  /**
   * (Re)starts the retransmission timer; {@link onRetransmitTimer} runs when
   * it fires. Per kind: A (INVITE client), E (non-INVITE client), G and the
   * 100 Trying delay (INVITE server, never at the same time: the delay ends
   * with the first response, G starts with a final one).
   */
  protected startRetransmitTimer(ms: number): void {
    if (this.#retransmitTimer !== undefined) this.ctx.clock.clearTimeout(this.#retransmitTimer);
    this.#retransmitTimer = this.ctx.clock.setTimeout(() => {
      this.#retransmitTimer = undefined;
      this.onRetransmitTimer();
    }, ms);
  }

  protected stopRetransmitTimer(): void {
    if (this.#retransmitTimer === undefined) return;
    this.ctx.clock.clearTimeout(this.#retransmitTimer);
    this.#retransmitTimer = undefined;
  }

  /**
   * (Re)starts the timeout; {@link onDeadlineTimer} runs when it fires. One
   * per state: B then M or D (INVITE client), F (non-INVITE client), H, I
   * or L (INVITE server), the abandon guard (non-INVITE server). Timers J
   * and K run in the layer (see `ExpiryQueue`).
   */
  protected startDeadlineTimer(ms: number): void {
    if (this.#deadlineTimer !== undefined) this.ctx.clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = this.ctx.clock.setTimeout(() => {
      this.#deadlineTimer = undefined;
      this.onDeadlineTimer();
    }, ms);
  }

  protected stopDeadlineTimer(): void {
    if (this.#deadlineTimer === undefined) return;
    this.ctx.clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
  }

  /** Number of timers running (0, 1 or 2): for tests. */
  get runningTimers(): number {
    return (this.#retransmitTimer === undefined ? 0 : 1) + (this.#deadlineTimer === undefined ? 0 : 1);
  }

  protected onRetransmitTimer(): void {}

  protected onDeadlineTimer(): void {}

  // ---- reporting -----------------------------------------------------------------

  /** Tells the TU about a state change. */
  protected abstract stateChanged(state: TransactionState): void;

  /** A send failed (§17.1.4, §17.2.4). */
  protected abstract transportFailed(error: Error): void;

  /** Sends `message` to {@link target}; a failure is reported once, if still alive. */
  protected send(message: SipMessage, retransmission = false): void {
    if (retransmission) this.ctx.stats.retransmissionsSent++;
    // One closure per send, not one kept per transaction: it dies with the
    // send's promise, while a field would keep it for the whole of Timer J.
    const onFailure = (e: unknown): void => {
      if (this.terminated) return;
      this.ctx.stats.transportErrors++;
      this.transportFailed(e instanceof Error ? e : new Error(String(e)));
    };
    let pending: Promise<unknown>;
    try {
      pending = this.ctx.transport.send(message, this.target);
    } catch (e) {
      // Reported asynchronously all the same: the caller is mid-transition.
      pending = Promise.reject(e);
    }
    pending.then(undefined, onFailure);
  }

  /** To the layer's error report, not up the stack: a TU callback threw, or a kept message did not parse. */
  protected report(e: unknown): void {
    this.ctx.error(e);
  }

  /**
   * Ends the transaction now, whatever its state: timers cleared, table entry
   * removed, TU told of the state change. Idempotent.
   */
  dispose(): void {
    if (this.terminated) return;
    this.transition(TransactionState.Terminated);
  }
}
