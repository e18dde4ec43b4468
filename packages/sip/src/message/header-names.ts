/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the IANA registry), the
 * canonical spelling used when Parley writes a header, which headers hold
 * comma-separated lists (§7.3.1), and which may appear only once.
 */

/** Compact form → full lower-case name. */
export const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const SPELLING: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  rack: 'RAck',
  rseq: 'RSeq',
  'min-se': 'Min-SE',
  gruu: 'GRUU',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
};

/** The spelling Parley uses for a header it writes: "Call-ID", "CSeq", "Max-Forwards"… */
export function canonicalSpelling(lower: string): string {
  const s = SPELLING[lower];
  if (s) return s;
  return lower.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** Headers whose value is a comma-separated list (RFC 3261 §7.3.1 and the defining RFCs). */
export const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'content-language',
  'allow-events',
  'in-reply-to',
  'warning',
  'error-info',
  'call-info',
  'alert-info',
  'p-asserted-identity',
  'p-preferred-identity',
  'history-info',
  'reason',
  'accept-contact',
  'reject-contact',
  'request-disposition',
  'security-client',
  'security-server',
  'security-verify',
  'privacy',
]);

/** Headers that may appear at most once (RFC 3261 §7.3.1, §20; RFC 4475 §3.1.2.11 "multi01"). */
export const SINGLE_HEADERS = new Set([
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
  'content-type',
  'expires',
  'min-expires',
  'date',
  'mime-version',
  'event',
  'subscription-state',
  'refer-to',
  'session-expires',
  'rack',
  'rseq',
  'sip-etag',
  'sip-if-match',
]);

const nameCache = new Map<string, string>();
const NAME_CACHE_MAX = 512;

/**
 * Lower-case full name for a header name as written (case-insensitive,
 * compact forms expanded). Cached: the same few names repeat in every message.
 */
export function canonicalName(raw: string): string {
  const hit = nameCache.get(raw);
  if (hit !== undefined) return hit;
  let lower = raw.toLowerCase();
  if (lower.length === 1) lower = COMPACT[lower] ?? lower;
  // Bounded so that a peer sending random names cannot grow memory.
  if (nameCache.size < NAME_CACHE_MAX) nameCache.set(raw, lower);
  return lower;
}
