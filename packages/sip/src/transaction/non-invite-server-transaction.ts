/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2).
 *
 * ```
 *                                   |Request received
 *                                   |pass to TU
 *                                   V
 *                             +-----------+
 *                             |           |
 *                             | Trying    |-------------+
 *                             |           |             |
 *                             +-----------+             |200-699 from TU
 *                                   |                   |send response
 *                                   |1xx from TU        |
 *                                   |send response      |
 *                                   |                   |
 *                Request            V      1xx from TU  |
 *                send response+-----------+send response|
 *                    +--------|           |--------+    |
 *                    |        | Proceeding|        |    |
 *                    +------->|           |<-------+    |
 *             +<--------------|           |             |
 *             |Trnsprt Err    +-----------+             |
 *             |Inform TU            |                   |
 *             |                     |                   |
 *             |                     |200-699 from TU    |
 *             |                     |send response      |
 *             |  Request            V                   |
 *             |  send response+-----------+             |
 *             |      +--------|           |             |
 *             |      |        | Completed |<------------+
 *             |      +------->|           |
 *             +<--------------|           |
 *             |Trnsprt Err    +-----------+
 *             |Inform TU            |
 *             |                     |Timer J fires
 *             |                     |-
 *             |                     |
 *             |                     V
 *             |               +-----------+
 *             |               |           |
 *             +-------------->| Terminated|
 *                             |           |
 *                             +-----------+
 * ```
 *
 * Timer J = 64*T1 over unreliable transports, 0 over reliable ones.
 * Retransmitted requests in Trying are absorbed. A request the TU leaves
 * unanswered for 64*T1 + T4 (the client has timed out) ends the transaction
 * and the TU hears `onTimeout` — a guard of our own, so tables stay bounded.
 *
 * Completed over UDP lasts 32 s and a registrar ends thousands of these a
 * second, so the transaction keeps there only what §17.2.2 needs: its key in
 * the layer's table, the last response (to resend it on a retransmitted
 * request) and the request, both as bytes in one latin1 string; and it
 * has no timer of its own: the layer's `ExpiryQueue` of completed server
 * transactions runs Timer J for all of them.
 */
import { InvalidStateError } from '../errors.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState as S, type TransitionTable } from './transaction-state.js';
import type { FlowInfo, SendTarget } from './transport.js';

const TRANSITIONS: TransitionTable = new Map([
  [S.Trying, [S.Proceeding, S.Completed, S.Terminated]],
  [S.Proceeding, [S.Completed, S.Terminated]],
  [S.Completed, [S.Terminated]],
  [S.Terminated, []],
]);

export class NonInviteServerTransaction extends ServerTransaction {
  get kind(): 'non-invite-server' {
    return 'non-invite-server';
  }
  /** When the final response was sent (the layer's clock), if it was. */
  completedAt: number | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, flow: FlowInfo, target: SendTarget, reliable: boolean) {
    super(ctx, id, request, flow, target, reliable, S.Trying);
    // Not in RFC 3261: a TU that never answers would keep us forever. The
    // client gave up at Timer F (64*T1), so after that nothing is lost.
    this.startDeadlineTimer(64 * ctx.timers.T1 + ctx.timers.T4);
  }

  protected override get transitions(): TransitionTable {
    return TRANSITIONS;
  }

  respond(response: SipResponse): void {
    if (this.state !== S.Trying && this.state !== S.Proceeding) {
      throw new InvalidStateError(`non-INVITE server transaction in ${this.state} cannot send ${response.status}`);
    }
    this.last = response;
    this.send(response);
    if (response.status < 200) {
      if (this.state === S.Trying) this.transition(S.Proceeding);
      return;
    }
    this.stopDeadlineTimer(); // the abandon guard
    this.transition(S.Completed);
    this.completedAt = this.ctx.clock.now();
    if (this.terminated) return; // the TU disposed us on Completed
    if (this.reliable) {
      this.dispose(); // Timer J = 0
      return;
    }
    this.compact();
    this.ctx.completedServer(this); // Timer J, run by the layer
  }

  /** @internal Timer J fired (the layer's queue of completed server transactions, §17.2.2). */
  timerJFired(): void {
    if (this.state === S.Completed) this.transition(S.Terminated);
  }

  receiveRequest(_request: SipRequest): void {
    this.ctx.stats.requestRetransmissionsAbsorbed++;
    // §17.2.2: absorbed in Trying; the last response is resent in Proceeding and Completed.
    if (this.state === S.Proceeding || this.state === S.Completed) {
      const last = this.lastResponse;
      if (last) this.send(last, true);
    }
  }

  /** The abandon guard: nobody answered within 64*T1 + T4. */
  protected override onDeadlineTimer(): void {
    this.dispose();
    this.timedOut();
  }
}
