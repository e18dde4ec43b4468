import { createResponse } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { reasonPhrase } from '../message/status.js';

/**
 * A response made up locally for a request that got none: 408 after a
 * transaction timeout (§8.1.3.1, §16.7 step 2 / §16.8 for a proxy branch),
 * 503 after a transport error (§8.1.3.1, §17.1.4, §16.9). It carries the
 * request's Via, From, To, Call-ID and CSeq, like a received one would;
 * `detail` (e.g. the transport error) goes in the reason phrase for logs.
 */
export function createSyntheticResponse(request: SipRequest, status: 408 | 503 | 487 | 500, detail?: string): SipResponse {
  if (detail === undefined) return createResponse(request, status);
  const clean = detail.replace(/[\r\n\x00-\x1f\x7f]+/g, ' ').slice(0, 80);
  return createResponse(request, status, { reason: `${reasonPhrase(status)} (${clean})` });
}
