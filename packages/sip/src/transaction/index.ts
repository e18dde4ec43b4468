/**
 * The transaction layer (RFC 3261 §17, RFC 6026): the four transaction state
 * machines, matching, CANCEL (§9) and the layer that owns the tables.
 *
 * Needs: a {@link TransactionTransport} (send a message to a target, say
 * whether a protocol is reliable) and a {@link TransactionLayerCore} (what
 * matched nothing). Imports nothing of Parley and not the transport module.
 */
export { type Clock, type TimerHandle, systemClock } from './clock.js';
export { VirtualClock } from './virtual-clock.js';
export { DEFAULT_TIMER_VALUES, type TimerValues, resolveTimerValues } from './timer-values.js';
export { TimerSet } from './timer-set.js';
export { ExpiryQueue } from './expiry-queue.js';
export {
  type AddressTarget,
  type FlowInfo,
  type FlowTarget,
  type SendTarget,
  type TransactionTransport,
  isFlowTarget,
  isReliableProtocol,
} from './transport.js';
export { TRANSACTION_ERROR_CODES, TransactionError, type TransactionErrorCode } from './errors.js';
export { TransactionState, type TransitionTable } from './transaction-state.js';
export type { ClientTransactionUser, ServerTransactionUser, TransactionUser } from './transaction-user.js';
export { Transaction, type TransactionKind } from './transaction.js';
export { ClientTransaction } from './client-transaction.js';
export { ServerTransaction } from './server-transaction.js';
export { type CancelOptions, InviteClientTransaction } from './invite-client-transaction.js';
export { NonInviteClientTransaction } from './non-invite-client-transaction.js';
export { InviteServerTransaction } from './invite-server-transaction.js';
export { NonInviteServerTransaction } from './non-invite-server-transaction.js';
export { createNon2xxAck } from './non-2xx-ack.js';
export { createCancel } from './cancel-request.js';
export { createSyntheticResponse } from './synthetic-response.js';
export {
  type ServerKeyOverrides,
  clientTransactionKey,
  hasRfc3261Branch,
  mergedRequestKey,
  serverTransactionKey,
} from './transaction-keys.js';
export { type TransactionStats, newTransactionStats } from './transaction-stats.js';
export { type TransactionLayerCore, TransactionLayer, type TransactionLayerOptions } from './transaction-layer.js';
