/**
 * Transaction matching keys (RFC 3261 §17.1.3, §17.2.3, §8.2.2.2).
 *
 * Server side, for a request whose top Via branch starts with the magic
 * cookie "z9hG4bK": branch + sent-by + method, where ACK counts as INVITE
 * (the ACK for a non-2xx shares the INVITE's branch) and CANCEL as itself
 * (the layer looks the INVITE up separately, §9.2).
 *
 * Without the cookie (RFC 2543 peers, RFC 4475 "badbranch"): Request-URI,
 * To tag, From tag, Call-ID, CSeq and the whole top Via. The ACK for a
 * non-2xx differs from its INVITE in the To tag (it carries the tag of the
 * response), so the layer also tries the key without it and then checks the
 * tag of the response the transaction sent.
 *
 * Client side: top Via branch + CSeq method (a CANCEL has its own
 * transaction with the INVITE's branch).
 *
 * Keys are built with `Array.prototype.join`, not template literals: a key
 * lives as long as its transaction (32 s in Completed over UDP), and its
 * parts (branch, host, tags, Call-ID) are substrings of the parsed message's
 * header text. V8 makes a long substring a slice that keeps its whole parent
 * string alive, and a `+`/template concatenation a tree that keeps its
 * parts: such a key pinned the ~500-byte header block of every request for
 * Timer J. `join` writes the characters into one new flat string.
 */
import type { SipRequest } from '../message/message.js';

/**
 * `s` as a new flat string that references no other string (see above), for
 * a substring of a message kept beyond the message. `join` returns a lone
 * non-empty part as it is, so the string is joined from two parts.
 */
export function flatCopy(s: string): string;
export function flatCopy(s: string | undefined): string | undefined;
export function flatCopy(s: string | undefined): string | undefined {
  if (s === undefined || s.length < 2) return s; // V8 copies substrings this short anyway
  return [s.slice(0, 1), s.slice(1)].join('');
}

export function clientTransactionKey(branch: string, method: string): string {
  return [branch, method].join('|');
}

export interface ServerKeyOverrides {
  /** The method to key on (INVITE for an ACK or a CANCEL looking for its INVITE). */
  method?: string;
  /** The To tag to use in the RFC 2543 key (ACK matching). */
  toTag?: string | undefined;
}

/** True when the top Via has an RFC 3261 branch and §17.2.3 branch matching applies. */
export function hasRfc3261Branch(request: SipRequest): boolean {
  return request.topVia.rfc3261Branch;
}

export function serverTransactionKey(request: SipRequest, overrides: ServerKeyOverrides = {}): string {
  const via = request.topVia;
  const method = overrides.method ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  if (via.rfc3261Branch) return ['3261', via.branch, `${via.host.toLowerCase()}:${via.port ?? ''}`, method].join('|');
  const toTag = 'toTag' in overrides ? overrides.toTag : request.to.tag;
  const cseq = request.cseq;
  return [
    '2543',
    request.requestUri,
    toTag ?? '',
    request.from.tag ?? '',
    request.callId,
    cseq.seq,
    method,
    via.toString().toLowerCase(),
  ].join('|');
}

/**
 * The §8.2.2.2 merge key of an out-of-dialog request (no To tag): From tag,
 * Call-ID, CSeq. Two live server transactions with the same merge key reached
 * this UAS by different paths (a fork that came back): the later one gets 482.
 */
export function mergedRequestKey(request: SipRequest): string | undefined {
  if (request.to.tag !== undefined || request.method === 'ACK' || request.method === 'CANCEL') return undefined;
  const cseq = request.cseq;
  return [request.from.tag ?? '', request.callId, cseq.seq, cseq.method].join('|');
}
