/**
 * IM service: one-to-one instant messages (RFC 3428 MESSAGE) and typing
 * notifications (RFC 3994), as the original's front end does them — every
 * signed-in device of the recipient gets the message, the sender's other
 * devices get a copy, a recipient signed in nowhere gets it when back
 * (202 Accepted meanwhile), and the history is kept.
 *
 * Handles: out-of-dialog MESSAGE to a local user (in-dialog and GRUU-targeted
 * MESSAGE stay with the proxy); REST `/api/v1/im/…` (history, unread, read).
 * Needs (ServiceContext): the store (table `im_messages`, migration 0003),
 * auth (407), domains, the location service and the transaction layer.
 * Offers: `deliverPending(aor)` / `onBindingsChanged(aor, bindings)` for the
 * location service's change hook; without it a 2 s poll does the same.
 */
export { ImService, imService, imServiceWith, DEFAULT_PENDING_TTL_MS, type ImOptions } from './im-service.js';
export { ImRepo, conversationKey, type ImMessage, type ImStatus, type ConversationSummary, type HistoryCursor } from './im-repo.js';
export { IM_ERRORS, ImError, type ImErrorCode, type ImErrorSpec } from './errors.js';
export { SenderRateLimiter, checkBody, DEFAULT_MAX_BODY_BYTES, DEFAULT_MESSAGES_PER_MINUTE } from './limits.js';
export { ISCOMPOSING } from './message-handler.js';
