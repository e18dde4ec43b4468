/**
 * The checks a UAS applies before acting on a request (RFC 3261 §8.2), as
 * reusable functions: each returns the response to send, or null when the
 * request passes. The order of {@link checkRequest} is the order of §8.2:
 * method (§8.2.1), Request-URI scheme (§8.2.2.1), merged requests
 * (§8.2.2.2), Require (§8.2.2.3), content (§8.2.3).
 */
import { createResponse, newTag } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';

/** The methods RFC 3261 and the usual extensions define (an unknown one gets 501, §21.5.2). */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
];

export interface UasPolicy {
  /** Methods this UAS handles; a known one outside gets 405 with Allow (§8.2.1). */
  readonly allowedMethods: readonly string[];
  /** Methods that exist at all; others get 501 (§8.2.1). Default {@link KNOWN_METHODS}. */
  readonly knownMethods?: readonly string[];
  /** URI schemes served (§8.2.2.1). Default sip, sips, tel. */
  readonly uriSchemes?: readonly string[];
  /** Option tags understood in Require (§8.2.2.3, §20.32). Default none. */
  readonly supportedExtensions?: readonly string[];
  /** Body types understood (§8.2.3). Default application/sdp. */
  readonly acceptTypes?: readonly string[];
  /** Content codings understood (§8.2.3, §20.12). Default identity. */
  readonly acceptEncodings?: readonly string[];
}

function reject(request: SipRequest, status: number, toTag: string | undefined, headers: Array<[string, string]> = []): SipResponse {
  return createResponse(request, status, { toTag: toTag ?? newTag(), headers });
}

/** §8.2.1: 405 with Allow for a method we know but do not handle, 501 for one we do not know. */
export function checkMethod(request: SipRequest, policy: UasPolicy, toTag?: string): SipResponse | null {
  const m = request.method;
  if (policy.allowedMethods.includes(m) || m === 'ACK' || m === 'CANCEL') return null;
  const known = policy.knownMethods ?? KNOWN_METHODS;
  if (!known.includes(m)) return reject(request, 501, toTag, [['Allow', policy.allowedMethods.join(', ')]]);
  return reject(request, 405, toTag, [['Allow', policy.allowedMethods.join(', ')]]);
}

/** §8.2.2.1: 416 for a Request-URI scheme we do not serve (RFC 4475 "unkscm", "novelsc"). */
export function checkUriScheme(request: SipRequest, policy: UasPolicy, toTag?: string): SipResponse | null {
  const schemes = policy.uriSchemes ?? ['sip', 'sips', 'tel'];
  const scheme = request.uri.scheme.toLowerCase();
  return schemes.includes(scheme) ? null : reject(request, 416, toTag);
}

/**
 * §8.2.2.2: 482 (Loop Detected) for an out-of-dialog request that reached
 * us twice by different paths (the transaction layer's `isMergedRequest`).
 */
export function checkMergedRequest(request: SipRequest, merged: boolean, toTag?: string): SipResponse | null {
  return merged ? reject(request, 482, toTag) : null;
}

/**
 * §8.2.2.3: 420 (Bad Extension) listing in Unsupported the Require option
 * tags we do not understand. Not for ACK or CANCEL (their Require is ignored).
 */
export function checkRequire(request: SipRequest, policy: UasPolicy, toTag?: string): SipResponse | null {
  if (request.method === 'ACK' || request.method === 'CANCEL') return null;
  const supported = (policy.supportedExtensions ?? []).map((t) => t.toLowerCase());
  const unsupported = request.getAll('require').filter((t) => !supported.includes(t.toLowerCase()));
  if (unsupported.length === 0) return null;
  return reject(request, 420, toTag, [['Unsupported', unsupported.join(', ')]]);
}

/**
 * §8.2.3: 415 (Unsupported Media Type) for a body of a type we do not
 * accept (with Accept) or a content coding we do not understand (with
 * Accept-Encoding). A request without a body passes.
 */
export function checkContent(request: SipRequest, policy: UasPolicy, toTag?: string): SipResponse | null {
  if (request.body.length === 0) return null;
  const types = (policy.acceptTypes ?? ['application/sdp']).map((t) => t.toLowerCase());
  const encodings = (policy.acceptEncodings ?? ['identity']).map((e) => e.toLowerCase());
  const bad = request.getAll('content-encoding').filter((e) => !encodings.includes(e.toLowerCase()));
  if (bad.length > 0) return reject(request, 415, toTag, [['Accept-Encoding', encodings.join(', ')]]);
  const type = request.contentType;
  // A body without Content-Type is taken as application/sdp by habit; §20.15 says it MUST be there.
  if (type !== undefined && !types.includes(type) && !types.includes(type.split('/')[0] + '/*') && !types.includes('*/*')) {
    return reject(request, 415, toTag, [['Accept', types.join(', ')]]);
  }
  return null;
}

/** All §8.2 checks in order; the first failure's response, or null. */
export function checkRequest(request: SipRequest, policy: UasPolicy, options: { merged?: boolean; toTag?: string } = {}): SipResponse | null {
  const t = options.toTag;
  return (
    checkMethod(request, policy, t) ??
    checkUriScheme(request, policy, t) ??
    checkMergedRequest(request, options.merged ?? false, t) ??
    checkRequire(request, policy, t) ??
    checkContent(request, policy, t)
  );
}
