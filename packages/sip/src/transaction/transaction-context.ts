import type { SipRequest } from '../message/message.js';
import type { Clock } from './clock.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';
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
  /** The layer was closed: every transaction is over, those it no longer holds included. */
  readonly closed: boolean;
  /** The transaction reached Terminated: forget it. */
  terminated(transaction: Transaction): void;
  /**
   * A non-INVITE client transaction entered Completed over an unreliable
   * transport: the layer drops it from its table, absorbs retransmitted
   * responses by its key until Timer K (T4, §17.1.2.2), and returns when
   * that is (the clock's milliseconds).
   */
  completedClient(transaction: NonInviteClientTransaction): number;
  /**
   * A non-INVITE server transaction entered Completed over an unreliable
   * transport: the layer runs its Timer J (64*T1, §17.2.2).
   */
  completedServer(transaction: NonInviteServerTransaction): void;
  /** A TU callback threw; the transaction carries on. */
  error(error: unknown): void;
  /** Starts the client transaction of a CANCEL (§9.1), for INVITE client transactions. */
  sendCancel(cancel: SipRequest, target: SendTarget, user: ClientTransactionUser): NonInviteClientTransaction;
}
