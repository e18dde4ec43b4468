/**
 * Building messages: responses to a request (RFC 3261 §8.2.6), identifiers
 * (branch §8.1.1.7, tags §19.3, Call-ID §8.1.1.4).
 */
import { BRANCH_COOKIE } from '../grammar/via.js';
import type { SipRequest } from './message.js';
import { SipResponse } from './message.js';
import { randomText } from './random.js';
import { reasonPhrase } from './status.js';

/** Random token of `bytes` random bytes, base64url (token characters only). */
export function randomToken(bytes = 12): string {
  const t = randomText(bytes, 'base64url');
  return t.includes('_') ? t.replace(/_/g, '.') : t;
}

/** A new RFC 3261 branch (magic cookie + random), unique in space and time. */
export function newBranch(): string {
  return BRANCH_COOKIE + randomToken(12);
}

/** A new From/To tag (§19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomToken(8);
}

export function newCallId(host?: string): string {
  return host ? `${randomToken(15)}@${host}` : randomToken(18);
}

export interface ResponseOptions {
  reason?: string;
  /** To tag to add when the request's To has none (not for 100, §8.2.6.2). */
  toTag?: string;
  /** Extra headers appended after the copied ones. */
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * A response to `req`: copies Via (all, in order), From, To (adding the tag),
 * Call-ID, CSeq and, for 1xx/2xx to dialog-creating requests, Record-Route
 * (§12.1.1); Timestamp is echoed for 100 (§8.2.6.1).
 */
export function createResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
  const headers: Array<[string, string]> = [];
  for (const [n, v] of req.headers()) {
    const lower = n.toLowerCase();
    if (lower === 'via' || lower === 'v') headers.push(['Via', v]);
  }
  // Copied as written; a header the request lacks is left out rather than
  // sent empty (only a malformed request lacks one, RFC 4475 "insuf").
  const from = req.get('from');
  if (from !== undefined) headers.push(['From', from]);
  let to = req.get('to');
  if (to !== undefined) {
    if (status > 100 && opts.toTag !== undefined && !/;\s*tag\s*=/i.test(to)) to += `;tag=${opts.toTag}`;
    headers.push(['To', to]);
  }
  const callId = req.get('call-id');
  if (callId !== undefined) headers.push(['Call-ID', callId]);
  const cseq = req.get('cseq');
  if (cseq !== undefined) headers.push(['CSeq', cseq]);
  if (status > 100 && status < 300 && (req.method === 'INVITE' || req.method === 'SUBSCRIBE' || req.method === 'REFER')) {
    for (const rr of req.getAll('record-route')) headers.push(['Record-Route', rr]);
  }
  if (status === 100) {
    const ts = req.get('timestamp');
    if (ts !== undefined) headers.push(['Timestamp', ts]);
  }
  const res = new SipResponse(status, opts.reason ?? reasonPhrase(status), headers);
  for (const [n, v] of opts.headers ?? []) res.append(n, v);
  if (opts.body !== undefined) res.setBody(opts.body, opts.contentType);
  return res;
}
