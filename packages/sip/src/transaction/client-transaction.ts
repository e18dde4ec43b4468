/**
 * The client side of a transaction (RFC 3261 §17.1): the request goes out
 * when the layer starts it; responses come back through {@link receiveResponse}
 * after the layer matched them (§17.1.3).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import type { TransactionState, TransitionTable } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';
import type { SendTarget } from './transport.js';

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
    transitions: TransitionTable,
    user: ClientTransactionUser<ClientTransaction>,
  ) {
    super(ctx, id, request, target, reliable, initial, transitions);
    this.user = user;
  }

  /** Sends the request and starts the timers. Called once, by the layer. */
  abstract start(): void;

  /** A response the layer matched to this transaction (§17.1.3). */
  abstract receiveResponse(response: SipResponse): void;

  protected override stateChanged(state: TransactionState): void {
    this.notify(() => this.user.onStateChange?.(state, this));
  }

  protected toTu(response: SipResponse): void {
    this.notify(() => this.user.onResponse?.(response, this));
  }

  protected timedOut(): void {
    this.ctx.stats.timeouts++;
    this.notify(() => this.user.onTimeout?.(this));
  }

  protected override transportFailed(error: Error): void {
    this.dispose();
    this.notify(() => this.user.onTransportError?.(error, this));
  }
}
