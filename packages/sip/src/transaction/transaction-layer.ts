/**
 * The transaction layer (RFC 3261 §17): owns the client and server
 * transaction tables, matches every incoming message to its transaction
 * (§17.1.3, §17.2.3 with the RFC 2543 fallback) and hands the core what
 * matched nothing.
 *
 * ```
 *   transport → parse → validate → layer.receive(msg, flow)
 *       request, matched ............ retransmission, absorbed by its server transaction
 *       request, new ................ server transaction created → core.onRequest(tx, flow)
 *       CANCEL matching an INVITE ... 200 to the CANCEL, INVITE's TU told (§9.2)
 *       CANCEL matching nothing ..... 481 (or core.onRequest for a proxy, §16.10)
 *       ACK matching an INVITE ...... to its transaction (non-2xx ACK, §17.2.1)
 *       ACK matching nothing ........ core.onAck (the ACK for a 2xx, §13.3.1.4)
 *       response, matched ........... to its client transaction
 *       response, completed key ..... absorbed: a non-INVITE client transaction's Timer K (§17.1.2.2)
 *       2xx to INVITE, unmatched .... core.onStrayResponse (§13.2.2.4, RFC 6026 §8.4)
 *       other response, unmatched ... dropped and counted (§18.1.2)
 * ```
 *
 * Tables are bounded: a request beyond the limit gets a stateless 503 with
 * Retry-After (§21.5.4); a client transaction beyond it throws
 * {@link TransactionError} `table-full`. Before refusing, the server table
 * ends the oldest completed non-INVITE transactions that have waited at
 * least 2*T2 since their final response: over UDP they only absorb
 * retransmissions until Timer J (64*T1), and a client that got the response
 * sends none, while one whose copy was lost retransmits within T2. Merged-request detection (§8.2.2.2)
 * is left to the UAS core; {@link isMergedRequest} gives it the data.
 *
 * The two long waits of the non-INVITE transactions over UDP run here, in
 * one {@link ExpiryQueue} each instead of a timer per transaction:
 * completed server transactions until Timer J (they stay in the server
 * table, to resend their response), and the mere keys of completed client
 * transactions until Timer K (the transaction itself has left the client
 * table: a response matching a key is a retransmission, absorbed and
 * counted, §17.1.2.2).
 */
import { InvalidStateError } from '../errors.js';
import { createResponse, newTag } from '../message/factory.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/message.js';
import type { ClientTransaction } from './client-transaction.js';
import { type Clock, systemClock } from './clock.js';
import { TransactionError } from './errors.js';
import { ExpiryQueue } from './expiry-queue.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ServerTransaction } from './server-transaction.js';
import { type TimerValues, resolveTimerValues } from './timer-values.js';
import type { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { clientTransactionKey, mergedRequestKey, serverTransactionKey } from './transaction-keys.js';
import { type TransactionStats, newTransactionStats } from './transaction-stats.js';
import type { ClientTransactionUser } from './transaction-user.js';
import { type FlowInfo, type SendTarget, type TransactionTransport, isFlowTarget } from './transport.js';

/** The core above the layer (UAS core, proxy core, or a dispatcher of both). */
export interface TransactionLayerCore {
  /** A request that matched no transaction (never an ACK); its server transaction exists already. */
  onRequest(transaction: ServerTransaction, flow: FlowInfo): void;
  /** An ACK that matched no INVITE server transaction: normally the ACK for a 2xx. */
  onAck?(ack: SipRequest, flow: FlowInfo): void;
  /** A 2xx to an INVITE that matched no client transaction. */
  onStrayResponse?(response: SipResponse, flow: FlowInfo): void;
}

export interface TransactionLayerOptions {
  transport: TransactionTransport;
  /** The core; or set it once later with {@link TransactionLayer.setCore} (it may need the layer first). */
  core?: TransactionLayerCore;
  clock?: Clock;
  timers?: Partial<TimerValues>;
  /** Most live transactions per table (client, server). Default 100 000. */
  maxTransactions?: number;
  /** Retry-After (seconds) of the 503 sent when the server table is full. Default 5. */
  retryAfter?: number;
  /**
   * Where a server transaction sends its responses (§18.2.2). Default: back
   * over the flow the request came on (for UDP, the source address and port,
   * as RFC 3581 asks).
   */
  responseTarget?(request: SipRequest, flow: FlowInfo): SendTarget;
  /** Answer a CANCEL that matches nothing with 481 (a UA, §9.2). False for a proxy (§16.10). Default true. */
  answerUnmatchedCancel?: boolean;
  /** A delegate threw, or a message could not be handled. */
  onError?(error: unknown): void;
}

export class TransactionLayer {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly #transport: TransactionTransport;
  #core: TransactionLayerCore | undefined;
  readonly #max: number;
  readonly #retryAfter: number;
  readonly #responseTarget: (request: SipRequest, flow: FlowInfo) => SendTarget;
  readonly #answerUnmatchedCancel: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #client = new Map<string, ClientTransaction>();
  readonly #server = new Map<string, ServerTransaction>();
  readonly #merged = new Map<string, ServerTransaction>();
  /** Keys of the non-INVITE client transactions in Completed over UDP, until Timer K (§17.1.2.2). */
  readonly #completedClients: ExpiryQueue<string>;
  /** Of those, the ones whose TU listens to state changes: told Terminated at Timer K. Usually empty. */
  readonly #watchedClients = new Map<string, NonInviteClientTransaction>();
  /** Non-INVITE server transactions in Completed over UDP, oldest first, until Timer J (§17.2.2). */
  readonly #completedServers: ExpiryQueue<NonInviteServerTransaction>;
  readonly #stats = newTransactionStats();
  readonly #ctx: TransactionContext;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    this.#transport = options.transport;
    this.#core = options.core;
    this.clock = options.clock ?? systemClock;
    this.timers = resolveTimerValues(options.timers);
    this.#max = options.maxTransactions ?? 100_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new TypeError('maxTransactions must be a positive integer');
    this.#retryAfter = options.retryAfter ?? 5;
    this.#responseTarget = options.responseTarget ?? ((_req, flow) => ({ flowId: flow.id }));
    this.#answerUnmatchedCancel = options.answerUnmatchedCancel ?? true;
    this.#onError = options.onError ?? (() => {});
    this.#completedClients = new ExpiryQueue(this.clock, this.timers.T4, (key) => this.#timerK(key));
    this.#completedServers = new ExpiryQueue(this.clock, 64 * this.timers.T1, (tx) => tx.timerJFired());
    const layer = this;
    this.#ctx = {
      get closed() {
        return layer.#closed;
      },
      clock: this.clock,
      timers: this.timers,
      transport: this.#transport,
      stats: this.#stats,
      terminated: (tx) => this.#forget(tx),
      completedClient: (tx) => this.#completeClient(tx),
      completedServer: (tx) => {
        this.#completedServers.add(tx);
      },
      error: (e) => this.#report(e),
      sendCancel: (cancel, target, user) => this.#startClient(cancel, target, user, true) as NonInviteClientTransaction,
    };
  }

  /**
   * Sets the core once (a UA core or a proxy is built with the layer, then
   * attached). Throws {@link InvalidStateError} if a core is set already.
   */
  setCore(core: TransactionLayerCore): void {
    if (this.#core !== undefined) throw new InvalidStateError('the transaction layer has a core already');
    this.#core = core;
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<TransactionStats> {
    return { ...this.#stats };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when `protocol` is reliable for this layer's transport. */
  reliable(protocol: string): boolean {
    return this.#transport.reliable(protocol);
  }

  // ---- incoming ------------------------------------------------------------------

  /**
   * Every incoming message enters here, parsed and validated (`validate()`
   * passed; the core answered 400 to those that did not). `flow` is handed
   * back to the core untouched.
   */
  receive(message: SipRequest | SipResponse, flow: FlowInfo): void {
    if (this.#closed || this.#core === undefined) {
      this.#stats.dropped++;
      return;
    }
    try {
      if (message.isRequest) this.#receiveRequest(message, flow);
      else this.#receiveResponse(message, flow);
    } catch (e) {
      this.#stats.dropped++;
      this.#report(e);
    }
  }

  #receiveResponse(response: SipResponse, flow: FlowInfo): void {
    const core = this.#core!;
    const branch = response.topVia.branch;
    const cseq = response.cseq;
    const key = branch === undefined ? undefined : clientTransactionKey(branch, cseq.method);
    const tx = key === undefined ? undefined : this.#client.get(key);
    if (tx) {
      tx.receiveResponse(response);
      return;
    }
    if (key !== undefined && this.#completedClients.has(key)) {
      // §17.1.2.2: a retransmitted final response reaching a Completed non-INVITE client transaction.
      this.#stats.responseRetransmissionsAbsorbed++;
      return;
    }
    if (cseq.method === 'INVITE' && response.status >= 200 && response.status < 300 && core.onStrayResponse) {
      this.#stats.stray2xxToCore++;
      core.onStrayResponse(response, flow);
      return;
    }
    this.#stats.strayResponsesDropped++;
  }

  #receiveRequest(request: SipRequest, flow: FlowInfo): void {
    const core = this.#core!;
    if (request.method === 'ACK') {
      const tx = this.#matchAck(request);
      if (tx) tx.receiveAck(request);
      else {
        this.#stats.acksToCore++;
        core.onAck?.(request, flow);
      }
      return;
    }
    const key = serverTransactionKey(request);
    const existing = this.#server.get(key);
    if (existing) {
      if (!request.topVia.rfc3261Branch) this.#stats.rfc2543Matches++;
      existing.receiveRequest(request);
      return;
    }
    // A CANCEL is matched even when the table is full: it frees an INVITE (§9.2).
    if (request.method !== 'CANCEL' && this.#server.size >= this.#max && !this.#evictCompleted()) {
      this.#stats.rejectedTableFull++;
      const res = createResponse(request, 503, { headers: [['Retry-After', this.#retryAfter]] });
      this.sendStateless(res, this.#responseTarget(request, flow));
      return;
    }
    if (request.method === 'CANCEL') {
      const invite = this.#server.get(serverTransactionKey(request, { method: 'INVITE' }));
      if (invite instanceof InviteServerTransaction) {
        // §9.2: the CANCEL is answered 200 by the layer whatever the INVITE's state.
        this.#stats.cancelsMatched++;
        if (!request.topVia.rfc3261Branch) this.#stats.rfc2543Matches++;
        this.#createServer(key, request, flow).reply(200);
        invite.receiveCancel(request);
        return;
      }
      if (this.#server.size >= this.#max) {
        this.#stats.rejectedTableFull++;
        this.sendStateless(createResponse(request, 481, { toTag: newTag() }), this.#responseTarget(request, flow));
        return;
      }
      if (this.#answerUnmatchedCancel) {
        this.#stats.cancels481++;
        this.#createServer(key, request, flow).reply(481);
        return;
      }
    }
    const tx = this.#createServer(key, request, flow);
    try {
      core.onRequest(tx, flow);
    } catch (e) {
      // A core that throws must not leave the transaction unanswered forever.
      this.#report(e);
      if (!tx.terminated && (tx.lastStatus === undefined || tx.lastStatus < 200)) tx.reply(500);
    }
  }

  #matchAck(ack: SipRequest): InviteServerTransaction | undefined {
    if (ack.topVia.rfc3261Branch) {
      const tx = this.#server.get(serverTransactionKey(ack));
      return tx instanceof InviteServerTransaction ? tx : undefined;
    }
    // RFC 2543 (§17.2.3): the ACK's To tag is the one of the response the transaction sent.
    const ackTag = ack.to.tag;
    for (const toTag of [ackTag, undefined]) {
      const tx = this.#server.get(serverTransactionKey(ack, { method: 'INVITE', toTag }));
      if (tx instanceof InviteServerTransaction && tx.lastResponse?.to.tag === ackTag) {
        this.#stats.rfc2543Matches++;
        return tx;
      }
    }
    return undefined;
  }

  #createServer(key: string, request: SipRequest, flow: FlowInfo): ServerTransaction {
    const target = this.#responseTarget(request, flow);
    const reliable = this.#transport.reliable(flow.protocol);
    const tx =
      request.method === 'INVITE'
        ? new InviteServerTransaction(this.#ctx, key, request, flow, target, reliable)
        : new NonInviteServerTransaction(this.#ctx, key, request, flow, target, reliable);
    this.#server.set(key, tx);
    const mk = mergedRequestKey(request);
    tx.mergedKey = mk;
    if (mk !== undefined && !this.#merged.has(mk)) this.#merged.set(mk, tx);
    this.#stats.serverCreated++;
    this.#stats.serverActive = this.#server.size;
    return tx;
  }

  /**
   * §8.2.2.2: true when another live server transaction has the same From tag,
   * Call-ID and CSeq as this out-of-dialog request — the request reached this
   * UAS twice by different paths and should get 482 (Loop Detected).
   */
  isMergedRequest(transaction: ServerTransaction): boolean {
    const mk = transaction.mergedKey;
    if (mk === undefined) return false;
    const first = this.#merged.get(mk);
    return first !== undefined && first !== transaction;
  }

  // ---- outgoing ------------------------------------------------------------------

  /**
   * Starts a client transaction for `request` (an INVITE or a non-INVITE
   * request, never ACK). The TU has put the top Via, with an RFC 3261 branch
   * unique to this transaction (§8.1.1.7); the layer sends it to `target`.
   */
  sendRequest(request: SipRequest, target: SendTarget, user: ClientTransactionUser): ClientTransaction {
    return this.#startClient(request, target, user, false);
  }

  /** {@link sendRequest} for an INVITE, typed. */
  sendInvite(request: SipRequest, target: SendTarget, user: ClientTransactionUser): InviteClientTransaction {
    if (request.method !== 'INVITE') throw new TypeError('sendInvite needs an INVITE');
    return this.#startClient(request, target, user, false) as InviteClientTransaction;
  }

  /** {@link sendRequest} for a non-INVITE request, typed. */
  sendNonInvite(request: SipRequest, target: SendTarget, user: ClientTransactionUser): NonInviteClientTransaction {
    if (request.method === 'INVITE') throw new TypeError('sendNonInvite cannot send an INVITE');
    return this.#startClient(request, target, user, false) as NonInviteClientTransaction;
  }

  #startClient(request: SipRequest, target: SendTarget, user: ClientTransactionUser, bypassLimit: boolean): ClientTransaction {
    if (this.#closed) throw new TransactionError('closed', 'the transaction layer is closed');
    if (request.method === 'ACK') throw new TypeError('an ACK has no client transaction: use sendStateless (§17.1.1.3, §13.2.2.4)');
    const via = request.topVia;
    if (!via.rfc3261Branch) throw new TypeError('the request needs a top Via with an RFC 3261 branch (§8.1.1.7)');
    if (!bypassLimit && this.#client.size >= this.#max) {
      throw new TransactionError('table-full', `more than ${this.#max} client transactions`);
    }
    const key = clientTransactionKey(via.branch!, request.method);
    if (this.#client.has(key) || this.#completedClients.has(key)) throw new TypeError(`branch ${via.branch} is already used by a ${request.method} transaction`);
    const protocol = isFlowTarget(target) ? via.transport : target.protocol;
    const reliable = this.#transport.reliable(protocol);
    const tx =
      request.method === 'INVITE'
        ? new InviteClientTransaction(this.#ctx, key, request, target, reliable, user)
        : new NonInviteClientTransaction(this.#ctx, key, request, target, reliable, user);
    this.#client.set(key, tx);
    this.#stats.clientCreated++;
    this.#stats.clientActive = this.#client.size;
    tx.start();
    return tx;
  }

  /**
   * Sends outside any transaction: the ACK for a 2xx (§13.2.2.4), a stateless
   * response or a stateless forward. Transport failures are reported to
   * `onError`, not thrown.
   */
  sendStateless(message: SipMessage, target: SendTarget): void {
    if (this.#closed) return;
    let pending: Promise<unknown>;
    try {
      pending = this.#transport.send(message, target);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.catch((e: unknown) => {
      this.#stats.transportErrors++;
      this.#report(e);
    });
  }

  // ---- bookkeeping ---------------------------------------------------------------

  /**
   * Ends the oldest completed non-INVITE server transaction if it is old
   * enough (see the class doc); false if it is not, or there is none. The
   * queue of Timer J is in completion order, so only its head needs a look.
   */
  #evictCompleted(): boolean {
    const oldest = this.#completedServers.oldest();
    if (oldest === undefined || (oldest.completedAt ?? Infinity) > this.#ctx.clock.now() - 2 * this.#ctx.timers.T2) return false;
    oldest.dispose();
    this.#stats.evictedCompleted++;
    return true;
  }

  /** A non-INVITE client transaction entered Completed over UDP: from the table to the completed keys. */
  #completeClient(tx: NonInviteClientTransaction): number {
    if (this.#client.get(tx.id) === tx) this.#client.delete(tx.id);
    this.#stats.clientActive = this.#client.size;
    const deadline = this.#completedClients.add(tx.id);
    if (tx.user.onStateChange !== undefined) this.#watchedClients.set(tx.id, tx);
    this.#stats.clientCompleted = this.#completedClients.size;
    return deadline;
  }

  /** Timer K of a completed key (§17.1.2.2): its retransmissions are no longer absorbed. */
  #timerK(key: string): void {
    this.#stats.clientCompleted = this.#completedClients.size;
    const tx = this.#watchedClients.get(key);
    if (tx === undefined) return;
    this.#watchedClients.delete(key);
    tx.endCompleted();
  }

  #forget(tx: Transaction): void {
    if (tx.kind === 'invite-client' || tx.kind === 'non-invite-client') {
      if (this.#client.get(tx.id) === tx) this.#client.delete(tx.id);
      else if (tx.kind === 'non-invite-client') {
        // Disposed in Completed: its key goes too, as the transaction would have.
        if (this.#watchedClients.get(tx.id) === tx) this.#watchedClients.delete(tx.id);
        this.#completedClients.delete(tx.id);
        this.#stats.clientCompleted = this.#completedClients.size;
      }
      this.#stats.clientActive = this.#client.size;
      return;
    }
    if (this.#server.get(tx.id) === tx) this.#server.delete(tx.id);
    const mk = (tx as ServerTransaction).mergedKey;
    if (mk !== undefined && this.#merged.get(mk) === tx) this.#merged.delete(mk);
    if (tx.kind === 'non-invite-server') this.#completedServers.delete(tx as NonInviteServerTransaction);
    this.#stats.serverActive = this.#server.size;
  }

  #report(e: unknown): void {
    try {
      this.#onError(e);
    } catch {
      // an error reporter that throws has nowhere else to go
    }
  }

  /** Live transactions (for tests and metrics). */
  get size(): { client: number; server: number } {
    return { client: this.#client.size, server: this.#server.size };
  }

  /**
   * Server transactions still waiting for their final response (a server
   * draining before it stops waits for these). Walks the table: for a drain,
   * not for the per-message path.
   */
  get unanswered(): number {
    let n = 0;
    for (const tx of this.#server.values()) {
      const last = tx.lastStatus;
      if (!tx.terminated && (last === undefined || last < 200)) n++;
    }
    return n;
  }

  /**
   * Disposes every transaction (timers cleared, TUs told of Terminated) and
   * refuses further work. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const tx of [...this.#client.values(), ...this.#server.values()]) tx.dispose();
    for (const tx of [...this.#watchedClients.values()]) tx.endCompleted();
    this.#client.clear();
    this.#server.clear();
    this.#merged.clear();
    this.#watchedClients.clear();
    this.#completedClients.clear();
    this.#completedServers.clear();
    this.#stats.clientCompleted = 0;
  }
}
