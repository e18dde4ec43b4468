/**
 * The server side of a transaction (RFC 3261 §17.2): created by the layer
 * for a request that matched no transaction, handed to the core, answered by
 * the TU with {@link respond} or {@link reply}. Retransmitted requests are
 * absorbed here (§17.2.1, §17.2.2) and never reach the TU.
 */
import type { ResponseOptions } from '../message/factory.js';
import { createResponse, newTag } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { keepBytes, keptBuffer } from './kept-bytes.js';
import { flatCopy } from './transaction-keys.js';
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import type { TransactionState } from './transaction-state.js';
import type { ServerTransactionUser } from './transaction-user.js';
import type { FlowInfo, SendTarget } from './transport.js';

/** The TU of a server transaction until the core sets one: shared, so frozen. */
export const NO_SERVER_USER: ServerTransactionUser<ServerTransaction> = Object.freeze({});

export abstract class ServerTransaction extends Transaction {
  /** The TU; set by the core when it takes the request. */
  user: ServerTransactionUser<ServerTransaction> = NO_SERVER_USER;
  /** The flow the request arrived on. */
  readonly flow: FlowInfo;
  #toTag: string | undefined;
  /** The last response sent, provisional or final (undefined once {@link compact}ed). */
  protected last: SipResponse | undefined;
  /**
   * After {@link compact}: the request's bytes, then the last response's, in
   * one latin1 string (see `kept-bytes.ts`).
   */
  #kept: string | undefined;
  /** Where the response starts in {@link #kept}. */
  #keptSplit = 0;
  #lastStatus: number | undefined;
  /** @internal the layer's §8.2.2.2 merged-request key, computed once at creation. */
  mergedKey: string | undefined;

  protected constructor(
    ctx: TransactionContext,
    id: string,
    request: SipRequest,
    flow: FlowInfo,
    target: SendTarget,
    reliable: boolean,
    initial: TransactionState,
  ) {
    super(ctx, id, request, target, reliable, initial);
    this.flow = flow;
  }

  /**
   * The To tag {@link reply} adds (§8.2.6.2): the request's own when it has
   * one, else one made up once per transaction so that provisional and final
   * responses carry the same tag (one early dialog, §12.1.1).
   */
  get toTag(): string {
    // A copy, not the request's own: that is a slice of the whole header text (see transaction-keys.ts).
    return (this.#toTag ??= flatCopy(this.request.to.tag) ?? newTag());
  }

  /** The last response sent, if any. */
  get lastResponse(): SipResponse | undefined {
    // Parsed anew each time once compacted: rare, and the memory stays small.
    if (this.last === undefined && this.#kept !== undefined && this.#kept.length > this.#keptSplit) {
      return parseMessage(keptBuffer(this.#kept, this.#keptSplit)) as SipResponse;
    }
    return this.last;
  }

  /** The status of the last response sent, without parsing a compacted one. */
  get lastStatus(): number | undefined {
    return this.#lastStatus ?? this.last?.status;
  }

  /** True once {@link compact}ed: the request and the last response are held as bytes only. */
  get compacted(): boolean {
    return this.#kept !== undefined;
  }

  protected override keptRequestBytes(): Buffer | undefined {
    return this.#kept === undefined ? undefined : keptBuffer(this.#kept, 0, this.#keptSplit);
  }

  /**
   * Keeps the request and the last response as bytes only, in one latin1
   * string (parsed again on access): for a final state that only absorbs
   * retransmissions (Timer J, L, I). The parsed messages (header arrays,
   * URIs, parameter maps, and the header text their strings are slices of)
   * are most of a transaction's memory.
   */
  protected compact(): void {
    if (this.#kept !== undefined) return;
    const request = this.request.toBuffer();
    const last = this.last;
    if (last === undefined) {
      this.#kept = keepBytes(request);
    } else {
      this.#kept = keepBytes(request, last.toBuffer());
      this.#lastStatus = last.status;
      this.last = undefined;
    }
    this.#keptSplit = request.length;
    this.releaseRequest();
  }

  /**
   * Sends a response the TU built (a UAS with {@link createResponse}, a proxy
   * forwarding one, §16.7). Throws {@link InvalidStateError} when the state
   * machine forbids it (a second final response…).
   */
  abstract respond(response: SipResponse): void;

  /** Builds a response to the request (To tag added, §8.2.6.2) and sends it. */
  reply(status: number, options: ResponseOptions = {}): SipResponse {
    const res = createResponse(this.request, status, { ...options, toTag: options.toTag ?? this.toTag });
    this.respond(res);
    return res;
  }

  /** A retransmission of the request, matched by the layer (§17.2.3). */
  abstract receiveRequest(request: SipRequest): void;

  protected override stateChanged(state: TransactionState): void {
    const user = this.user;
    if (user.onStateChange === undefined) return;
    try {
      user.onStateChange(state, this);
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

  /** Tells the TU the transaction ended unanswered (Timer H, or the non-INVITE abandon guard). */
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
}
