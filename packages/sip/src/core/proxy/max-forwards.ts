/**
 * Max-Forwards at a proxy (RFC 3261 §16.3 item 3, §16.6 step 3).
 */
import { createResponse, newTag } from '../../message/factory.js';
import type { SipRequest, SipResponse } from '../../message/message.js';

/** 483 (Too Many Hops) when Max-Forwards is 0 and the request would be forwarded; else null. */
export function checkMaxForwards(request: SipRequest, toTag?: string): SipResponse | null {
  return request.maxForwards === 0 ? createResponse(request, 483, { toTag: toTag ?? newTag() }) : null;
}

/** Decrements Max-Forwards of a copy being forwarded; adds 70 when absent. */
export function decrementMaxForwards(request: SipRequest): void {
  const mf = request.maxForwards;
  request.set('Max-Forwards', mf === undefined ? 70 : Math.max(0, mf - 1));
}
