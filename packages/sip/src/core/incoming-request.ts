/**
 * A request handed to the application by the UAS core (RFC 3261 §8.2,
 * §12.1.1, §13.3), with the way to answer it. Answering does the dialog
 * bookkeeping: a 1xx/2xx to a dialog-creating request creates the dialog
 * (Contact added), a 2xx to an INVITE is retransmitted until the ACK
 * (§13.3.1.4), a final failure ends an early dialog, a 2xx to BYE ends the
 * dialog (§15.1.2).
 */
import { createResponse, type ResponseOptions } from '../message/factory.js';
import type { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { FlowInfo } from '../transaction/transport.js';

export interface IncomingRequestDelegate {
  /** The INVITE was CANCELled (§9.2); the core has answered it 487 already. */
  onCancel?(cancel: SipRequest): void;
  /** The ACK for our 2xx (§13.3.1.4); it may carry the SDP answer. */
  onAck?(ack: SipRequest): void;
  /** No ACK for our 2xx within 64*T1: the session should be ended with BYE (§13.3.1.4). */
  onAckTimeout?(): void;
}

/** What the UA core hands each incoming request. */
export interface UasContext {
  /** Builds the response (Contact, dialog) and sends it; returns it. */
  reply(incoming: IncomingRequest, response: SipResponse): void;
}

export class IncomingRequest {
  readonly request: SipRequest;
  readonly transaction: ServerTransaction;
  readonly flow: FlowInfo;
  delegate: IncomingRequestDelegate = {};
  #dialog: Dialog | undefined;
  readonly #ctx: UasContext;
  #final = false;

  constructor(ctx: UasContext, transaction: ServerTransaction, flow: FlowInfo, dialog: Dialog | undefined) {
    this.#ctx = ctx;
    this.transaction = transaction;
    this.request = transaction.request;
    this.flow = flow;
    this.#dialog = dialog;
  }

  /** The dialog: the one the request arrived in, or the one our answer created. */
  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  /** @internal set by the core when an answer creates the dialog. */
  setDialog(dialog: Dialog): void {
    this.#dialog = dialog;
  }

  /** A final response was sent. */
  get answered(): boolean {
    return this.#final;
  }

  /**
   * Answers with `status` (To tag of the transaction, §8.2.6.2). Throws
   * InvalidStateError after a final response (or after the core answered a
   * CANCELled INVITE with 487).
   */
  reply(status: number, options: ResponseOptions = {}): SipResponse {
    const res = createResponse(this.request, status, { ...options, toTag: options.toTag ?? this.transaction.toTag });
    this.respond(res);
    return res;
  }

  /** Sends a response built by the caller. */
  respond(response: SipResponse): void {
    this.#ctx.reply(this, response);
    if (response.status >= 200) this.#final = true;
  }
}
