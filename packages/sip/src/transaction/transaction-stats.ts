/** Counters of a {@link TransactionLayer} (monotonic unless noted). */
export interface TransactionStats {
  clientCreated: number;
  serverCreated: number;
  /** Live transactions (gauges). */
  clientActive: number;
  serverActive: number;
  /** Completed non-INVITE client transactions whose keys still absorb response retransmissions (gauge, Timer K). */
  clientCompleted: number;
  /** Requests absorbed by a server transaction (retransmissions, §17.2.1/§17.2.2). */
  requestRetransmissionsAbsorbed: number;
  /** Responses absorbed by the key of a completed non-INVITE client transaction (§17.1.2.2). */
  responseRetransmissionsAbsorbed: number;
  /** Retransmissions sent by timers A, E, G and in answer to retransmitted requests. */
  retransmissionsSent: number;
  /** Responses matching no client transaction, dropped (§17.1.3, §18.1.2). */
  strayResponsesDropped: number;
  /** 2xx to INVITE matching no client transaction, given to the core (§13.2.2.4, RFC 6026 §8.4). */
  stray2xxToCore: number;
  /** ACKs matching no INVITE server transaction, given to the core (§17.2.3, ACK for 2xx). */
  acksToCore: number;
  /** CANCEL matched an INVITE server transaction (§9.2). */
  cancelsMatched: number;
  /** Unmatched CANCEL answered 481 (§9.2). */
  cancels481: number;
  /** Requests refused with 503 because the table was full. */
  rejectedTableFull: number;
  /** Completed non-INVITE server transactions ended early to make room in a full table. */
  evictedCompleted: number;
  /** Requests matched with the RFC 2543 rules (no magic cookie, §17.2.3). */
  rfc2543Matches: number;
  timeouts: number;
  transportErrors: number;
  /** Messages received after close, or that could not be handled. */
  dropped: number;
}

export function newTransactionStats(): TransactionStats {
  return {
    clientCreated: 0,
    serverCreated: 0,
    clientActive: 0,
    serverActive: 0,
    clientCompleted: 0,
    requestRetransmissionsAbsorbed: 0,
    responseRetransmissionsAbsorbed: 0,
    retransmissionsSent: 0,
    strayResponsesDropped: 0,
    stray2xxToCore: 0,
    acksToCore: 0,
    cancelsMatched: 0,
    cancels481: 0,
    rejectedTableFull: 0,
    evictedCompleted: 0,
    rfc2543Matches: 0,
    timeouts: 0,
    transportErrors: 0,
    dropped: 0,
  };
}
