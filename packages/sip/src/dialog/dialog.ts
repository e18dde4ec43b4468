/**
 * A dialog (RFC 3261 §12): the state two UAs keep for a peer-to-peer
 * relationship — created by INVITE (1xx with a tag, 2xx) or by SUBSCRIBE and
 * NOTIFY (RFC 6665 §4.1.2.4) — and the requests sent within it. The state
 * machine is drawn in {@link DialogState}.
 *
 * A dialog builds requests (§12.2.1.1) and checks incoming ones (§12.2.2);
 * it does not send: the UA core adds the Via and gives them to a client
 * transaction.
 */
import { InvalidStateError } from '../errors.js';
import { ownString } from '../grammar/compact.js';
import type { NameAddr } from '../grammar/name-addr.js';
import { SipUri, type Uri } from '../grammar/uri.js';
import { SipRequest, type SipResponse } from '../message/message.js';
import { type DialogId, dialogKey } from './dialog-id.js';
import { DialogState } from './dialog-state.js';
import { routeRequest, uacRouteSet } from './route-set.js';

/** Methods that refresh the remote target (§12.2; RFC 3311 UPDATE; RFC 6665 §4.1.2.1, §4.2.2.1). */
export const TARGET_REFRESH_METHODS: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export interface DialogInit {
  readonly id: DialogId;
  readonly state: DialogState.Early | DialogState.Confirmed;
  /** Who we were in the transaction that created the dialog. */
  readonly role: 'uac' | 'uas';
  readonly localSeq: number | undefined;
  readonly remoteSeq: number | undefined;
  /** From (UAC) / To (UAS) of the creating request, without tag. */
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly remoteTarget: Uri;
  readonly routeSet: readonly NameAddr[];
  readonly secure: boolean;
  /** The Contact we put in target-refresh requests. */
  readonly localContact?: NameAddr;
}

export interface RequestOptions {
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
}

const TRANSITIONS: ReadonlyMap<DialogState, readonly DialogState[]> = new Map([
  [DialogState.Early, [DialogState.Confirmed, DialogState.Terminated]],
  [DialogState.Confirmed, [DialogState.Terminated]],
  [DialogState.Terminated, []],
]);

/** A route set with no entry: one frozen array for all dialogs (a route set is replaced, never changed in place). */
const NO_ROUTES: readonly NameAddr[] = Object.freeze([]);

type TerminatedCallback = (dialog: Dialog) => void;

/*
 * Memory. A server keeps a dialog per subscribed device for hours (tens of
 * thousands of them), so a dialog holds only compact values of its own:
 *  - the id strings and the key are own flat copies (ownString), never
 *    slices of the request that created the dialog, which they would keep
 *    alive whole; the key, a concatenation (a cons string), is flattened;
 *  - its URIs and name-addrs are deep copies with own strings (ownCopy), with
 *    a params Map only when there are parameters (an empty Map is ~150 B);
 *  - an empty route set is one shared frozen array;
 *  - the termination callbacks are one function (the usual case: the table
 *    the dialog is in) or an array, not a Set (~120 B even when empty).
 */

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  readonly role: 'uac' | 'uas';
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly secure: boolean;
  localContact: NameAddr | undefined;
  #state: DialogState;
  #localSeq: number | undefined;
  #remoteSeq: number | undefined;
  #remoteTarget: Uri;
  #routeSet: readonly NameAddr[];
  /** Called once on termination, in the order added: none, one, or several (see "Memory" above). */
  #onTerminated: TerminatedCallback | TerminatedCallback[] | undefined = undefined;

  constructor(init: DialogInit) {
    const { callId, localTag, remoteTag } = init.id;
    this.id = { callId: ownString(callId), localTag: ownString(localTag), remoteTag: ownString(remoteTag) };
    this.key = ownString(dialogKey(this.id));
    this.role = init.role;
    this.#state = init.state;
    this.#localSeq = init.localSeq;
    this.#remoteSeq = init.remoteSeq;
    this.localUri = init.localUri.ownCopy('tag');
    this.remoteUri = init.remoteUri.ownCopy('tag');
    this.#remoteTarget = init.remoteTarget.ownCopy();
    this.#routeSet = ownRouteSet(init.routeSet);
    this.secure = init.secure;
    // Not copied: the caller's own object, often one Contact shared by all its dialogs.
    this.localContact = init.localContact;
  }

  get state(): DialogState {
    return this.#state;
  }
  get localSeq(): number | undefined {
    return this.#localSeq;
  }
  get remoteSeq(): number | undefined {
    return this.#remoteSeq;
  }
  get remoteTarget(): Uri {
    return this.#remoteTarget;
  }
  get routeSet(): readonly NameAddr[] {
    return this.#routeSet;
  }

  #transition(to: DialogState): void {
    if (!(TRANSITIONS.get(this.#state) ?? []).includes(to)) {
      throw new InvalidStateError(`dialog: ${this.#state} → ${to} is not a transition`);
    }
    this.#state = to;
    if (to === DialogState.Terminated) {
      const fns = this.#onTerminated;
      this.#onTerminated = undefined;
      if (typeof fns === 'function') fns(this);
      else if (fns !== undefined) for (const fn of fns) fn(this);
    }
  }

  /**
   * Early → Confirmed. A UAC passes the 2xx: the route set and remote target
   * are recomputed from it (§12.1.2, §13.2.2.4). A UAS passes nothing.
   */
  confirm(response?: SipResponse): void {
    this.#transition(DialogState.Confirmed);
    if (response !== undefined && this.role === 'uac') {
      const routes = uacRouteSet(response); // own copies already
      this.#routeSet = routes.length === 0 ? NO_ROUTES : routes;
      this.#refreshTarget(response);
    }
  }

  /** Ends the dialog (BYE, §15; a non-2xx final for an early dialog, §12.3). Idempotent. */
  terminate(): void {
    if (this.#state === DialogState.Terminated) return;
    this.#transition(DialogState.Terminated);
  }

  /**
   * Calls `fn` once when the dialog terminates (tables use it to forget the
   * dialog); the function returned removes it. Adding a function already
   * added does nothing.
   */
  whenTerminated(fn: TerminatedCallback): () => void {
    if (this.#state === DialogState.Terminated) {
      fn(this);
      return () => {};
    }
    const fns = this.#onTerminated;
    if (fns === undefined) this.#onTerminated = fn;
    else if (typeof fns === 'function') {
      if (fns !== fn) this.#onTerminated = [fns, fn];
    } else if (!fns.includes(fn)) fns.push(fn);
    return () => this.#removeTerminated(fn);
  }

  #removeTerminated(fn: TerminatedCallback): void {
    const fns = this.#onTerminated;
    if (fns === fn) this.#onTerminated = undefined;
    else if (Array.isArray(fns)) {
      const i = fns.indexOf(fn);
      if (i >= 0) fns.splice(i, 1);
      if (fns.length === 1) this.#onTerminated = fns[0];
    }
  }

  #refreshTarget(message: SipRequest | SipResponse): void {
    const c = message.contacts[0];
    // A refresh usually repeats the target: keep the copy we have rather than make another.
    if (c !== undefined && c !== '*' && !sameText(c.uri, this.#remoteTarget)) this.#remoteTarget = c.uri.ownCopy();
  }

  /** The next local CSeq (§12.2.1.1: empty → a random start below 2**31). */
  nextSeq(): number {
    this.#localSeq = this.#localSeq === undefined ? Math.floor(Math.random() * 0x3fffffff) + 1 : this.#localSeq + 1;
    return this.#localSeq;
  }

  /**
   * A request within the dialog (§12.2.1.1), without Via (the UA core adds it
   * with a new branch). CSeq takes the next local number. Contact is added to
   * target-refresh requests when {@link localContact} is known.
   */
  createRequest(method: string, options: RequestOptions = {}): SipRequest {
    if (method === 'ACK' || method === 'CANCEL') throw new TypeError(`${method} is built by createAck / createCancel`);
    if (this.#state === DialogState.Terminated) throw new InvalidStateError('dialog terminated');
    return this.#build(method, this.nextSeq(), options);
  }

  /**
   * The ACK for a 2xx to `invite` (§13.2.2.4): built like any in-dialog
   * request, with the INVITE's CSeq number and its credentials.
   */
  createAck(invite: SipRequest, options: RequestOptions = {}): SipRequest {
    const ack = this.#build('ACK', invite.cseq.seq, options);
    for (const h of ['authorization', 'proxy-authorization']) for (const v of invite.getAll(h)) ack.append(h === 'authorization' ? 'Authorization' : 'Proxy-Authorization', v);
    return ack;
  }

  #build(method: string, seq: number, options: RequestOptions): SipRequest {
    const { requestUri, routes } = routeRequest(this.#remoteTarget, this.#routeSet);
    const req = new SipRequest(method, requestUri.toString());
    for (const r of routes) req.append('Route', r.toString());
    req.append('Max-Forwards', 70);
    const from = this.localUri.clone();
    from.tag = this.id.localTag;
    const to = this.remoteUri.clone();
    if (this.id.remoteTag !== '') to.tag = this.id.remoteTag;
    req.append('From', from.toString());
    req.append('To', to.toString());
    req.append('Call-ID', this.id.callId);
    req.append('CSeq', `${seq} ${method}`);
    if (this.localContact !== undefined && TARGET_REFRESH_METHODS.has(method)) req.append('Contact', this.localContact.toString());
    for (const [n, v] of options.headers ?? []) req.append(n, v);
    if (options.body !== undefined) req.setBody(options.body, options.contentType);
    return req;
  }

  /**
   * An incoming request within the dialog (§12.2.2): returns 500 when its
   * CSeq is lower than the remote sequence number (out of order), else
   * records the number, refreshes the remote target for target-refresh
   * requests, and returns undefined. ACK and CANCEL are not checked.
   */
  receiveRequest(request: SipRequest): 500 | undefined {
    if (request.method === 'ACK' || request.method === 'CANCEL') return undefined;
    const seq = request.cseq.seq;
    if (this.#remoteSeq !== undefined && seq < this.#remoteSeq) return 500;
    this.#remoteSeq = seq;
    if (TARGET_REFRESH_METHODS.has(request.method)) this.#refreshTarget(request);
    return undefined;
  }

  /**
   * A response to a request we sent within the dialog (§12.2.1.2): a 2xx to
   * a target-refresh request replaces the remote target; a 481 or 408
   * terminates the dialog (it no longer exists at the peer). Returns the
   * state afterwards.
   */
  receiveResponse(request: SipRequest, response: SipResponse): DialogState {
    const s = response.status;
    if (s >= 200 && s < 300 && TARGET_REFRESH_METHODS.has(request.method)) this.#refreshTarget(response);
    else if (s === 481 || s === 408) this.terminate();
    return this.#state;
  }

  /** True when the remote target is a SIPS URI or the dialog is secure (§12.1, §26.2.2). */
  get requiresSips(): boolean {
    return this.secure || (this.#remoteTarget instanceof SipUri && this.#remoteTarget.scheme === 'sips');
  }

  toString(): string {
    return `Dialog(${this.id.callId}; local=${this.id.localTag}; remote=${this.id.remoteTag}; ${this.#state})`;
  }
}

function ownRouteSet(routes: readonly NameAddr[]): readonly NameAddr[] {
  return routes.length === 0 ? NO_ROUTES : routes.map((r) => r.ownCopy());
}

/** Same kind and same text: the two URIs are interchangeable (their text is what requests carry). */
function sameText(a: Uri, b: Uri): boolean {
  return a.constructor === b.constructor && a.toString() === b.toString();
}
