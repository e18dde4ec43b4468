/**
 * The limits a MESSAGE must pass before it is stored and delivered:
 *
 * - size: the body at most `maxBodyBytes` (default 64 KiB) — 413 (RFC 3428
 *   §7 allows a relay its own limit; UDP cannot carry much more anyway);
 * - content: stored as text, so the body must be valid UTF-8 and carry no
 *   Content-Encoding — else 415 with Accept (RFC 3261 §21.4.13);
 * - rate: at most `perMinute` messages per sender (default 120, typing
 *   notifications included), a token bucket refilled continuously, so a
 *   burst of a full minute's allowance is possible once. Past it: 503 with
 *   Retry-After (§21.5.4, §20.33) — the one SIP answer that says when to try
 *   again; a 403 would tell the client the message is refused for good.
 */
import type { SipRequest } from '@parley/sip';
import { ImError } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_MESSAGES_PER_MINUTE = 120;

/** Types a client may send; anything UTF-8 passes, this is what a 415 advertises. */
export const ACCEPT = 'text/plain, text/html, message/cpim, application/im-iscomposing+xml';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Throws `too-large` or `unsupported-content`; returns the body as text. */
export function checkBody(req: SipRequest, maxBodyBytes: number): string {
  const body = req.body;
  if (body.length > maxBodyBytes) throw new ImError('too-large');
  const encoding = req.get('content-encoding')?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') throw new ImError('unsupported-content');
  try {
    return utf8.decode(body);
  } catch {
    throw new ImError('unsupported-content');
  }
}

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

/** A token bucket per sender: `perMinute` tokens, refilled at perMinute/60 a second. Memory bounded (oldest dropped). */
export class SenderRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number = DEFAULT_MESSAGES_PER_MINUTE,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    if (!(perMinute > 0)) throw new TypeError('perMinute must be positive');
    this.perMs = perMinute / 60_000;
  }

  /** Take one message's token for `sender`, or learn how many seconds until one is free. */
  take(sender: string): TakeResult {
    const t = this.now();
    let b = this.buckets.get(sender);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.perMinute, at: t };
      this.buckets.set(sender, b);
    } else {
      b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.perMs);
      b.at = t;
    }
    if (b.tokens < 1) return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)) };
    b.tokens -= 1;
    return { ok: true };
  }

  /** Throws `rate-limited` with its Retry-After when `sender` is over the limit. */
  check(sender: string): void {
    const r = this.take(sender);
    if (!r.ok) throw new ImError('rate-limited', r.retryAfterS);
  }
}
