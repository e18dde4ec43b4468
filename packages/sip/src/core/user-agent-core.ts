/**
 * The UA core (RFC 3261 §8, §12, §13): the transaction user that servers'
 * local services and the SDK share.
 *
 * UAC: builds out-of-dialog requests (§8.1.1) and in-dialog ones (§12.2.1),
 * sends them through client transactions (see {@link OutgoingRequest}),
 * ACKs 2xx (§13.2.2.4) and re-ACKs their retransmissions, answers 401/407
 * through an injected credentials callback (§22.2).
 *
 * UAS: applies the §8.2 checks, finds the dialog of in-dialog requests
 * (481 when none, 500 for an old CSeq, §12.2.2), answers a CANCELled INVITE
 * with 487 (§9.2), retransmits 2xx until the ACK (§13.3.1.4), and hands the
 * rest to the application as {@link IncomingRequest}.
 *
 * Wiring: `layer.setCore(ua.transactionCore)` (or call the three receive
 * methods from a dispatcher that also feeds a proxy).
 */
import type { Dialog, RequestOptions } from '../dialog/dialog.js';
import { createUasDialog } from '../dialog/create-dialog.js';
import { dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey } from '../dialog/dialog-id.js';
import type { DialogSet } from '../dialog/dialog-set.js';
import { DialogState } from '../dialog/dialog-state.js';
import { DialogTable } from '../dialog/dialog-table.js';
import { type NameAddr, parseNameAddr } from '../grammar/name-addr.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import { TimerSet } from '../transaction/timer-set.js';
import type { TransactionLayer, TransactionLayerCore } from '../transaction/transaction-layer.js';
import type { FlowInfo, SendTarget } from '../transaction/transport.js';
import type { CredentialsCallback } from './credentials.js';
import { IncomingRequest } from './incoming-request.js';
import { defaultNextHop } from './next-hop.js';
import { OutgoingRequest, type OutgoingRequestDelegate, type OutgoingRequestOptions, type UacContext } from './outgoing-request.js';
import { type OutOfDialogRequestInit, createOutOfDialogRequest } from './request-factory.js';
import { TwoXxRetransmitter } from './two-xx-retransmitter.js';
import { type UasPolicy, checkRequest } from './uas-checks.js';
import { type ViaSpec, addVia } from './via.js';

export interface UserAgentCoreDelegate {
  /** A request that passed the checks; answer it with `incoming.reply()`. */
  onRequest(incoming: IncomingRequest): void;
}

export interface UserAgentCoreOptions {
  layer: TransactionLayer;
  delegate: UserAgentCoreDelegate;
  /** Our sent-by for a request going to `target` (§18.1.1). */
  via(target: SendTarget, request: SipRequest): ViaSpec;
  /** Our Contact: added to dialog-creating requests and responses (§8.1.1.8, §12.1.1). */
  contact?: NameAddr | string;
  /** Next hop of a request (RFC 3263). Default: {@link defaultNextHop}, no DNS. */
  resolve?(request: SipRequest): SendTarget | Promise<SendTarget>;
  /** Answers 401/407 (§22.2). Without it, challenges reach `onReject`. */
  credentials?: CredentialsCallback;
  /** Credentials retries per request (default 2: a stale nonce may need a second one). */
  maxAuthAttempts?: number;
  /** §8.2 policy. Default: the common methods, any body type. */
  policy?: UasPolicy;
  maxDialogs?: number;
  onError?(error: unknown): void;
}

export interface UserAgentCoreStats {
  requestsRejectedByChecks: number;
  noDialog481: number;
  outOfOrder500: number;
  acksMatched: number;
  acksUnmatched: number;
  ackTimeouts: number;
  twoXxReAcked: number;
  stray2xxDropped: number;
}

const DEFAULT_POLICY: UasPolicy = {
  allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'INFO', 'UPDATE', 'NOTIFY', 'SUBSCRIBE', 'REFER', 'PRACK'],
  acceptTypes: ['*/*'],
};

interface CachedAck {
  readonly ack: SipRequest;
  readonly target: SendTarget;
}

export class UserAgentCore {
  readonly layer: TransactionLayer;
  readonly dialogs: DialogTable;
  readonly #delegate: UserAgentCoreDelegate;
  readonly #options: UserAgentCoreOptions;
  readonly #contact: NameAddr | undefined;
  readonly #policy: UasPolicy;
  readonly #uac: UacContext;
  readonly #maxDialogs: number;
  readonly #timers: TimerSet;
  /** ACKs sent for 2xx, by dialog key + CSeq, kept 64*T1 for retransmitted 2xx. */
  readonly #acks = new Map<string, CachedAck>();
  /** 2xx we retransmit until the ACK, by dialog key + CSeq. */
  readonly #awaitingAck = new Map<string, { retransmitter: TwoXxRetransmitter; incoming: IncomingRequest }>();
  /** Our SUBSCRIBEs whose NOTIFY may come before the 2xx, by Call-ID + From tag. */
  readonly #subscriptions = new Map<string, DialogSet>();
  readonly #stats: UserAgentCoreStats = {
    requestsRejectedByChecks: 0,
    noDialog481: 0,
    outOfOrder500: 0,
    acksMatched: 0,
    acksUnmatched: 0,
    ackTimeouts: 0,
    twoXxReAcked: 0,
    stray2xxDropped: 0,
  };
  #closed = false;

  constructor(options: UserAgentCoreOptions) {
    this.layer = options.layer;
    this.#options = options;
    this.#delegate = options.delegate;
    this.#contact = typeof options.contact === 'string' ? parseNameAddr(options.contact, 'contact') : options.contact;
    this.#policy = options.policy ?? DEFAULT_POLICY;
    this.#maxDialogs = options.maxDialogs ?? 100_000;
    this.dialogs = new DialogTable(this.#maxDialogs);
    this.#timers = new TimerSet(this.layer.clock);
    const resolve = options.resolve ?? defaultNextHop;
    this.#uac = {
      layer: this.layer,
      via: options.via,
      resolve,
      credentials: options.credentials,
      maxAuthAttempts: options.maxAuthAttempts ?? 2,
      localContact: this.#contact,
      registerDialog: (d) => {
        if (!this.dialogs.add(d)) this.#error(new RangeError('dialog table full'));
      },
      sendAck: (ack, dialog) => this.#sendAck(ack, dialog),
      resendAck: (dialog, seq) => this.#resendAck(dialogKey(dialog.id), seq),
      trackSubscription: (set) => this.#trackSubscription(set),
      error: (e) => this.#error(e),
    };
  }

  get stats(): Readonly<UserAgentCoreStats> {
    return { ...this.#stats };
  }

  /** The core as the transaction layer sees it: `layer.setCore(ua.transactionCore)`. */
  get transactionCore(): TransactionLayerCore {
    return {
      onRequest: (tx, flow) => this.receiveRequest(tx, flow),
      onAck: (ack, flow) => this.receiveAck(ack, flow),
      onStrayResponse: (res, flow) => this.receiveStrayResponse(res, flow),
    };
  }

  // ---- UAC ---------------------------------------------------------------------------

  /** An out-of-dialog request (§8.1.1) with our Contact unless one is given. */
  createRequest(init: OutOfDialogRequestInit): SipRequest {
    return createOutOfDialogRequest({ contact: this.#contact, ...init });
  }

  /** Sends a request (out of dialog, or built by a dialog) and follows it to its end. */
  request(request: SipRequest, delegate: OutgoingRequestDelegate = {}, options: OutgoingRequestOptions = {}): OutgoingRequest {
    if (this.#closed) throw new TypeError('the UA core is closed');
    return new OutgoingRequest(this.#uac, request, delegate, options);
  }

  /** A request within `dialog` (§12.2.1.1), sent. */
  requestInDialog(
    dialog: Dialog,
    method: string,
    delegate: OutgoingRequestDelegate = {},
    options: RequestOptions & Omit<OutgoingRequestOptions, 'dialog'> = {},
  ): OutgoingRequest {
    if (dialog.localContact === undefined && this.#contact !== undefined) dialog.localContact = this.#contact;
    const req = dialog.createRequest(method, options);
    return this.request(req, delegate, { ...options, dialog });
  }

  #sendAck(ack: SipRequest, dialog: Dialog): void {
    const key = `${dialogKey(dialog.id)}|${ack.cseq.seq}`;
    Promise.resolve()
      .then(() => (this.#options.resolve ?? defaultNextHop)(ack))
      .then((target) => {
        if (this.#closed) return;
        addVia(ack, this.#options.via(target, ack));
        this.layer.sendStateless(ack, target);
        if (this.#acks.size >= this.#maxDialogs) this.#forgetAck(this.#acks.keys().next().value!);
        this.#acks.set(key, { ack, target });
        this.#timers.start(`ack:${key}`, 64 * this.layer.timers.T1, () => this.#acks.delete(key));
      })
      .catch((e: unknown) => this.#error(e));
  }

  #forgetAck(key: string): void {
    this.#acks.delete(key);
    this.#timers.stop(`ack:${key}`);
  }

  #resendAck(dialogKeyText: string, seq: number): boolean {
    const cached = this.#acks.get(`${dialogKeyText}|${seq}`);
    if (cached === undefined) return false;
    this.#stats.twoXxReAcked++;
    this.layer.sendStateless(cached.ack, cached.target);
    return true;
  }

  /** A 2xx to INVITE that matched no transaction (after Timer M): re-ACK it if we know it (§13.2.2.4). */
  receiveStrayResponse(response: SipResponse, _flow: FlowInfo): void {
    const id = dialogIdOfResponse(response);
    if (id === undefined || !this.#resendAck(dialogKey(id), response.cseq.seq)) this.#stats.stray2xxDropped++;
  }

  #trackSubscription(set: DialogSet): void {
    const req = set.request;
    const key = `${req.callId}\n${req.from.tag ?? ''}`;
    this.#subscriptions.set(key, set);
    // RFC 6665 §4.1.2.4 Timer N: NOTIFYs are awaited 64*T1; after that only established dialogs count.
    this.#timers.start(`sub:${key}`, 64 * this.layer.timers.T1, () => this.#subscriptions.delete(key));
  }

  // ---- UAS ---------------------------------------------------------------------------

  /** A new request from the transaction layer (§8.2, §12.2.2). */
  receiveRequest(tx: ServerTransaction, flow: FlowInfo): void {
    const req = tx.request;
    const toTag = req.to.tag;
    const failed = checkRequest(req, this.#policy, {
      merged: toTag === undefined && this.layer.isMergedRequest(tx),
      toTag: tx.toTag,
    });
    if (failed !== null) {
      this.#stats.requestsRejectedByChecks++;
      tx.respond(failed);
      return;
    }
    let dialog: Dialog | undefined;
    if (toTag !== undefined) {
      dialog = this.dialogs.findForRequest(req) ?? this.#dialogFromNotify(req);
      if (dialog === undefined) {
        this.#stats.noDialog481++;
        tx.reply(481);
        return;
      }
      if (dialog.receiveRequest(req) === 500) {
        this.#stats.outOfOrder500++;
        tx.reply(500, { reason: 'Out of Order CSeq' });
        return;
      }
    }
    const incoming = new IncomingRequest({ reply: (inc, res) => this.#reply(inc, res) }, tx, flow, dialog);
    if (tx instanceof InviteServerTransaction) {
      tx.user = {
        onCancel: (cancel) => {
          // §9.2: the UAS answers the INVITE with 487; an early dialog ends with it.
          if (!incoming.answered) incoming.reply(487);
          try {
            incoming.delegate.onCancel?.(cancel);
          } catch (e) {
            this.#error(e);
          }
        },
        onAck: (ack) => this.#ackReceived(ack),
      };
    }
    try {
      this.#delegate.onRequest(incoming);
    } catch (e) {
      this.#error(e);
      if (!incoming.answered && !tx.terminated) incoming.reply(500);
    }
  }

  #dialogFromNotify(req: SipRequest): Dialog | undefined {
    if (req.method !== 'NOTIFY') return undefined;
    const set = this.#subscriptions.get(`${req.callId}\n${req.to.tag ?? ''}`);
    return set?.receiveNotify(req);
  }

  #reply(incoming: IncomingRequest, res: SipResponse): void {
    const req = incoming.request;
    const tx = incoming.transaction;
    const s = res.status;
    let dialog = incoming.dialog;
    const creating = dialog === undefined && (req.method === 'INVITE' || req.method === 'SUBSCRIBE' || req.method === 'REFER');
    if (creating && s > 100 && s < 300 && res.to.tag !== undefined) {
      if (!res.has('contact') && this.#contact !== undefined) res.append('Contact', this.#contact.toString());
      dialog = createUasDialog(req, res, { localContact: this.#contact, secureTransport: isSecure(incoming.flow.protocol) });
      if (this.dialogs.add(dialog)) incoming.setDialog(dialog);
      else this.#error(new RangeError('dialog table full: answering without a dialog'));
    } else if (dialog !== undefined && dialog.state === DialogState.Early && s >= 200 && s < 300 && dialog.role === 'uas') {
      dialog.confirm();
    }
    tx.respond(res);
    if (dialog === undefined) return;
    if (s >= 300 && dialog.state === DialogState.Early) dialog.terminate();
    else if (s >= 200 && s < 300 && req.method === 'BYE') dialog.terminate();
    else if (s >= 200 && s < 300 && tx instanceof InviteServerTransaction) this.#awaitAck(incoming, dialog, res, tx);
  }

  #awaitAck(incoming: IncomingRequest, dialog: Dialog, res: SipResponse, tx: InviteServerTransaction): void {
    const key = `${dialogKey(dialog.id)}|${incoming.request.cseq.seq}`;
    this.#awaitingAck.get(key)?.retransmitter.dispose();
    const retransmitter = new TwoXxRetransmitter(tx, res, this.layer.clock, this.layer.timers, () => {
      this.#awaitingAck.delete(key);
      this.#stats.ackTimeouts++;
      try {
        incoming.delegate.onAckTimeout?.();
      } catch (e) {
        this.#error(e);
      }
    });
    this.#awaitingAck.set(key, { retransmitter, incoming });
  }

  /** An ACK that matched no INVITE server transaction: the ACK for one of our 2xx (§13.3.1.4). */
  receiveAck(ack: SipRequest, _flow: FlowInfo): void {
    this.#ackReceived(ack);
  }

  #ackReceived(ack: SipRequest): void {
    const id = dialogIdOfIncomingRequest(ack);
    const key = id === undefined ? undefined : `${dialogKey(id)}|${ack.cseq.seq}`;
    const waiting = key === undefined ? undefined : this.#awaitingAck.get(key);
    if (waiting === undefined || !waiting.retransmitter.acknowledge()) {
      this.#stats.acksUnmatched++; // a retransmitted ACK, or one for a dialog we do not know
      return;
    }
    this.#awaitingAck.delete(key!);
    this.#stats.acksMatched++;
    try {
      waiting.incoming.delegate.onAck?.(ack);
    } catch (e) {
      this.#error(e);
    }
  }

  #error(e: unknown): void {
    try {
      this.#options.onError?.(e);
    } catch {
      // nowhere else to go
    }
  }

  /**
   * Stops every timer (2xx retransmissions, ACK cache), terminates the
   * dialogs. The layer is the caller's to close. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { retransmitter } of this.#awaitingAck.values()) retransmitter.dispose();
    this.#awaitingAck.clear();
    this.#timers.clear();
    this.#acks.clear();
    this.#subscriptions.clear();
    this.dialogs.clear();
  }
}

function isSecure(protocol: string): boolean {
  const p = protocol.toLowerCase();
  return p === 'tls' || p === 'wss';
}

