/**
 * The transaction user (TU, RFC 3261 §5, §17): the UAC core, UAS core or
 * proxy core above a transaction. Transactions report upward only through
 * these typed delegates (SIP.js `transaction-user.ts` style). A delegate that
 * throws cannot break a transaction: the error goes to the layer's `onError`.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { TransactionState } from './transaction-state.js';

/** What every TU may hear. `T` is the transaction type. */
export interface TransactionUser<T> {
  /** Called once per state change (not for the initial state). */
  onStateChange?(state: TransactionState, transaction: T): void;
  /**
   * A transport failure (ICMP error, refused or lost connection): the
   * transaction is terminated. A UAC treats it as a 503 (§8.1.3.1, §17.1.4);
   * a server transaction just stops (§17.2.4).
   */
  onTransportError?(error: Error, transaction: T): void;
}

export interface ClientTransactionUser<T = unknown> extends TransactionUser<T> {
  /** Every response the state machine passes up (§17.1.1.2, §17.1.2.2, RFC 6026 Accepted). */
  onResponse?(response: SipResponse, transaction: T): void;
  /** Timer B or F fired: treat as a 408 (§8.1.3.1, §17.1.1.2, §17.1.2.2). */
  onTimeout?(transaction: T): void;
}

export interface ServerTransactionUser<T = unknown> extends TransactionUser<T> {
  /**
   * A CANCEL matched this INVITE server transaction while it was Proceeding
   * (§9.2). The layer has already answered the CANCEL with 200; the TU should
   * answer the INVITE with 487 (a UAS) or cancel its branches (a proxy, §16.10).
   */
  onCancel?(cancel: SipRequest, transaction: T): void;
  /**
   * An ACK matched this INVITE server transaction in the Accepted state
   * (RFC 6026 §7.1): the ACK for a 2xx from an RFC 2543 peer that reused the
   * INVITE's branch. ACKs for 2xx normally reach the core unmatched.
   */
  onAck?(ack: SipRequest, transaction: T): void;
  /**
   * Timer H fired: the ACK for a non-2xx final response never came (§17.2.1);
   * or a non-INVITE request stayed unanswered past the client's Timer F.
   */
  onTimeout?(transaction: T): void;
}
