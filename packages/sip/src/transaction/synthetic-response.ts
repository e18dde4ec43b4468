import { createResponse } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';

/**
 * A response made up locally for a request that got none: 408 after a
 * transaction timeout (§8.1.3.1, §16.7 step 2 / §16.8 for a proxy branch),
 * 503 after a transport error (§8.1.3.1, §17.1.4, §16.9). It carries the
 * request's Via, From, To, Call-ID and CSeq, like a received one would, and
 * is marked with a Warning-free reason phrase so logs show it was local.
 */
export function createSyntheticResponse(request: SipRequest, status: 408 | 503 | 487 | 500, detail?: string): SipResponse {
  const reason = detail === undefined ? undefined : `${status === 408 ? 'Request Timeout' : 'Service Unavailable'} (${detail})`;
  return createResponse(request, status, reason === undefined ? {} : { reason });
}
