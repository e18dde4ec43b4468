/**
 * The client side of a transaction (RFC 3261 §17.1): the request goes out
 * when the layer starts it; responses come back through {@link receiveResponse}
 * after the layer matched them (§17.1.3).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import type { TransactionState } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';
import type { SendTarget } from './transport.js';

/** The TU of a transaction that let its own go (see {@link ClientTransaction.releaseUser}). */
export const NO_CLIENT_USER: ClientTransactionUser<ClientTransaction> = Object.freeze({});

export abstract class ClientTransaction extends Transaction {
  /** The TU; may be replaced (e.g. by a UAC core re-targeting a retry). */
  user: ClientTransactionUser<ClientTransaction>;

  protected constructor(
    ctx: TransactionContext,
    id: string,
    request: SipRequest,
    target: SendTarget,
    reliable: boolean,
    initial: TransactionState,
    user: ClientTransactionUser<ClientTransaction>,
  ) {
    super(ctx, id, request, target, reliable, initial);
    this.user = user;
  }

  /** Sends the request and starts the timers. Called once, by the layer. */
  abstract start(): void;

  /** A response the layer matched to this transaction (§17.1.3). */
  abstract receiveResponse(response: SipResponse): void;

  /**
   * Lets the TU go (its closures hold whatever the TU holds) once nothing
   * is left to tell it; a TU that listens to state changes is kept, since
   * Terminated is still to come.
   */
  protected releaseUser(): void {
    if (this.user.onStateChange === undefined) this.user = NO_CLIENT_USER;
  }

  protected override stateChanged(state: TransactionState): void {
    const user = this.user;
    if (user.onStateChange === undefined) return;
    try {
      user.onStateChange(state, this);
    } catch (e) {
      this.report(e);
    }
  }

  protected toTu(response: SipResponse): void {
    const user = this.user;
    if (user.onResponse === undefined) return;
    try {
      user.onResponse(response, this);
    } catch (e) {
      this.report(e);
    }
  }

  protected timedOut(): void {
    this.ctx.stats.timeouts++;
    const user = this.user;
    if (user.onTimeout === undefined) return;
    try {
      user.onTimeout(this);
    } catch (e) {
      this.report(e);
    }
  }

  protected override transportFailed(error: Error): void {
    this.dispose();
    const user = this.user;
    if (user.onTransportError === undefined) return;
    try {
      user.onTransportError(error, this);
    } catch (e) {
      this.report(e);
    }
  }
}
