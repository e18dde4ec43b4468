/**
 * The UAS core's retransmission of a 2xx to INVITE until the ACK arrives
 * (RFC 3261 §13.3.1.4; RFC 6026 leaves it to the TU). Over unreliable
 * transports the 2xx is resent at T1, 2*T1… capped at T2; over reliable ones
 * it is not resent, but the ACK is awaited all the same. No ACK within 64*T1:
 * `onTimeout` (the dialog is confirmed, but the session should end with BYE).
 *
 * ```
 *   start ──► Waiting ──ACK──► Acked
 *                │
 *                └──64*T1──► TimedOut        dispose() from any state: timers cleared
 * ```
 */
import type { SipResponse } from '../message/message.js';
import type { Clock } from '../transaction/clock.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import { TimerSet } from '../transaction/timer-set.js';
import type { TimerValues } from '../transaction/timer-values.js';
import { TransactionState } from '../transaction/transaction-state.js';

export enum RetransmitterState {
  Waiting = 'Waiting',
  Acked = 'Acked',
  TimedOut = 'TimedOut',
  Disposed = 'Disposed',
}

export class TwoXxRetransmitter {
  readonly response: SipResponse;
  readonly #tx: InviteServerTransaction;
  readonly #timers: TimerSet<'retransmit' | 'timeout'>;
  readonly #values: TimerValues;
  readonly #onTimeout: () => void;
  #interval: number;
  #state = RetransmitterState.Waiting;

  constructor(tx: InviteServerTransaction, response: SipResponse, clock: Clock, timers: TimerValues, onTimeout: () => void) {
    this.#tx = tx;
    this.response = response;
    this.#timers = new TimerSet(clock);
    this.#values = timers;
    this.#onTimeout = onTimeout;
    this.#interval = timers.T1;
    if (!tx.reliable) this.#timers.start('retransmit', this.#interval, () => this.#retransmit());
    this.#timers.start('timeout', 64 * timers.T1, () => {
      if (this.#state !== RetransmitterState.Waiting) return;
      this.#state = RetransmitterState.TimedOut;
      this.#timers.clear();
      this.#onTimeout();
    });
  }

  get state(): RetransmitterState {
    return this.#state;
  }

  #retransmit(): void {
    if (this.#state !== RetransmitterState.Waiting) return;
    if (this.#tx.state === TransactionState.Accepted) this.#tx.respond(this.response);
    this.#interval = Math.min(2 * this.#interval, this.#values.T2);
    this.#timers.start('retransmit', this.#interval, () => this.#retransmit());
  }

  /** The ACK arrived: stop. Returns false if it was no longer waiting. */
  acknowledge(): boolean {
    if (this.#state !== RetransmitterState.Waiting) return false;
    this.#state = RetransmitterState.Acked;
    this.#timers.clear();
    return true;
  }

  dispose(): void {
    this.#timers.clear();
    if (this.#state === RetransmitterState.Waiting) this.#state = RetransmitterState.Disposed;
  }
}
