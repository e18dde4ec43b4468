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
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import type { TransactionState, TransitionTable } from './transaction-state.js';
import type { ServerTransactionUser } from './transaction-user.js';
import type { FlowInfo, SendTarget } from './transport.js';

export abstract class ServerTransaction extends Transaction {
  /** The TU; set by the core when it takes the request. */
  user: ServerTransactionUser<ServerTransaction> = {};
  /** The flow the request arrived on. */
  readonly flow: FlowInfo;
  #toTag: string | undefined;
  /** The last response sent, provisional or final (undefined while only its bytes are kept). */
  protected last: SipResponse | undefined;
  #lastBytes: Buffer | undefined;
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
    transitions: TransitionTable,
  ) {
    super(ctx, id, request, target, reliable, initial, transitions);
    this.flow = flow;
  }

  /**
   * The To tag {@link reply} adds (§8.2.6.2): the request's own when it has
   * one, else one made up once per transaction so that provisional and final
   * responses carry the same tag (one early dialog, §12.1.1).
   */
  get toTag(): string {
    return (this.#toTag ??= this.request.to.tag ?? newTag());
  }

  /** The last response sent, if any. */
  get lastResponse(): SipResponse | undefined {
    // Parsed anew each time once compacted: rare, and the memory stays small.
    if (this.last === undefined && this.#lastBytes !== undefined) return parseMessage(this.#lastBytes) as SipResponse;
    return this.last;
  }

  /** The status of the last response sent, without parsing a compacted one. */
  get lastStatus(): number | undefined {
    return this.#lastStatus ?? this.last?.status;
  }

  /**
   * Keeps the request and the last response as bytes only (parsed again on
   * access): for a final state that only absorbs retransmissions.
   */
  protected compact(): void {
    this.compactRequest();
    if (this.last !== undefined) {
      this.#lastBytes = this.last.toBuffer();
      this.#lastStatus = this.last.status;
      this.last = undefined;
    }
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
    this.notify(() => this.user.onStateChange?.(state, this));
  }

  protected override transportFailed(error: Error): void {
    this.dispose();
    this.notify(() => this.user.onTransportError?.(error, this));
  }
}
