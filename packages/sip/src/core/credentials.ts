/**
 * Answering 401/407 challenges (RFC 3261 §22.2, §22.3) without importing the
 * digest module: the UA core asks an injected callback for the header
 * value(s) — `DigestClient.answer()` fits — and re-sends.
 */
import { SipRequest, type SipResponse } from '../message/message.js';

/**
 * Given a 401 or 407 and the request it answers, the Authorization (401) or
 * Proxy-Authorization (407) value(s) to send — one per realm when a forking
 * proxy merged challenges (§22.3) — or undefined to give up.
 */
export type CredentialsCallback = (challenge: SipResponse, request: SipRequest) => string | readonly string[] | undefined;

/** A copy of a request (headers in order, body), to be changed and re-sent. */
export function cloneRequest(request: SipRequest): SipRequest {
  return new SipRequest(request.method, request.requestUri, request.headers(), Buffer.from(request.body));
}

/**
 * The request to re-send after a challenge: the same request with CSeq
 * `cseq` (§22.2: incremented like any new request), without its Via (a new
 * one with a new branch is added when sent), and with the credentials of
 * the challenged kind replaced.
 */
export function createAuthenticatedRetry(request: SipRequest, challenge: SipResponse, values: readonly string[], cseq: number): SipRequest {
  const retry = cloneRequest(request);
  retry.remove('via');
  retry.set('CSeq', `${cseq} ${request.method}`);
  const header = challenge.status === 407 ? 'Proxy-Authorization' : 'Authorization';
  retry.remove(header);
  for (const v of values) retry.append(header, v);
  return retry;
}
