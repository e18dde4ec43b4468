/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2).
 *
 * ```
 *                                |Request from TU
 *                                |send request
 *            Timer E             V
 *            send request  +-----------+
 *                +---------|           |-------------------+
 *                |         |  Trying   |  Timer F          |
 *                +-------->|           |  or Transport Err.|
 *                          +-----------+  inform TU        |
 *             200-699         |  |                         |
 *             resp. to TU     |  |1xx                      |
 *             +---------------+  |resp. to TU              |
 *             |                  |                         |
 *             |   Timer E        V       Timer F           |
 *             |   send req +-----------+ or Transport Err. |
 *             |  +---------|           | inform TU         |
 *             |  |         |Proceeding |------------------>|
 *             |  +-------->|           |-----+             |
 *             |            +-----------+     |1xx          |
 *             |              |      ^        |resp to TU   |
 *             | 200-699      |      +--------+             |
 *             | resp. to TU  |                             |
 *             |              |                             |
 *             |              V                             |
 *             |            +-----------+                   |
 *             |            |           |                   |
 *             |            | Completed |                   |
 *             |            |           |                   |
 *             |            +-----------+                   |
 *             |              ^   |                         |
 *             |              |   | Timer K                 |
 *             +--------------+   | -                       |
 *                                |                         |
 *                                V                         |
 *                          +-----------+                   |
 *                          |           |                   |
 *                          | Terminated|<------------------+
 *                          |           |
 *                          +-----------+
 * ```
 *
 * Timer E starts at T1 and doubles up to T2 in Trying, is T2 in Proceeding,
 * and runs only over unreliable transports; Timer F = 64*T1; Timer K = T4
 * (0 when reliable).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState as S, type TransitionTable } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';
import type { SendTarget } from './transport.js';

const TRANSITIONS: TransitionTable = new Map([
  [S.Trying, [S.Proceeding, S.Completed, S.Terminated]],
  [S.Proceeding, [S.Completed, S.Terminated]],
  [S.Completed, [S.Terminated]],
  [S.Terminated, []],
]);

export class NonInviteClientTransaction extends ClientTransaction {
  readonly kind = 'non-invite-client' as const;
  #timerE: number;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, target: SendTarget, reliable: boolean, user: ClientTransactionUser) {
    super(ctx, id, request, target, reliable, S.Trying, TRANSITIONS, user);
    this.#timerE = ctx.timers.T1;
  }

  start(): void {
    this.send(this.request);
    if (!this.reliable) this.timers.start('E', this.#timerE, () => this.#onTimerE());
    this.timers.start('F', 64 * this.ctx.timers.T1, () => this.#onTimerF());
  }

  receiveResponse(response: SipResponse): void {
    if (this.state !== S.Trying && this.state !== S.Proceeding) return; // Completed: absorbed (§17.1.2.2)
    if (response.status < 200) {
      if (this.state === S.Trying) this.transition(S.Proceeding);
      this.toTu(response);
      return;
    }
    this.timers.stop('E');
    this.timers.stop('F');
    this.transition(S.Completed);
    this.toTu(response);
    if (this.terminated) return; // the TU disposed us
    if (this.reliable) this.dispose();
    else this.timers.start('K', this.ctx.timers.T4, () => this.dispose());
  }

  #onTimerE(): void {
    if (this.state !== S.Trying && this.state !== S.Proceeding) return;
    this.send(this.request, true);
    // §17.1.2.2: doubling up to T2 in Trying; T2 in Proceeding.
    this.#timerE = this.state === S.Trying ? Math.min(2 * this.#timerE, this.ctx.timers.T2) : this.ctx.timers.T2;
    this.timers.start('E', this.#timerE, () => this.#onTimerE());
  }

  #onTimerF(): void {
    this.dispose();
    this.timedOut();
  }
}
