/**
 * INVITE server transaction (RFC 3261 §17.2.1, as amended by RFC 6026 §7.1).
 *
 * ```
 *                                   |INVITE
 *                                   |pass INV to TU
 *                INVITE             V send 100 if TU won't in 200 ms
 *                send response+-----------+
 *                    +--------|           |--------+ 101-199 from TU
 *                    |        |           |        | send response
 *                    +------->|           |<-------+
 *                             | Proceeding|
 *                             |           |--------+ Transport Err.
 *                             |           |        | Inform TU
 *                             |           |<-------+
 *                             +-----------+
 *                300-699 from TU |    |2xx from TU
 *                send response   |    |send response
 *                 +--------------+    +------------+
 *                 |                                |
 * INVITE          V          Timer G fires         |
 * send response+-----------+ send response         |
 *     +--------|           |--------+              |
 *     |        |           |        |              |
 *     +------->| Completed |<-------+      INVITE  |  Transport Err.
 *              |           |               -       |  Inform TU
 *     +--------|           |----+          +-----+ |  +---+
 *     |        +-----------+    | ACK      |     v v  |   v
 *     |          ^   |          | -        |  +------------+
 *     |          |   |          |          |  |            |---+ ACK
 *     +----------+   |          |          +--|  Accepted  |   | to TU
 *     Transport Err. |          |             |            |<--+
 *     Inform TU      |          V             +------------+
 *                    |      +-----------+        |  ^     |
 *                    |      |           |        |  |     |
 *                    |      | Confirmed |        |  +-----+
 *                    |      |           |        |  2xx from TU
 *                    |      +-----------+        |  send response
 *                    |         |                 |
 *                    |         | Timer I fires   |
 *                    |         | -               | Timer L fires
 *                    |         V                 | -
 *                    |      +-----------+        |
 *                    +----->|           |<-------+
 *                 Timer H   | Terminated|
 *                 fires     |           |
 *                 inform TU +-----------+
 * ```
 *
 * Timer G (T1 doubling up to T2) only over unreliable transports; Timer H =
 * 64*T1; Timer I = T4 (0 when reliable); Timer L = 64*T1. In Accepted the
 * transaction does not retransmit the 2xx itself — the TU does (§13.3.1.4) —
 * but passes the TU's retransmissions on, absorbs INVITE retransmissions and
 * gives ACKs that match it to the TU.
 *
 * Accepted (Timer L, 32 s) and Confirmed (Timer I) send nothing of their
 * own, so they keep the request and the last response as bytes only
 * (`ServerTransaction.compact`); Completed keeps the parsed response that
 * Timer G resends.
 */
import { createResponse } from '../message/factory.js';
import { InvalidStateError } from '../errors.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState as S, type TransitionTable } from './transaction-state.js';
import type { FlowInfo, SendTarget } from './transport.js';

const TRANSITIONS: TransitionTable = new Map([
  [S.Proceeding, [S.Accepted, S.Completed, S.Terminated]],
  [S.Accepted, [S.Terminated]],
  [S.Completed, [S.Confirmed, S.Terminated]],
  [S.Confirmed, [S.Terminated]],
  [S.Terminated, []],
]);

export class InviteServerTransaction extends ServerTransaction {
  get kind(): 'invite-server' {
    return 'invite-server';
  }
  #timerG: number;
  /** A CANCEL matched us while Proceeding (§9.2). */
  #cancelled = false;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, flow: FlowInfo, target: SendTarget, reliable: boolean) {
    super(ctx, id, request, flow, target, reliable, S.Proceeding);
    this.#timerG = ctx.timers.T1;
    const delay = ctx.timers.trying100;
    if (delay === 0) this.#send100();
    else if (delay > 0) this.startRetransmitTimer(delay); // the 100 Trying delay (§17.2.1)
  }

  protected override get transitions(): TransitionTable {
    return TRANSITIONS;
  }

  /** True when a CANCEL matched this transaction while it was Proceeding. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  #send100(): void {
    if (this.state !== S.Proceeding || this.last !== undefined) return;
    this.last = createResponse(this.request, 100);
    this.send(this.last);
  }

  respond(response: SipResponse): void {
    const status = response.status;
    if (this.state === S.Proceeding) {
      this.stopRetransmitTimer(); // the 100 Trying delay
      this.last = response;
      this.send(response);
      if (status < 200) return;
      if (status < 300) {
        this.transition(S.Accepted);
        if (this.terminated) return; // the TU disposed us
        this.startDeadlineTimer(64 * this.ctx.timers.T1); // Timer L (RFC 6026 §7.1)
        this.compact();
        return;
      }
      this.transition(S.Completed);
      if (this.terminated) return;
      if (!this.reliable) this.startRetransmitTimer(this.#timerG); // Timer G
      this.startDeadlineTimer(64 * this.ctx.timers.T1); // Timer H
      return;
    }
    if (this.state === S.Accepted && status >= 200 && status < 300) {
      // RFC 6026 §7.1: 2xx retransmissions from the TU are passed to the transport.
      this.send(response, true);
      return;
    }
    throw new InvalidStateError(`INVITE server transaction in ${this.state} cannot send ${status}`);
  }

  receiveRequest(_request: SipRequest): void {
    this.ctx.stats.requestRetransmissionsAbsorbed++;
    switch (this.state) {
      case S.Proceeding:
        // §17.2.1: resend the most recent provisional response; a 100 at once if
        // none yet (the client is retransmitting), unless the TU sends its own.
        if (this.last) this.send(this.last, true);
        else if (this.ctx.timers.trying100 >= 0) this.#send100();
        return;
      case S.Completed:
        if (this.last) this.send(this.last, true);
        return;
      default:
        return; // Accepted, Confirmed: absorbed
    }
  }

  /** An ACK the layer matched to us (§17.2.3). */
  receiveAck(ack: SipRequest): void {
    switch (this.state) {
      case S.Completed:
        this.stopRetransmitTimer(); // Timer G
        this.stopDeadlineTimer(); // Timer H
        this.transition(S.Confirmed);
        if (this.terminated) return;
        if (this.reliable) {
          this.dispose(); // Timer I = 0
          return;
        }
        this.startDeadlineTimer(this.ctx.timers.T4); // Timer I
        this.compact();
        return;
      case S.Accepted: {
        const user = this.user;
        if (user.onAck === undefined) return;
        try {
          user.onAck(ack, this);
        } catch (e) {
          this.report(e);
        }
        return;
      }
      default:
        return; // Confirmed: absorbed; Proceeding: an ACK before any final response is meaningless
    }
  }

  /** A CANCEL the layer matched to us and already answered with 200 (§9.2). */
  receiveCancel(cancel: SipRequest): void {
    if (this.state !== S.Proceeding || this.#cancelled) return;
    this.#cancelled = true;
    const user = this.user;
    if (user.onCancel === undefined) return;
    try {
      user.onCancel(cancel, this);
    } catch (e) {
      this.report(e);
    }
  }

  /** The 100 Trying delay in Proceeding; Timer G in Completed (§17.2.1). */
  protected override onRetransmitTimer(): void {
    if (this.state === S.Proceeding) {
      this.#send100();
      return;
    }
    if (this.state !== S.Completed || !this.last) return;
    this.send(this.last, true);
    this.#timerG = Math.min(2 * this.#timerG, this.ctx.timers.T2);
    this.startRetransmitTimer(this.#timerG);
  }

  /** Timer H in Completed (no ACK: inform the TU, §17.2.1); Timer L in Accepted, Timer I in Confirmed: the end. */
  protected override onDeadlineTimer(): void {
    if (this.state === S.Completed) {
      this.dispose();
      this.timedOut();
      return;
    }
    this.dispose();
  }
}
