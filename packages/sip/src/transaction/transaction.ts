/**
 * What the four transaction state machines of RFC 3261 §17 share: identity,
 * the state with checked transitions, timers on an injected clock, sending
 * with transport failures turned into reports, and an idempotent dispose.
 */
import { InvalidStateError } from '../errors.js';
import type { SipMessage, SipRequest } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { TimerSet } from './timer-set.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { SendTarget } from './transport.js';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

export abstract class Transaction {
  abstract readonly kind: TransactionKind;
  /** The key of the layer's table (§17.1.3 / §17.2.3). */
  readonly id: string;
  /** The parsed request, or undefined while only its bytes are kept (see {@link compactRequest}). */
  #request: SipRequest | undefined;
  #requestBytes: Buffer | undefined;
  /** Where messages of this transaction are sent. */
  readonly target: SendTarget;
  /** Reliable transport: no retransmissions, timers D/I/J/K zero (§17). */
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext;
  protected readonly timers: TimerSet;
  readonly #transitions: TransitionTable;
  #state: TransactionState;

  protected constructor(
    ctx: TransactionContext,
    id: string,
    request: SipRequest,
    target: SendTarget,
    reliable: boolean,
    initial: TransactionState,
    transitions: TransitionTable,
  ) {
    this.ctx = ctx;
    this.id = id;
    this.#request = request;
    this.target = target;
    this.reliable = reliable;
    this.timers = new TimerSet(ctx.clock);
    this.#state = initial;
    this.#transitions = transitions;
  }

  /** The request that created the transaction. */
  get request(): SipRequest {
    return (this.#request ??= parseMessage(this.#requestBytes!) as SipRequest);
  }

  /**
   * Keeps only the bytes of the request: a completed non-INVITE server
   * transaction over UDP lives 64*T1 (Timer J) just to absorb
   * retransmissions, and the parsed request (header arrays, URIs, parameter
   * maps) is most of its memory. {@link request} parses the bytes again if
   * anyone still asks.
   */
  protected compactRequest(): void {
    if (this.#request === undefined) return;
    this.#requestBytes = this.#request.toBuffer();
    this.#request = undefined;
  }

  get state(): TransactionState {
    return this.#state;
  }

  get terminated(): boolean {
    return this.#state === TransactionState.Terminated;
  }

  /**
   * Moves to `to`, or throws {@link InvalidStateError} when the drawn state
   * machine has no such edge. Entering Terminated clears every timer and
   * removes the transaction from the layer.
   */
  protected transition(to: TransactionState): void {
    const allowed = this.#transitions.get(this.#state) ?? [];
    if (!allowed.includes(to)) {
      throw new InvalidStateError(`${this.kind} transaction: ${this.#state} → ${to} is not a transition`);
    }
    this.#state = to;
    if (to === TransactionState.Terminated) {
      this.timers.clear();
      this.ctx.terminated(this);
    }
    this.stateChanged(to);
  }

  /** Tells the TU about a state change. */
  protected abstract stateChanged(state: TransactionState): void;

  /** A send failed (§17.1.4, §17.2.4). */
  protected abstract transportFailed(error: Error): void;

  /** Sends `message` to {@link target}; a failure is reported once, if still alive. */
  protected send(message: SipMessage, retransmission = false): void {
    if (retransmission) this.ctx.stats.retransmissionsSent++;
    let pending: Promise<unknown>;
    try {
      pending = this.ctx.transport.send(message, this.target);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.catch((e: unknown) => {
      if (this.terminated) return;
      this.ctx.stats.transportErrors++;
      this.transportFailed(e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Runs a TU callback; a throw goes to the layer's error report, not up the stack. */
  protected notify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.ctx.error(e);
    }
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
