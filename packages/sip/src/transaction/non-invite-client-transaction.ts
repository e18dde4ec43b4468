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
 *
 * Once sent, the request is only ever resent (Timer E), so the transaction
 * keeps it as the bytes the transport sent and lets the parsed request go:
 * a presence server sends NOTIFYs in bursts, and when the 200s take a few
 * hundred milliseconds the parsed requests (header arrays, Via and URI
 * objects, parameter maps) would outlive the young generation. The bytes are
 * one buffer the GC does not look into; {@link request} parses them again.
 *
 * Completed over UDP only absorbs retransmitted final responses for Timer K
 * (§17.1.2.2), and at thousands of requests a second (NOTIFYs of a presence
 * server) those T4 = 5 s are long enough to promote to the old generation
 * whatever the transaction holds. So on entering Completed the transaction
 * leaves the layer's table: the layer keeps only its key among the
 * completed keys (an `ExpiryQueue` of strings, swept without a timer per
 * key) and absorbs a matching response there. Nothing references the
 * transaction any more but its TU, if the TU kept it (then the request stays
 * readable, e.g. `InviteClientTransaction.cancelTransaction.request`); the
 * transaction lets go of the TU's callbacks. Its {@link state} turns
 * Terminated when Timer K has run (read from the clock); a TU that listens
 * to state changes is kept and told when the layer's sweep reaches the key.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
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
  get kind(): 'non-invite-client' {
    return 'non-invite-client';
  }
  #timerE: number;
  /**
   * The request as sent, once started: the transport's own serialization,
   * not a copy. Not copied on entering Completed either: by then the
   * transaction has often been promoted while in flight, and a young copy
   * referenced from an old object is promoted in turn. (A small request's
   * bytes are a slice of a shared 8 KB pool slab; only a TU that keeps the
   * completed transaction keeps the slab — the layer keeps neither.)
   */
  #sent: Buffer | undefined;
  /** When Timer K ends Completed, once the layer holds our key (§17.1.2.2); undefined before. */
  #timerKAt: number | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, target: SendTarget, reliable: boolean, user: ClientTransactionUser) {
    super(ctx, id, request, target, reliable, S.Trying, user);
    this.#timerE = ctx.timers.T1;
  }

  protected override get transitions(): TransitionTable {
    return TRANSITIONS;
  }

  /** Completed turns Terminated by itself when Timer K has run (or the layer closed), without a timer of ours. */
  override get state(): S {
    const s = super.state;
    if (s !== S.Completed || this.#timerKAt === undefined) return s;
    return this.ctx.clock.now() >= this.#timerKAt || this.ctx.closed ? S.Terminated : s;
  }

  protected override keptRequestBytes(): Buffer | undefined {
    return this.#sent;
  }

  start(): void {
    const request = this.request;
    this.send(request);
    this.#sent = request.toBuffer(); // serialized once: the transport's own bytes
    this.releaseRequest();
    if (!this.reliable) this.startRetransmitTimer(this.#timerE); // Timer E
    this.startDeadlineTimer(64 * this.ctx.timers.T1); // Timer F
  }

  receiveResponse(response: SipResponse): void {
    const state = super.state;
    if (state !== S.Trying && state !== S.Proceeding) return; // Completed: absorbed (§17.1.2.2)
    if (response.status < 200) {
      if (state === S.Trying) this.transition(S.Proceeding);
      this.toTu(response);
      return;
    }
    this.stopRetransmitTimer();
    this.stopDeadlineTimer();
    this.transition(S.Completed);
    this.toTu(response);
    if (this.terminated) return; // the TU disposed us
    if (this.reliable) {
      this.dispose(); // Timer K = 0
      return;
    }
    // Timer K: the layer absorbs retransmissions by our key and forgets us.
    this.#timerKAt = this.ctx.completedClient(this);
    this.releaseUser();
  }

  /**
   * @internal Completed is over: the layer's sweep reached our key (Timer K,
   * §17.1.2.2) or the layer closed. Tells a TU that listens.
   */
  endCompleted(): void {
    if (super.state === S.Completed) this.transition(S.Terminated);
  }

  protected override onRetransmitTimer(): void {
    const state = super.state;
    if (state !== S.Trying && state !== S.Proceeding) return;
    // The request parsed again from the bytes sent, for this send only (the TU may hold a parsed one of its own).
    let request: SipRequest;
    try {
      request = this.holdsRequest ? this.request : (parseMessage(this.keptRequestBytes()!) as SipRequest);
    } catch (e) {
      this.report(e); // our own serialization did not parse: reported; Timer F still ends the transaction
      return;
    }
    this.send(request, true);
    // §17.1.2.2: doubling up to T2 in Trying; T2 in Proceeding.
    this.#timerE = state === S.Trying ? Math.min(2 * this.#timerE, this.ctx.timers.T2) : this.ctx.timers.T2;
    this.startRetransmitTimer(this.#timerE);
  }

  /** Timer F (§17.1.2.2). */
  protected override onDeadlineTimer(): void {
    this.dispose();
    this.timedOut();
  }
}
