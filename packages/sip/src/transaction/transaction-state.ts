/**
 * Transaction states (RFC 3261 §17, RFC 6026 §7 "Accepted"). Each transaction
 * kind uses a subset and draws its own transitions in its doc comment:
 *
 * | kind               | states                                              |
 * |--------------------|-----------------------------------------------------|
 * | INVITE client      | Calling, Proceeding, Accepted, Completed, Terminated |
 * | non-INVITE client  | Trying, Proceeding, Completed, Terminated           |
 * | INVITE server      | Proceeding, Accepted, Completed, Confirmed, Terminated |
 * | non-INVITE server  | Trying, Proceeding, Completed, Terminated           |
 */
export enum TransactionState {
  Calling = 'Calling',
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Accepted = 'Accepted',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  Terminated = 'Terminated',
}

/** Allowed transitions of one transaction kind: state → states it may move to. */
export type TransitionTable = ReadonlyMap<TransactionState, readonly TransactionState[]>;
