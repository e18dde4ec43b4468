import type { SipRequest } from '../message/message.js';
import type { Clock } from './clock.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { TimerValues } from './timer-values.js';
import type { Transaction } from './transaction.js';
import type { TransactionStats } from './transaction-stats.js';
import type { ClientTransactionUser } from './transaction-user.js';
import type { SendTarget, TransactionTransport } from './transport.js';

/**
 * What the layer hands each transaction (mediasoup style: parents hand
 * children closures, not themselves).
 */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly transport: TransactionTransport;
  readonly stats: TransactionStats;
  /** The transaction reached Terminated: forget it. */
  terminated(transaction: Transaction): void;
  /** A TU callback threw; the transaction carries on. */
  error(error: unknown): void;
  /** Starts the client transaction of a CANCEL (§9.1), for INVITE client transactions. */
  sendCancel(cancel: SipRequest, target: SendTarget, user: ClientTransactionUser): NonInviteClientTransaction;
}
