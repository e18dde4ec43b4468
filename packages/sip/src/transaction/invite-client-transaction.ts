/**
 * INVITE client transaction (RFC 3261 §17.1.1, as amended by RFC 6026 §8.4).
 *
 * ```
 *                                |INVITE from TU
 *              Timer A fires     |INVITE sent               Timer B fires
 *              Reset A,          V                          or Transport Err.
 *              INVITE sent +-----------+                    inform TU
 *                +---------|           |--------------------------+
 *                |         |  Calling  |                          |
 *                +-------->|           |-----------+              |
 *   300-699                +-----------+ 2xx       |              |
 *   ACK sent                  |  |       2xx to TU |              |
 *   resp. to TU               |  |1xx              |              |
 *   +-------------------------+  |1xx to TU        |              |
 *   |                            V                 |              |
 *   |                1xx   +-----------+           |              |
 *   |            1xx to TU |           |           |              |
 *   |            +---------| Proceeding|---------->|              |
 *   |            +-------->|           | 2xx       |              |
 *   |                      +-----------+ 2xx to TU |              |
 *   |        300-699            |                  |              |
 *   |        ACK sent,          |                  V              |
 *   |        resp. to TU        |           +-----------+         |
 *   |                           |           |           |  2xx    |
 *   |  300-699                  V           |  Accepted |  2xx to TU
 *   |  ACK sent           +-----------+     |           |---+     |
 *   |  +------------------|           |     +-----------+   |     |
 *   |  |                  | Completed |       ^  |  |       |     |
 *   |  +----------------->|           |       |  |  +-------+     |
 *   |                     +-----------+       |  | Timer M fires  |
 *   +------------------------->|  Timer D     |  | -              |
 *                              |  fires -     |  V                |
 *                              V              +--------------+    |
 *                        +-----------+                       |    |
 *                        | Terminated|<----------------------+----+
 *                        +-----------+
 * ```
 *
 * Timer A (T1, doubling) only over unreliable transports; Timer B = 64*T1;
 * Timer D ≥ 32 s (0 when reliable); Timer M = 64*T1 (RFC 6026: 2xx
 * retransmissions and 2xx from other forks reach the TU, which ACKs them,
 * §13.2.2.4). The ACK for 300–699 is built and sent here (§17.1.1.3).
 *
 * CANCEL (§9.1) is requested with {@link cancel}; it waits for a provisional
 * response before it is sent, and is not sent once a final response arrived.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { createCancel } from './cancel-request.js';
import { ClientTransaction } from './client-transaction.js';
import { keepBytes, keptBuffer } from './kept-bytes.js';
import { createNon2xxAck } from './non-2xx-ack.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState as S, type TransitionTable } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';
import type { SendTarget } from './transport.js';

const TRANSITIONS: TransitionTable = new Map([
  [S.Calling, [S.Proceeding, S.Accepted, S.Completed, S.Terminated]],
  [S.Proceeding, [S.Accepted, S.Completed, S.Terminated]],
  [S.Accepted, [S.Terminated]],
  [S.Completed, [S.Terminated]],
  [S.Terminated, []],
]);

export interface CancelOptions {
  /** A Reason header value (RFC 3326), e.g. `SIP;cause=600;text="Busy Everywhere"`. */
  reason?: string;
  /** Hears the CANCEL's own response; rarely needed. */
  user?: ClientTransactionUser;
}

export class InviteClientTransaction extends ClientTransaction {
  get kind(): 'invite-client' {
    return 'invite-client';
  }
  /**
   * The ACK sent for a 300–699 response, resent on each retransmission of
   * it (§17.1.1.3), as bytes in a latin1 string (`kept-bytes.ts`): Completed
   * lasts Timer D (32 s), and the serialized ACK is a slice of a shared 8 KB
   * pool slab it would pin.
   */
  #ack: string | undefined;
  #timerA: number;
  #pendingCancel: CancelOptions | undefined;
  #cancel: NonInviteClientTransaction | undefined;
  #cancelRequested = false;
  /** The first provisional response was received (§9.1). */
  #provisional = false;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, target: SendTarget, reliable: boolean, user: ClientTransactionUser) {
    super(ctx, id, request, target, reliable, S.Calling, user);
    this.#timerA = ctx.timers.T1;
  }

  protected override get transitions(): TransitionTable {
    return TRANSITIONS;
  }

  start(): void {
    this.send(this.request);
    if (!this.reliable) this.startRetransmitTimer(this.#timerA); // Timer A
    this.startDeadlineTimer(64 * this.ctx.timers.T1); // Timer B
  }

  /** True once {@link cancel} was called. */
  get cancelRequested(): boolean {
    return this.#cancelRequested;
  }

  /** The CANCEL's client transaction, once the CANCEL was sent. */
  get cancelTransaction(): NonInviteClientTransaction | undefined {
    return this.#cancel;
  }

  /**
   * Asks for the INVITE to be cancelled (§9.1). Sent at once in Proceeding;
   * in Calling it waits for the first provisional response; after a final
   * response it does nothing (the CANCEL would have no effect). Idempotent.
   */
  cancel(options: CancelOptions = {}): void {
    if (this.#cancelRequested) return;
    this.#cancelRequested = true;
    if (this.state === S.Proceeding) this.#sendCancel(options);
    else if (this.state === S.Calling) this.#pendingCancel = options;
  }

  #sendCancel(options: CancelOptions): void {
    const cancel = createCancel(this.request, options.reason);
    this.#cancel = this.ctx.sendCancel(cancel, this.target, options.user ?? {});
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case S.Calling:
      case S.Proceeding:
        if (status < 200) {
          this.stopRetransmitTimer(); // Timer A
          this.stopDeadlineTimer(); // Timer B
          const first = !this.#provisional;
          this.#provisional = true;
          if (this.state === S.Calling) this.transition(S.Proceeding);
          this.toTu(response);
          if (first && this.#pendingCancel !== undefined && this.state === S.Proceeding) {
            const opts = this.#pendingCancel;
            this.#pendingCancel = undefined;
            this.#sendCancel(opts);
          }
        } else if (status < 300) {
          this.#pendingCancel = undefined;
          this.stopRetransmitTimer();
          this.stopDeadlineTimer();
          this.transition(S.Accepted);
          this.startDeadlineTimer(64 * this.ctx.timers.T1); // Timer M (RFC 6026 §8.4)
          this.toTu(response);
        } else {
          this.#pendingCancel = undefined;
          this.stopRetransmitTimer();
          this.stopDeadlineTimer();
          const ack = createNon2xxAck(this.request, response);
          this.send(ack);
          this.transition(S.Completed);
          this.toTu(response);
          if (this.terminated) return; // the TU disposed us
          if (this.reliable) {
            this.dispose(); // Timer D = 0
            return;
          }
          this.#ack = keepBytes(ack.toBuffer());
          this.startDeadlineTimer(this.ctx.timers.D); // Timer D
          this.releaseUser(); // nothing more goes up from Completed
        }
        return;
      case S.Accepted:
        // RFC 6026 §8.4: 2xx retransmissions and 2xx of other forks go up; anything else is absorbed.
        if (status >= 200 && status < 300) this.toTu(response);
        return;
      case S.Completed:
        // §17.1.1.2: a retransmitted final response gets the ACK again, and is not passed up.
        if (status >= 300 && this.#ack !== undefined) this.send(parseMessage(keptBuffer(this.#ack)), true);
        return;
      case S.Terminated:
        return;
      default:
        return;
    }
  }

  /** Timer A (§17.1.1.2): resend the INVITE, doubling the interval. */
  protected override onRetransmitTimer(): void {
    if (this.state !== S.Calling) return;
    this.send(this.request, true);
    this.#timerA *= 2;
    this.startRetransmitTimer(this.#timerA);
  }

  /** Timer B in Calling (timeout, §17.1.1.2); Timer M in Accepted, Timer D in Completed: the end. */
  protected override onDeadlineTimer(): void {
    if (this.state === S.Calling) {
      this.dispose();
      this.timedOut();
      return;
    }
    this.dispose();
  }
}
