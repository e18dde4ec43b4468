/** Proxy errors and their SIP status codes: the one table of this service. */
export type ProxyErrorCode =
  | 'too-many-hops'
  | 'loop'
  | 'foreign-origin'
  | 'foreign-target'
  | 'no-such-user'
  | 'not-signed-in'
  | 'spoofed-from'
  | 'no-route-to-number'
  | 'unreachable'
  | 'unresolvable';

export const PROXY_STATUS: Record<ProxyErrorCode, { status: number; reason: string }> = {
  'too-many-hops': { status: 483, reason: 'Too Many Hops' },
  loop: { status: 482, reason: 'Loop Detected' },
  'foreign-origin': { status: 403, reason: 'Forbidden (federation with other domains is not enabled)' },
  'foreign-target': { status: 403, reason: 'Forbidden (federation with other domains is not enabled)' },
  'no-such-user': { status: 404, reason: 'Not Found' },
  'not-signed-in': { status: 480, reason: 'Temporarily Unavailable' },
  'spoofed-from': { status: 403, reason: 'Forbidden (From does not match the authenticated user)' },
  'no-route-to-number': { status: 404, reason: 'Not Found (no route to this number yet)' },
  unreachable: { status: 480, reason: 'Temporarily Unavailable' },
  // No standard code says "the next hop's name does not resolve"; 480 tells the caller to try later.
  unresolvable: { status: 480, reason: 'Temporarily Unavailable (next hop cannot be resolved)' },
};

export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(readonly code: ProxyErrorCode) {
    super(PROXY_STATUS[code].reason);
  }
}

/**
 * Errors of the call tracker (`calls.ts`). No SIP status: they are never
 * answered to anybody. The proxy logs them and the call goes on, untracked
 * (presence then does not show it as "In a call").
 */
export type CallTrackerErrorCode =
  /** An ended dialog asked to be confirmed again (a late 2xx retransmission): refused, it stays ended. */
  | 'illegal-transition'
  /** `maxDialogs` dialogs are live and none is ended: the new one is not tracked. */
  | 'table-full';

export class CallTrackerError extends Error {
  override readonly name = 'CallTrackerError';
  constructor(
    readonly code: CallTrackerErrorCode,
    detail?: string,
  ) {
    super(detail === undefined ? code : `${code}: ${detail}`);
  }
}
