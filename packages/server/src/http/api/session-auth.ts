/**
 * Sign-in, sessions and who is calling.
 *
 * Sign-in checks the password against the user's scrypt hash (RFC 7914; the
 * same work is done for an unknown address) and answers one way for an
 * unknown address, a wrong password and a disabled user, so the API tells
 * nobody which addresses exist. Failures are counted per source IP and per
 * address ({@link FailureThrottle}); past the limit both lock out for a
 * while, even for the right password.
 *
 * A session is a random 256-bit token, given to the client once and kept in
 * the store only as its SHA-256. It is presented as `Authorization: Bearer`
 * (RFC 6750 §2.1) or in the `parley_session` cookie (HttpOnly, Secure,
 * SameSite=Strict). Lifetime: 12 hours, sliding — each use moves the expiry
 * (written at most once a minute).
 *
 * The web client's SIP WebSocket (`/sip`) is opened with the same cookie:
 * {@link SessionAuth.identifyUpgrade} ties the connection to the session, and
 * the SIP authenticator asks {@link SessionAuth.isLive} before taking it as
 * the user's credentials; a session that ends closes its connections
 * (`onEnded`).
 *
 * ```
 *  (none) ──sign-in──► live ──12 h unused──► expired
 *                       │ └──sign-out / user disabled, removed,
 *                       │    password reset by an admin──► gone
 *                       └──use──► live (expiry slides)
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FailureThrottle } from '../../services/auth/throttle.js';
import { parseAddress, UserError, verifyPassword } from '../../services/users/index.js';
import type { Store, User } from '../../store/index.js';
import { ApiError } from './errors.js';
import type { Session, SessionRepo } from './session-repo.js';

export const SESSION_COOKIE = 'parley_session';
/** Sessions last 12 hours from their last use (as the original's web sessions). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** How stale `last_seen_at` may get before a use writes it again. */
const TOUCH_EVERY_MS = 60 * 1000;

/** Limits of failed sign-ins. */
export interface SignInThrottleOptions {
  /** Failures per source IP per window before lock-out. Default 20. */
  readonly perSource?: number;
  /** Failures per address per window before lock-out. Default 10. */
  readonly perAddress?: number;
  /** Default 60 s. */
  readonly windowMs?: number;
  /** Default 300 s. */
  readonly lockoutMs?: number;
}

/** The caller of a request, once its session checked out. */
export interface Principal {
  readonly user: User;
  readonly session: Session;
  readonly via: 'bearer' | 'cookie';
  /** The session's expiry moved, so a cookie should be sent again. */
  readonly refreshed: boolean;
}

export interface SignedIn {
  readonly token: string;
  readonly user: User;
  readonly session: Session;
}

/** SHA-256 of a token, hex: the session's key in the store. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The `Set-Cookie` value carrying a session token, or clearing it when `token` is undefined. */
export function sessionCookie(token: string | undefined): string {
  const maxAge = token === undefined ? 0 : Math.floor(SESSION_TTL_MS / 1000);
  return `${SESSION_COOKIE}=${token ?? ''}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
}

/** The value of one cookie of a `Cookie` header (RFC 6265 §5.4), if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token of a request and where it came from: the Authorization header wins over the cookie. */
export function tokenOf(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const m = /^Bearer\s+([A-Za-z0-9_-]{16,128})\s*$/i.exec(request.headers.authorization ?? '');
  if (m) return { token: m[1], via: 'bearer' };
  const c = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (c && /^[A-Za-z0-9_-]{16,128}$/.test(c)) return { token: c, via: 'cookie' };
  return undefined;
}

/** The headers of a WebSocket upgrade that {@link SessionAuth.identifyUpgrade} reads. */
export interface UpgradeHeaders {
  readonly cookie?: string;
  readonly origin?: string;
  readonly host?: string;
}

/** How long {@link SessionAuth.isLive} trusts a positive answer. */
const LIVE_CACHE_MS = 2000;

export class SessionAuth {
  readonly #bySource: FailureThrottle;
  readonly #byAddress: FailureThrottle;
  readonly #retryAfterS: number;
  /** Sessions found live, and until when that answer holds (ms epoch). */
  readonly #liveUntil = new Map<string, number>();
  /** Told the keys of sessions that ended (sign-out, revocation). */
  onEnded: (tokenHashes: readonly string[]) => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly sessions: SessionRepo,
    throttle: SignInThrottleOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    const windowMs = throttle.windowMs ?? 60_000;
    const lockoutMs = throttle.lockoutMs ?? 300_000;
    this.#bySource = new FailureThrottle({ limit: throttle.perSource ?? 20, windowMs, lockoutMs, now });
    this.#byAddress = new FailureThrottle({ limit: throttle.perAddress ?? 10, windowMs, lockoutMs, now });
    this.#retryAfterS = Math.max(1, Math.ceil(lockoutMs / 1000));
  }

  /**
   * Checks the credentials and opens a session.
   * @throws ApiError `too-many-attempts`, `invalid-credentials`
   */
  async signIn(address: string, password: string, from: { ip: string; userAgent?: string }): Promise<SignedIn> {
    const key = address.trim().toLowerCase().replace(/^sips?:/, '');
    if (this.#bySource.isLocked(from.ip) || this.#byAddress.isLocked(key)) throw this.#locked();
    let user: User | undefined;
    try {
      user = await this.store.users.getByAddress(parseAddress(key).address);
    } catch (err) {
      // A malformed address is just another unknown one.
      if (!(err instanceof UserError)) throw err;
    }
    const ok = await verifyPassword(password, user?.credentials.passwordHash ?? null);
    if (!ok || !user || !user.enabled) {
      const locked = [this.#bySource.fail(from.ip), this.#byAddress.fail(key)].some(Boolean);
      if (locked) throw this.#locked();
      throw new ApiError('invalid-credentials', 'wrong address or password');
    }
    this.#bySource.succeed(from.ip);
    this.#byAddress.succeed(key);

    const t = this.now();
    await this.sessions.purgeExpired(t);
    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      tokenHash: hashToken(token),
      userId: user.id,
      address: user.address,
      createdAt: t,
      expiresAt: t + SESSION_TTL_MS,
      lastSeenAt: t,
      userAgent: from.userAgent?.slice(0, 256) ?? null,
      remoteAddress: from.ip,
    };
    await this.sessions.create(session);
    return { token, user, session };
  }

  /**
   * The caller of `request`, from its bearer token or cookie; slides the
   * session's expiry.
   * @throws ApiError `unauthenticated`
   */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const presented = tokenOf(request);
    if (!presented) throw new ApiError('unauthenticated', 'sign in first: POST /api/v1/session');
    const t = this.now();
    const session = await this.sessions.getLive(hashToken(presented.token), t);
    if (!session) throw new ApiError('unauthenticated', 'the session expired or was signed out');
    const user = await this.store.users.getById(session.userId);
    if (!user || !user.enabled) {
      await this.sessions.remove(session.tokenHash);
      throw new ApiError('unauthenticated', 'the session expired or was signed out');
    }
    if (t - session.lastSeenAt < TOUCH_EVERY_MS) return { user, session, via: presented.via, refreshed: false };
    const expiresAt = t + SESSION_TTL_MS;
    await this.sessions.touch(session.tokenHash, t, expiresAt);
    return { user, session: { ...session, lastSeenAt: t, expiresAt }, via: presented.via, refreshed: true };
  }

  /** Ends the session `request` presents, if any. */
  async signOut(request: FastifyRequest): Promise<void> {
    const presented = tokenOf(request);
    if (presented) await this.#ended([hashToken(presented.token)], (h) => this.sessions.remove(h[0]));
  }

  /** Signs `userId` out everywhere, but for the session `except`. Returns how many sessions ended. */
  async revokeUser(userId: string, except?: string): Promise<number> {
    const hashes = await this.sessions.removeUser(userId, except);
    await this.#ended(hashes, async () => undefined);
    return hashes.length;
  }

  async #ended(hashes: readonly string[], remove: (h: readonly string[]) => Promise<unknown>): Promise<void> {
    await remove(hashes);
    for (const h of hashes) this.#liveUntil.delete(h);
    if (hashes.length > 0) this.onEnded(hashes);
  }

  /**
   * The session a SIP WebSocket upgrade presents in its cookie: the user's
   * address and the session's key, `undefined` when there is no live session
   * (the client then authenticates in SIP), `false` when a browser opens it
   * from another site (Origin not this server: cross-site WebSocket
   * hijacking; SameSite=Strict already keeps the cookie off such requests).
   * Counts as a use of the session.
   */
  async identifyUpgrade(headers: UpgradeHeaders): Promise<{ identity: string; credential: string } | undefined | false> {
    const token = readCookie(headers.cookie, SESSION_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{16,128}$/.test(token)) return undefined;
    if (headers.origin !== undefined) {
      let originHost: string;
      try {
        originHost = new URL(headers.origin).host;
      } catch {
        return false;
      }
      if (originHost.toLowerCase() !== (headers.host ?? '').toLowerCase()) return false;
    }
    const tokenHash = hashToken(token);
    const t = this.now();
    const session = await this.sessions.getLive(tokenHash, t);
    if (!session) return undefined;
    const user = await this.store.users.getById(session.userId);
    if (!user || !user.enabled) return undefined;
    if (t - session.lastSeenAt >= TOUCH_EVERY_MS) await this.sessions.touch(tokenHash, t, t + SESSION_TTL_MS);
    this.#liveUntil.set(tokenHash, t + LIVE_CACHE_MS);
    return { identity: user.address, credential: tokenHash };
  }

  /**
   * Whether the session with this key is still live (not signed out,
   * expired or revoked, its user enabled); slides it like an API call.
   * Positive answers are kept for 2 s,
   * so a busy WebSocket costs a store read at most that often; an ended
   * session is seen at once on this front end and within 2 s on the others.
   */
  async isLive(tokenHash: string): Promise<boolean> {
    const t = this.now();
    if ((this.#liveUntil.get(tokenHash) ?? 0) > t) return true;
    this.#liveUntil.delete(tokenHash);
    const session = await this.sessions.getLive(tokenHash, t);
    const user = session && (await this.store.users.getById(session.userId));
    if (!session || !user || !user.enabled) return false;
    // SIP traffic is use of the session, as API calls are: a client left open stays signed in.
    if (t - session.lastSeenAt >= TOUCH_EVERY_MS) await this.sessions.touch(tokenHash, t, t + SESSION_TTL_MS);
    if (this.#liveUntil.size > 100_000) this.#liveUntil.clear();
    this.#liveUntil.set(tokenHash, t + LIVE_CACHE_MS);
    return true;
  }

  #locked(): ApiError {
    return new ApiError('too-many-attempts', 'too many failed sign-ins; try again later', this.#retryAfterS);
  }
}
