/**
 * What the PUBLISH and SUBSCRIBE handlers share: which requests are ours,
 * who sent them (digest, RFC 3261 §22.3, as the proxy does: 407, and From
 * must be the authenticated user), Expires within limits, and answering a
 * {@link PresenceError} with its status from the one table (`errors.ts`)
 * and the header its status calls for.
 */
import { SipUri, type SipRequest } from '@parley/sip';
import type { FlowInfo, ServerTransaction } from '@parley/sip/transaction';
import type { ServiceContext } from '../service.js';
import { PresenceError, type PresenceErrorCode } from './errors.js';

/** The event packages this service answers (RFC 6665 §8.2.1 Allow-Events). */
export const ALLOW_EVENTS = 'presence, presence.winfo';

/** The event package of a request, lower case, without parameters; undefined without an Event header. */
export function eventPackage(req: SipRequest): string | undefined {
  const v = req.get('event');
  if (v === undefined) return undefined;
  return v.split(';')[0].trim().toLowerCase();
}

/** A Request-URI naming a user of a local domain, or a contact list (`user;list=contacts@domain`). */
export interface Resource {
  /** 'user@domain' of the user (the list's owner for a list). */
  readonly address: string;
  readonly domain: string;
  /** True for the owner's contact list (RFC 4662 resource list). */
  readonly list: boolean;
}

const LIST_SUFFIX = /;list=contacts$/i;

/** The local resource a request addresses, or undefined (not a local user: the proxy's business). */
export function resourceOf(ctx: Pick<ServiceContext, 'domains'>, req: SipRequest): Resource | undefined {
  const u = req.uri;
  if (!(u instanceof SipUri) || u.user === undefined) return undefined;
  const m = ctx.domains.resolveCached(u.hostname);
  if (m.kind !== 'local') return undefined;
  const user = u.userDecoded!.toLowerCase();
  const list = LIST_SUFFIX.test(user);
  const name = list ? user.replace(LIST_SUFFIX, '') : user;
  if (name === '' || /[;@:]/.test(name)) return undefined;
  return { address: `${name}@${m.domain}`, domain: m.domain, list };
}

/** The list URI of a user's contacts (documented in this folder's README). */
export function contactListUri(address: string): string {
  const at = address.lastIndexOf('@');
  return `sip:${address.slice(0, at)};list=contacts@${address.slice(at + 1)}`;
}

/** True when every Route of the request names this server (a preloaded outbound proxy): the request is for us. */
export function routesToUs(ctx: Pick<ServiceContext, 'domains' | 'local'>, req: SipRequest): boolean {
  const ports = Object.values(ctx.local().ports);
  return req.addresses('route').every((r) => {
    const u = r.uri;
    return u instanceof SipUri && u.user === undefined && ctx.domains.isOwnName(u.hostname) && (u.port === undefined || ports.includes(u.port));
  });
}

/**
 * Digest authentication of a request from a local user (RFC 3261 §22.3,
 * Proxy-Authenticate). Returns the address, or undefined when the
 * transaction was answered with a challenge or 403. Throws PresenceError
 * `foreign-origin` or `spoofed-from`.
 */
export async function authenticate(ctx: Pick<ServiceContext, 'auth' | 'domains'>, tx: ServerTransaction, flow: FlowInfo): Promise<string | undefined> {
  const req = tx.request;
  const from = req.from.uri;
  const m = from instanceof SipUri ? ctx.domains.resolveCached(from.hostname) : undefined;
  if (!m || m.kind !== 'local' || !(from instanceof SipUri) || from.user === undefined) throw new PresenceError('foreign-origin');
  const out = await ctx.auth.check(req, flow.remoteAddress, 'proxy', m.domain);
  if (!out.ok) {
    tx.reply(out.status, { reason: out.reason, headers: out.headers });
    return undefined;
  }
  if (`${from.userDecoded!.toLowerCase()}@${m.domain}` !== out.address) throw new PresenceError('spoofed-from');
  return out.address;
}

export interface ExpiresLimits {
  /** Seconds; shorter gets 423 with Min-Expires. */
  readonly minExpires: number;
  /** Seconds; longer is cut to this. */
  readonly maxExpires: number;
  /** Seconds, without an Expires header. */
  readonly defaultExpires: number;
}

/** The granted duration in seconds (0 stays 0). Throws `interval-too-brief` (RFC 3903 §6 step 5, RFC 6665 §4.2.1.1). */
export function grantedExpires(req: SipRequest, l: ExpiresLimits): number {
  let asked: number | undefined;
  try {
    asked = req.integer('expires');
  } catch {
    asked = undefined;
  }
  const e = asked ?? l.defaultExpires;
  if (e === 0) return 0;
  if (e < l.minExpires) throw new PresenceError('interval-too-brief');
  return Math.min(e, l.maxExpires);
}

/** Headers some statuses need (RFC 3261 §21.4.18 Unsupported-style hints). */
function hintHeaders(code: PresenceErrorCode, l: ExpiresLimits, accept: string): Array<[string, string | number]> {
  switch (code) {
    case 'bad-event':
      return [['Allow-Events', ALLOW_EVENTS]];
    case 'interval-too-brief':
      return [['Min-Expires', l.minExpires]];
    case 'unsupported-media-type':
    case 'not-acceptable':
      return [['Accept', accept]];
    case 'eventlist-required':
      return [['Require', 'eventlist']];
    case 'server-busy':
      return [['Retry-After', 30]];
    default:
      return [];
  }
}

/** Answers with the error's status; false when `e` is not a PresenceError (the caller rethrows). */
export function replyPresenceError(tx: ServerTransaction, e: unknown, l: ExpiresLimits, accept = 'application/pidf+xml'): boolean {
  if (!(e instanceof PresenceError)) return false;
  tx.reply(e.sipStatus, { reason: e.sipReason, headers: hintHeaders(e.code, l, accept) });
  return true;
}
