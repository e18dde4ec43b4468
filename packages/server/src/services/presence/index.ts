/**
 * Presence service: SIMPLE presence with the original's rich model.
 *
 * Handles:
 * - PUBLISH of `application/pidf+xml` for local users (RFC 3903, RFC 3863,
 *   RFC 4480), with a durable shadow of each publication;
 * - SUBSCRIBE/NOTIFY, Parley as notifier (RFC 6665): `presence` of a local
 *   user (RFC 3856), `presence` of `sip:<user>;list=contacts@<domain>` — the
 *   user's contact list as a resource list (RFC 4662) — and
 *   `presence.winfo` of one's own address (RFC 3857/3858);
 * - REST under /api/v1: `/me/contacts`, `/me/groups`, `/me/watchers`,
 *   `/presence/:address`, `/directory` (README.md in this folder).
 *
 * Needs (from ServiceContext): the store (users, migration 0004 tables),
 * the location service (registrations make a user signed in), digest
 * authentication, domains, the transaction layer for NOTIFYs; and the
 * location service's changes through `onBindingsChanged`; each user's live
 * calls, when the composition root provides them (`provideLiveCalls(ctx,
 * source)` before building the services): a user in a call is "In a call".
 *
 * Offers: {@link createPresenceService}; the relationship rules
 * (`mayInterrupt`) and the Do Not Disturb gate of a running service
 * (`presenceGateOf(ctx)`, `presence-gate.ts`) for IM and calls.
 */
export { createPresenceService, type PresenceOptions, type PresenceParts } from './presence-service.js';
export { PresenceError, PRESENCE_ERRORS, type PresenceErrorCode } from './errors.js';
export { AVAILABILITY, classOf, type AvailabilityClass } from './availability.js';
export { RELATIONSHIPS, mayInterrupt, type Relationship } from './privacy.js';
export { contactListUri } from './sip-common.js';
export { presenceGateOf, type PresenceGate, type Interruption } from './presence-gate.js';
export { provideLiveCalls, type LiveCalls } from './live-calls.js';
