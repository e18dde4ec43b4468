/**
 * Creating dialogs from the messages that establish them: the UAC side from
 * a response (§12.1.2), the UAS side from the request and the response it
 * sends (§12.1.1), and the subscriber side from a NOTIFY that arrives before
 * (or instead of) the 2xx to its SUBSCRIBE (RFC 6665 §4.1.2.4).
 */
import type { NameAddr } from '../grammar/name-addr.js';
import { SipUri, type Uri } from '../grammar/uri.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/message.js';
import { Dialog } from './dialog.js';
import { DialogState } from './dialog-state.js';
import { uacRouteSet, uasRouteSet } from './route-set.js';

export interface CreateDialogOptions {
  /**
   * The transport was TLS (or WSS) end to end to the next hop. With a SIPS
   * Request-URI this makes the dialog secure (§12.1.1, §12.1.2). Default false.
   */
  secureTransport?: boolean;
  /** Our Contact, put in target-refresh requests of the dialog. */
  localContact?: NameAddr;
}

function contactUri(message: SipMessage): Uri | undefined {
  const c = message.contacts[0];
  return c === undefined || c === '*' ? undefined : c.uri;
}

function isSips(uri: Uri): boolean {
  return uri instanceof SipUri && uri.scheme === 'sips';
}

/**
 * UAC (§12.1.2): from our request and a 1xx-with-tag (Early) or 2xx
 * (Confirmed) response. Route set: the response's Record-Route reversed;
 * remote target: its Contact.
 */
export function createUacDialog(request: SipRequest, response: SipResponse, options: CreateDialogOptions = {}): Dialog {
  const remoteTag = response.to.tag;
  const localTag = request.from.tag;
  if (remoteTag === undefined || localTag === undefined) throw new TypeError('a dialog needs a From tag and a To tag');
  if (response.status < 101 || response.status >= 300) throw new TypeError(`a ${response.status} does not create a dialog`);
  return new Dialog({
    id: { callId: request.callId, localTag, remoteTag },
    state: response.status < 200 ? DialogState.Early : DialogState.Confirmed,
    role: 'uac',
    localSeq: request.cseq.seq,
    remoteSeq: undefined,
    localUri: request.from,
    remoteUri: response.to,
    remoteTarget: contactUri(response) ?? request.uri,
    routeSet: uacRouteSet(response),
    secure: isSips(request.uri) && options.secureTransport === true,
    localContact: options.localContact,
  });
}

/**
 * UAS (§12.1.1): from the request and the 1xx (Early) or 2xx (Confirmed) we
 * answer it with (its To tag is our local tag). Route set: the request's
 * Record-Route in order; remote target: its Contact.
 */
export function createUasDialog(request: SipRequest, response: SipResponse, options: CreateDialogOptions = {}): Dialog {
  const localTag = response.to.tag;
  if (localTag === undefined) throw new TypeError('the response needs a To tag');
  if (response.status < 101 || response.status >= 300) throw new TypeError(`a ${response.status} does not create a dialog`);
  return new Dialog({
    id: { callId: request.callId, localTag, remoteTag: request.from.tag ?? '' },
    state: response.status < 200 ? DialogState.Early : DialogState.Confirmed,
    role: 'uas',
    localSeq: undefined,
    remoteSeq: request.cseq.seq,
    localUri: request.to,
    remoteUri: request.from,
    remoteTarget: contactUri(request) ?? request.from.uri,
    routeSet: uasRouteSet(request),
    secure: isSips(request.uri) && options.secureTransport === true,
    localContact: options.localContact,
  });
}

/**
 * Subscriber side (RFC 6665 §4.1.2.4): a NOTIFY matching our SUBSCRIBE
 * (Call-ID, its To tag = our From tag) creates a confirmed dialog, even
 * before the 2xx. Each notifier of a forked SUBSCRIBE gets its own dialog,
 * keyed by the NOTIFY's From tag. We are the UAS of the NOTIFY: its
 * Record-Route in order is the route set, its Contact the remote target.
 */
export function createDialogFromNotify(subscribe: SipRequest, notify: SipRequest, options: CreateDialogOptions = {}): Dialog {
  const localTag = subscribe.from.tag;
  const remoteTag = notify.from.tag;
  if (localTag === undefined || remoteTag === undefined) throw new TypeError('SUBSCRIBE and NOTIFY need From tags');
  if (notify.to.tag !== localTag || notify.callId !== subscribe.callId) throw new TypeError('the NOTIFY does not match the SUBSCRIBE');
  return new Dialog({
    id: { callId: subscribe.callId, localTag, remoteTag },
    state: DialogState.Confirmed,
    role: 'uac',
    localSeq: subscribe.cseq.seq,
    remoteSeq: notify.cseq.seq,
    localUri: subscribe.from,
    remoteUri: notify.from,
    remoteTarget: contactUri(notify) ?? subscribe.uri,
    routeSet: uasRouteSet(notify),
    secure: isSips(subscribe.uri) && options.secureTransport === true,
    localContact: options.localContact,
  });
}
