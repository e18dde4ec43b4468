/**
 * The locator's error catalogue. Misuse (a malformed target) throws
 * `TypeError`; conditions a caller must handle throw {@link LocatorError}.
 */

/**
 * - `NOT_FOUND`: DNS gave no address for the target (RFC 3263 §4.2 exhausted).
 * - `TIMEOUT`: one DNS query exceeded the per-query timeout.
 * - `DNS_FAILURE`: the resolver failed otherwise (SERVFAIL, REFUSED, …).
 * - `UNSUPPORTED_TRANSPORT`: the transport is unknown, not supported by this
 *   client, or not allowed for a SIPS URI (e.g. UDP, RFC 3261 §26.2.2).
 */
export type LocatorErrorCode = 'NOT_FOUND' | 'TIMEOUT' | 'DNS_FAILURE' | 'UNSUPPORTED_TRANSPORT';

/** DNS record types the locator queries. */
export type QueryType = 'NAPTR' | 'SRV' | 'A' | 'AAAA';

export interface LocatorErrorDetails {
  /** The query that failed, when one did. */
  query?: { type: QueryType; name: string };
  /** The resolver's own error code, such as `ESERVFAIL` or `ETIMEOUT`. */
  dnsCode?: string;
  cause?: unknown;
}

export class LocatorError extends Error {
  override readonly name = 'LocatorError';
  readonly code: LocatorErrorCode;
  readonly query: { type: QueryType; name: string } | undefined;
  readonly dnsCode: string | undefined;

  constructor(code: LocatorErrorCode, message: string, details: LocatorErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.query = details.query;
    this.dnsCode = details.dnsCode;
  }
}
