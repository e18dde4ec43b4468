/**
 * Dialog identifiers (RFC 3261 §12): Call-ID, local tag, remote tag. The
 * local tag is the From tag of requests we send and the To tag of requests
 * we receive; the remote tag the other way round. A remote tag may be empty
 * (an RFC 2543 peer sends no From tag, §12.1.1).
 */
import type { SipRequest, SipResponse } from '../message/message.js';

export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

/** The id of the dialog an incoming request belongs to (UAS view, §12.2.2): local = To tag. */
export function dialogIdOfIncomingRequest(request: SipRequest): DialogId | undefined {
  const local = request.to.tag;
  if (local === undefined) return undefined;
  return { callId: request.callId, localTag: local, remoteTag: request.from.tag ?? '' };
}

/** The id of the dialog a response to our request belongs to (UAC view, §12.1.2): remote = To tag. */
export function dialogIdOfResponse(response: SipResponse): DialogId | undefined {
  const remote = response.to.tag;
  const local = response.from.tag;
  if (remote === undefined || local === undefined) return undefined;
  return { callId: response.callId, localTag: local, remoteTag: remote };
}
