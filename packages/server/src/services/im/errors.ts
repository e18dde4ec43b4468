/**
 * IM errors and the one table of this service mapping them to a SIP answer
 * (to a MESSAGE) and to a code of the REST API's catalogue (history routes).
 */
import type { ApiErrorCode } from '../../http/api/index.js';

export type ImErrorCode =
  | 'too-many-hops'
  | 'foreign-origin'
  | 'spoofed-from'
  | 'no-such-user'
  | 'not-signed-in'
  | 'do-not-disturb'
  | 'unavailable'
  | 'too-large'
  | 'unsupported-content'
  | 'rate-limited'
  | 'store-unavailable'
  | 'unknown-message';

export interface ImErrorSpec {
  readonly sip: number;
  readonly reason: string;
  /** The REST API's code (its status is the API's table's). */
  readonly api: ApiErrorCode;
}

export const IM_ERRORS: Readonly<Record<ImErrorCode, ImErrorSpec>> = Object.freeze({
  'too-many-hops': { sip: 483, reason: 'Too Many Hops', api: 'invalid-request' },
  'foreign-origin': { sip: 403, reason: 'Forbidden (federation with other domains is not enabled)', api: 'forbidden' },
  'spoofed-from': { sip: 403, reason: 'Forbidden (From does not match the authenticated user)', api: 'forbidden' },
  'no-such-user': { sip: 404, reason: 'Not Found', api: 'not-found' },
  // Typing notifications are never queued (RFC 3994 §3: they only matter now).
  'not-signed-in': { sip: 480, reason: 'Temporarily Unavailable', api: 'not-found' },
  // Do Not Disturb (presence-gate.ts): only the recipient's Workgroup may interrupt. RFC 3261 §21.4.18: 480 is the
  // answer for a callee who "has activated the 'do not disturb' feature"; a Warning 399 (§20.43) says so in words.
  // Nothing is stored or queued: the original does not show the conversation request at all.
  'do-not-disturb': { sip: 480, reason: 'Temporarily Unavailable (Do Not Disturb)', api: 'unavailable' },
  // The same refusal to a sender the recipient blocked: it must not learn more than the Offline it is shown.
  unavailable: { sip: 480, reason: 'Temporarily Unavailable', api: 'unavailable' },
  // RFC 3428 §7: a relay may refuse a message over its size limit with 413.
  'too-large': { sip: 413, reason: 'Request Entity Too Large', api: 'payload-too-large' },
  // §21.4.13: the answer lists what is accepted (Accept). History keeps text, so bodies must be UTF-8, uncompressed.
  'unsupported-content': { sip: 415, reason: 'Unsupported Media Type (the body must be UTF-8 text, not encoded)', api: 'unsupported-media-type' },
  // §21.5.4 with Retry-After (§20.33): the only answer that tells a sender when to try again.
  'rate-limited': { sip: 503, reason: 'Service Unavailable (too many messages; retry later)', api: 'unavailable' },
  // Nothing is acknowledged that is not stored: 500 with Retry-After (§21.5.1, §20.33).
  'store-unavailable': { sip: 500, reason: 'Server Internal Error (message store unavailable)', api: 'unavailable' },
  'unknown-message': { sip: 404, reason: 'Not Found', api: 'not-found' },
});

export class ImError extends Error {
  override readonly name = 'ImError';
  constructor(
    readonly code: ImErrorCode,
    /** Seconds, sent as Retry-After. */
    readonly retryAfterS?: number,
  ) {
    super(IM_ERRORS[code].reason);
  }
}
