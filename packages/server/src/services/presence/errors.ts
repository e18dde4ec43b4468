/**
 * Errors of the presence service and the ONE table that maps each to its SIP
 * status (PUBLISH, SUBSCRIBE) and to the REST API's error code (contacts,
 * groups, directory): STYLE.md habit 5, after Kamailio's `registrar/reply.c`.
 *
 * The REST codes are those of the API's catalogue (`http/api/errors.ts`); the
 * message says what exactly went wrong (a policy limit, a missing group…).
 */
import type { ApiErrorCode } from '../../http/api/index.js';

export type PresenceErrorCode =
  | 'bad-event'
  | 'unknown-etag'
  | 'interval-too-brief'
  | 'unsupported-media-type'
  | 'not-acceptable'
  | 'document-too-large'
  | 'malformed-document'
  | 'missing-body'
  | 'no-such-user'
  | 'not-owner'
  | 'foreign-origin'
  | 'spoofed-from'
  | 'subscription-limit'
  | 'category-limit'
  | 'prompt-limit'
  | 'no-such-prompt'
  | 'server-busy'
  | 'no-such-subscription'
  | 'out-of-order'
  | 'eventlist-required'
  | 'contact-limit'
  | 'group-limit'
  | 'duplicate-contact'
  | 'duplicate-group'
  | 'no-such-contact'
  | 'no-such-group'
  | 'invalid-address'
  | 'invalid-name'
  | 'self-contact';

export interface PresenceErrorSpec {
  /** SIP status and reason phrase (RFC 3261 §21; RFC 3903 §11.2.1 for 412; RFC 6665 §8.3.1 for 489). */
  readonly sip: number;
  readonly reason: string;
  /** The REST API's code (its status follows from the API catalogue). */
  readonly http: ApiErrorCode;
}

export const PRESENCE_ERRORS: Readonly<Record<PresenceErrorCode, PresenceErrorSpec>> = Object.freeze({
  'bad-event': { sip: 489, reason: 'Bad Event', http: 'invalid-request' },
  'unknown-etag': { sip: 412, reason: 'Conditional Request Failed', http: 'not-found' },
  'interval-too-brief': { sip: 423, reason: 'Interval Too Brief', http: 'invalid-request' },
  'unsupported-media-type': { sip: 415, reason: 'Unsupported Media Type', http: 'unsupported-media-type' },
  'not-acceptable': { sip: 406, reason: 'Not Acceptable (this server sends application/pidf+xml)', http: 'invalid-request' },
  'document-too-large': { sip: 413, reason: 'Request Entity Too Large (presence document too large)', http: 'payload-too-large' },
  'malformed-document': { sip: 400, reason: 'Bad Request (malformed presence document)', http: 'invalid' },
  'missing-body': { sip: 400, reason: 'Bad Request (an initial PUBLISH needs a body)', http: 'invalid-request' },
  'no-such-user': { sip: 404, reason: 'Not Found', http: 'not-found' },
  'not-owner': { sip: 403, reason: 'Forbidden (you may only publish your own presence)', http: 'forbidden' },
  'foreign-origin': { sip: 403, reason: 'Forbidden (federation with other domains is not enabled)', http: 'forbidden' },
  'spoofed-from': { sip: 403, reason: 'Forbidden (From does not match the authenticated user)', http: 'forbidden' },
  'subscription-limit': { sip: 403, reason: 'Forbidden (too many presence subscriptions, presence policy)', http: 'forbidden' },
  'category-limit': { sip: 403, reason: 'Forbidden (too many category subscriptions, presence policy)', http: 'forbidden' },
  // The ADDER is refused: the contact has too many contact requests it has not acknowledged (the original's 200 prompted subscribers).
  'prompt-limit': { sip: 403, reason: 'Forbidden (the contact has too many unacknowledged contact requests, presence policy)', http: 'forbidden' },
  'no-such-prompt': { sip: 404, reason: 'Not Found', http: 'not-found' },
  'server-busy': { sip: 503, reason: 'Service Unavailable (presence subscription table full)', http: 'unavailable' },
  'no-such-subscription': { sip: 481, reason: 'Subscription Does Not Exist', http: 'not-found' },
  'out-of-order': { sip: 500, reason: 'Server Internal Error (CSeq out of order)', http: 'invalid-request' },
  'eventlist-required': { sip: 421, reason: 'Extension Required', http: 'invalid-request' },
  'contact-limit': { sip: 403, reason: 'Forbidden (contact list full, presence policy)', http: 'forbidden' },
  'group-limit': { sip: 403, reason: 'Forbidden (too many contact groups)', http: 'forbidden' },
  'duplicate-contact': { sip: 409, reason: 'Conflict', http: 'conflict' },
  'duplicate-group': { sip: 409, reason: 'Conflict', http: 'conflict' },
  'no-such-contact': { sip: 404, reason: 'Not Found', http: 'not-found' },
  'no-such-group': { sip: 404, reason: 'Not Found', http: 'not-found' },
  'invalid-address': { sip: 400, reason: 'Bad Request', http: 'malformed-address' },
  'invalid-name': { sip: 400, reason: 'Bad Request', http: 'invalid' },
  'self-contact': { sip: 400, reason: 'Bad Request', http: 'invalid' },
} satisfies Record<PresenceErrorCode, PresenceErrorSpec>);

/** A failure of the presence service a caller can handle; `code` picks its SIP and REST answers. */
export class PresenceError extends Error {
  override readonly name = 'PresenceError';
  readonly #detailed: boolean;

  constructor(
    readonly code: PresenceErrorCode,
    message?: string,
  ) {
    super(message ?? PRESENCE_ERRORS[code].reason);
    this.#detailed = message !== undefined;
  }

  get sipStatus(): number {
    return PRESENCE_ERRORS[this.code].sip;
  }

  /**
   * The table's reason phrase, with the detail when one was given: printable
   * ASCII only and at most 120 characters of it, as it may quote a document.
   */
  get sipReason(): string {
    const base = PRESENCE_ERRORS[this.code].reason;
    if (!this.#detailed) return base;
    const detail = this.message.replace(/[^\x21-\x7e]+/g, ' ').trim().slice(0, 120);
    return `${base.replace(/ \(.*\)$/, '')} (${detail})`;
  }
}
