/**
 * A request sent by the UAC core (RFC 3261 §8.1, §13.2, §22.2) and what
 * becomes of it: next hop resolved, Via added, client transaction started;
 * 401/407 answered with credentials and re-sent; each 2xx to an INVITE
 * ACKed by the core (§13.2.2.4) — once per dialog, and again for each
 * retransmitted 2xx; early dialogs kept per remote tag (forking); timeouts
 * and transport errors reported as 408 and 503 (§8.1.3.1).
 *
 * ```
 *   Resolving ──► Sending ──1xx──► (onProgress) ─┐
 *       │            │  ◄──401/407, credentials──┤ re-sent, CSeq + 1
 *       │            ├──2xx──► (onAccept, ACK) ──┤ more 2xx: other forks, ACKed
 *       │            └──≥300 / 408 / 503──► (onReject) ──► Done
 *       └── cancel() before sending ──► (onReject 487) ──► Done
 * ```
 */
import { InvalidStateError } from '../errors.js';
import type { Dialog, RequestOptions } from '../dialog/dialog.js';
import { DialogSet } from '../dialog/dialog-set.js';
import type { NameAddr } from '../grammar/name-addr.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { ClientTransaction } from '../transaction/client-transaction.js';
import { InviteClientTransaction } from '../transaction/invite-client-transaction.js';
import { createSyntheticResponse } from '../transaction/synthetic-response.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { SendTarget } from '../transaction/transport.js';
import { type CredentialsCallback, createAuthenticatedRetry } from './credentials.js';
import { type ViaSpec, addVia } from './via.js';

export interface OutgoingRequestDelegate {
  /** A provisional response, with the early dialog it belongs to if any (§12.1.2). */
  onProgress?(response: SipResponse, dialog: Dialog | undefined): void;
  /** A 2xx. For an INVITE: once per dialog (each fork's 2xx, §13.2.2.4). */
  onAccept?(response: SipResponse, dialog: Dialog | undefined): void;
  /** The final failure, after any credentials retry: received, or 408/503 made up (§8.1.3.1). */
  onReject?(response: SipResponse): void;
  /** The request was re-sent with credentials (§22.2). */
  onAuthRetry?(request: SipRequest): void;
}

export interface OutgoingRequestOptions {
  /** Send here instead of resolving the next hop. */
  target?: SendTarget;
  /** The dialog an in-dialog request belongs to (§12.2.1). */
  dialog?: Dialog;
  /**
   * 'auto' (default): the core ACKs each 2xx to an INVITE at once. 'manual':
   * call {@link OutgoingRequest.ack} (to put an SDP answer in the ACK).
   */
  ackMode?: 'auto' | 'manual';
}

/** What the UA core hands each outgoing request (closures, not itself). */
export interface UacContext {
  readonly layer: TransactionLayer;
  via(target: SendTarget, request: SipRequest): ViaSpec;
  resolve(request: SipRequest): SendTarget | Promise<SendTarget>;
  readonly credentials: CredentialsCallback | undefined;
  readonly maxAuthAttempts: number;
  readonly localContact: NameAddr | undefined;
  /** A dialog was created: register it so requests within it are found. */
  registerDialog(dialog: Dialog): void;
  /** Sends an ACK for a 2xx (stateless) and remembers it for 2xx retransmissions. */
  sendAck(ack: SipRequest, dialog: Dialog): void;
  /** Sends again the ACK sent for (dialog, CSeq), for a retransmitted 2xx; false when there is none. */
  resendAck(dialog: Dialog, seq: number): boolean;
  /** SUBSCRIBE: NOTIFYs may create dialogs before the 2xx (RFC 6665 §4.1.2.4). */
  trackSubscription(set: DialogSet): void;
  error(e: unknown): void;
}

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

export class OutgoingRequest {
  readonly delegate: OutgoingRequestDelegate;
  readonly dialog: Dialog | undefined;
  readonly #ctx: UacContext;
  readonly #ackMode: 'auto' | 'manual';
  #request: SipRequest;
  #target: SendTarget | undefined;
  #tx: ClientTransaction | undefined;
  #dialogSet: DialogSet | undefined;
  #attempts = 0;
  #done = false;
  #cancelReason: string | undefined;
  #cancelled = false;
  /** Dialogs whose 2xx was passed up. */
  readonly #accepted = new Set<string>();
  /** Dialogs whose 2xx was ACKed. */
  readonly #acked = new Set<string>();

  constructor(ctx: UacContext, request: SipRequest, delegate: OutgoingRequestDelegate, options: OutgoingRequestOptions) {
    this.#ctx = ctx;
    this.#request = request;
    this.delegate = delegate;
    this.dialog = options.dialog;
    this.#ackMode = options.ackMode ?? 'auto';
    this.#target = options.target;
    this.#newDialogSet();
    this.#start();
  }

  /** The request as last sent (after a credentials retry, the retry). */
  get request(): SipRequest {
    return this.#request;
  }

  get transaction(): ClientTransaction | undefined {
    return this.#tx;
  }

  /** The dialogs created so far (early or confirmed, one per remote tag). */
  get dialogs(): Dialog[] {
    return this.#dialogSet?.dialogs ?? [];
  }

  /** A final failure was reported, or the request was cancelled before it went out. */
  get done(): boolean {
    return this.#done;
  }

  #newDialogSet(): void {
    if (this.dialog !== undefined || !DIALOG_CREATING.has(this.#request.method)) return;
    this.#dialogSet?.terminateEarly();
    const set = new DialogSet(this.#request, { localContact: this.#ctx.localContact });
    set.onDialog = (d) => this.#ctx.registerDialog(d);
    this.#dialogSet = set;
    if (this.#request.method === 'SUBSCRIBE') this.#ctx.trackSubscription(set);
  }

  #start(): void {
    const known = this.#target;
    if (known !== undefined) {
      this.#send(known);
      return;
    }
    let resolved: SendTarget | Promise<SendTarget>;
    try {
      resolved = this.#ctx.resolve(this.#request);
    } catch (e) {
      resolved = Promise.reject(e);
    }
    Promise.resolve(resolved).then(
      (t) => {
        this.#target = t;
        if (this.#cancelled) this.#finish(createSyntheticResponse(this.#request, 487));
        else this.#send(t);
      },
      (e: unknown) => this.#finish(createSyntheticResponse(this.#request, 503, e instanceof Error ? e.message : 'no next hop')),
    );
  }

  #send(target: SendTarget): void {
    if (this.#done) return;
    const req = this.#request;
    try {
      addVia(req, this.#ctx.via(target, req));
      this.#tx = this.#ctx.layer.sendRequest(req, target, {
        onResponse: (res, tx) => tx === this.#tx && this.#onResponse(res),
        onTimeout: (tx) => tx === this.#tx && this.#onFailure(createSyntheticResponse(req, 408)),
        onTransportError: (e, tx) => tx === this.#tx && this.#onFailure(createSyntheticResponse(req, 503, e.message)),
      });
    } catch (e) {
      this.#ctx.error(e);
      this.#finish(createSyntheticResponse(req, 503, e instanceof Error ? e.message : 'cannot send'));
      return;
    }
    if (this.#cancelled && this.#tx instanceof InviteClientTransaction) this.#tx.cancel({ reason: this.#cancelReason });
  }

  /**
   * Cancels an INVITE (§9.1): the CANCEL goes once a provisional response
   * has arrived. Before the INVITE left (next hop still resolving), it never
   * leaves and onReject gets a 487. Idempotent; nothing after a final response.
   */
  cancel(reason?: string): void {
    if (this.#request.method !== 'INVITE') throw new TypeError('only an INVITE can be cancelled');
    if (this.#cancelled || this.#done) return;
    this.#cancelled = true;
    this.#cancelReason = reason;
    if (this.#tx instanceof InviteClientTransaction) this.#tx.cancel({ reason });
  }

  /**
   * Sends the ACK for the 2xx of `dialog` (§13.2.2.4) — in 'manual' ack
   * mode; in 'auto' mode the core has done it. Throws InvalidStateError when
   * no 2xx was received for that dialog.
   */
  ack(dialog: Dialog, options: RequestOptions = {}): void {
    if (!this.#accepted.has(dialog.key)) throw new InvalidStateError('no 2xx to ACK for this dialog');
    if (this.#acked.has(dialog.key)) return;
    this.#acked.add(dialog.key);
    this.#ctx.sendAck(dialog.createAck(this.#request, options), dialog);
  }

  #onResponse(res: SipResponse): void {
    const s = res.status;
    if (s < 200) {
      const d = this.#dialogSet?.receiveResponse(res);
      this.#notify(() => this.delegate.onProgress?.(res, d ?? this.dialog));
      return;
    }
    if (s < 300) {
      this.#onSuccess(res);
      return;
    }
    if ((s === 401 || s === 407) && this.#retryWithCredentials(res)) return;
    this.#onFailure(res);
  }

  #onSuccess(res: SipResponse): void {
    let dialog = this.dialog;
    if (dialog !== undefined) dialog.receiveResponse(this.#request, res);
    else dialog = this.#dialogSet?.receiveResponse(res);
    if (this.#request.method !== 'INVITE') {
      if (this.#done) return;
      this.#done = true;
      this.#notify(() => this.delegate.onAccept?.(res, dialog));
      return;
    }
    if (dialog === undefined) {
      // A 2xx to an INVITE without a To tag cannot be ACKed properly (§13.2.2.4 needs the dialog).
      this.#ctx.error(new TypeError('2xx to INVITE without a To tag'));
      return;
    }
    if (this.#accepted.has(dialog.key)) {
      // A retransmitted 2xx: the same ACK again (§13.2.2.4); in manual mode, not before the TU ACKed.
      if (this.#acked.has(dialog.key)) this.#ctx.resendAck(dialog, this.#request.cseq.seq);
      return;
    }
    this.#accepted.add(dialog.key);
    this.#done = true;
    this.#notify(() => this.delegate.onAccept?.(res, dialog));
    if (this.#ackMode === 'auto') this.ack(dialog);
  }

  #retryWithCredentials(res: SipResponse): boolean {
    const cb = this.#ctx.credentials;
    if (cb === undefined || this.#done || this.#attempts >= this.#ctx.maxAuthAttempts || this.#cancelled) return false;
    let values: string | readonly string[] | undefined;
    try {
      values = cb(res, this.#request);
    } catch (e) {
      this.#ctx.error(e);
      return false;
    }
    if (values === undefined || (Array.isArray(values) && values.length === 0)) return false;
    this.#attempts++;
    const seq = this.dialog !== undefined ? this.dialog.nextSeq() : this.#request.cseq.seq + 1;
    this.#request = createAuthenticatedRetry(this.#request, res, typeof values === 'string' ? [values] : values, seq);
    this.#newDialogSet();
    this.#notify(() => this.delegate.onAuthRetry?.(this.#request));
    this.#target = undefined;
    this.#start();
    return true;
  }

  #onFailure(res: SipResponse): void {
    if (this.#request.method === 'INVITE' && this.#accepted.size > 0) return; // a fork failed after another answered
    this.#dialogSet?.terminateEarly();
    if (this.dialog !== undefined) this.dialog.receiveResponse(this.#request, res);
    this.#finish(res);
  }

  #finish(res: SipResponse): void {
    if (this.#done) return;
    this.#done = true;
    this.#notify(() => this.delegate.onReject?.(res));
  }

  #notify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#ctx.error(e);
    }
  }
}
