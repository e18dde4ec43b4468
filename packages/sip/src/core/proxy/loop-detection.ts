/**
 * Loop detection and branch values of a stateful proxy (RFC 3261 §16.3
 * item 4, §16.6 step 8; RFC 5393 §4.2).
 *
 * Our branch is `z9hG4bK<transaction part>.<loop part>`:
 * - the transaction part hashes the server transaction's key and the branch
 *   index with a secret, so a retransmitted request (same key) gets the same
 *   branch, and no two client transactions share one;
 * - the loop part hashes what a looping request keeps unchanged as it comes
 *   round again (Request-URI as received, From/To tags, Call-ID, CSeq number,
 *   Route, Proxy-Require, Proxy-Authorization) — not Via or Max-Forwards.
 *
 * A request that arrives with one of our Vias whose loop part equals its own
 * loop hash has been here in this very form: a loop (482). A spiral — back to
 * us after a change such as a new Request-URI — hashes differently and is fine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BRANCH_COOKIE, type Via } from '../../grammar/via.js';
import type { SipRequest } from '../../message/message.js';

const PROCESS_SECRET = randomBytes(16).toString('hex');

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').replace(/[-_]/g, 'x').slice(0, length);
}

/** The loop part of our branch for a request as received (before we change it). */
export function loopHash(request: SipRequest): string {
  const cseq = request.cseq;
  return hash(
    [
      request.requestUri,
      request.from.tag ?? '',
      request.to.tag ?? '',
      request.callId,
      cseq.seq,
      request.getAll('route').join(','),
      request.getAll('proxy-require').join(','),
      request.getAll('proxy-authorization').join(','),
    ].join('\n'),
    12,
  );
}

/** Our branch for the `index`-th client transaction of server transaction `transactionKey`. */
export function proxyBranch(transactionKey: string, index: number, loop: string, secret: string = PROCESS_SECRET): string {
  return `${BRANCH_COOKIE}${hash(`${secret}\n${transactionKey}\n${index}`, 16)}.${loop}`;
}

/**
 * §16.3 item 4: true when one of the request's Vias is ours (`isOwnVia`) and
 * carries the loop hash this request has now — it looped. Requires our
 * branches to come from {@link proxyBranch}.
 */
export function detectLoop(request: SipRequest, isOwnVia: (via: Via) => boolean): boolean {
  const loop = `.${loopHash(request)}`;
  return request.vias.some((v) => isOwnVia(v) && v.branch !== undefined && v.branch.endsWith(loop));
}
