/**
 * Digest authentication of SIP requests (RFC 3261 §22, RFC 8760) against the
 * users in the store, with throttling of failures per source and per user.
 *
 * What a peer sees never depends on whether a user exists: an unknown user, a
 * disabled one and a wrong password all get a fresh challenge (then 403 once
 * throttled), after the same store lookup and the same hashing (the digest
 * server hashes against a dummy HA1 for unknown users). This is what keeps
 * `svwar` from finding users.
 *
 * A request may also come over a flow whose peer already proved who it is
 * outside SIP — the web client's WebSocket, opened with a signed-in session
 * (RFC 7118 §7 leaves authentication of WebSocket clients to the
 * application). `assertedIdentity` gives that address; it stands for
 * credentials in its own domain only, and callers still check it against
 * the From (403 otherwise), as for digest.
 */
import { DigestServer, type DigestAlgorithm } from '@parley/sip/digest';
import type { SipRequest } from '@parley/sip';
import type { Store, User } from '../../store/index.js';
import { FailureThrottle } from './throttle.js';

export type AuthKind = 'registrar' | 'proxy';

export interface AuthOptions {
  /** HMAC secret for nonces, shared by every front end of a pool. */
  secret: Buffer;
  algorithms?: DigestAlgorithm[];
  nonceLifetimeMs?: number;
  /** Failures per source address per window before lock-out. */
  perSourceLimit?: number;
  /** Failures per user name per window before lock-out. */
  perUserLimit?: number;
  windowMs?: number;
  lockoutMs?: number;
  now?: () => number;
  /** Called for metrics: failure reason or throttle scope. */
  onFailure?: (reason: string) => void;
  onThrottled?: (scope: 'source' | 'user') => void;
  /** How users are looked up (a cache in front of the store); default the store itself. */
  lookupUser?: (address: string) => Promise<User | undefined>;
  /** The address the request's flow was proven to belong to outside SIP (a live web session), if any. */
  assertedIdentity?: (req: SipRequest) => Promise<string | undefined> | string | undefined;
}

export type AuthOutcome =
  | { ok: true; address: string }
  | { ok: false; status: 401 | 407 | 403; reason?: string; headers: Array<[string, string]> };

export class Authenticator {
  private readonly servers = new Map<string, DigestServer>();
  private readonly bySource: FailureThrottle;
  private readonly byUser: FailureThrottle;

  constructor(
    private readonly store: Store,
    private readonly opts: AuthOptions,
  ) {
    const windowMs = opts.windowMs ?? 60_000;
    const lockoutMs = opts.lockoutMs ?? 60_000;
    this.bySource = new FailureThrottle({ limit: opts.perSourceLimit ?? 30, windowMs, lockoutMs, now: opts.now });
    this.byUser = new FailureThrottle({ limit: opts.perUserLimit ?? 10, windowMs, lockoutMs, now: opts.now });
  }

  private server(realm: string): DigestServer {
    let s = this.servers.get(realm);
    if (!s) {
      s = new DigestServer({
        realm,
        secret: this.opts.secret,
        algorithms: this.opts.algorithms ?? ['SHA-256', 'MD5'],
        lifetimeMs: this.opts.nonceLifetimeMs,
        clock: this.opts.now,
      });
      this.servers.set(realm, s);
    }
    return s;
  }

  /**
   * Authenticate `req` for `realm` (the local domain concerned). `kind` picks
   * 401/WWW-Authenticate (registrar, UAS) or 407/Proxy-Authenticate (proxy).
   */
  async check(req: SipRequest, sourceAddress: string, kind: AuthKind, realm: string): Promise<AuthOutcome> {
    const status = kind === 'registrar' ? 401 : 407;
    const challengeHeader = kind === 'registrar' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const credHeader = kind === 'registrar' ? 'authorization' : 'proxy-authorization';
    const pending = this.opts.assertedIdentity?.(req);
    const asserted = pending instanceof Promise ? await pending : pending;
    if (asserted !== undefined && asserted.slice(asserted.lastIndexOf('@') + 1) === realm) return { ok: true, address: asserted };
    const srcKey = `ip:${sourceAddress}`;
    if (this.bySource.isLocked(srcKey)) {
      this.opts.onThrottled?.('source');
      return { ok: false, status: 403, reason: 'Forbidden (too many failed attempts)', headers: [] };
    }
    const server = this.server(realm);
    const challenge = (stale: boolean): AuthOutcome => ({
      ok: false,
      status,
      headers: server.challenge({ stale }).map((v) => [challengeHeader, v] as [string, string]),
    });
    // Only credentials for this realm are ours (§22.3: several may be present).
    const creds = req.getAll(credHeader).filter((v) => /realm\s*=\s*"?([^",]*)"?/i.exec(v)?.[1]?.toLowerCase() === realm);
    if (creds.length === 0) return challenge(false);
    const username = /username\s*=\s*"([^"]*)"/i.exec(creds[0])?.[1] ?? '';
    const address = username.includes('@') ? username.toLowerCase() : `${username.toLowerCase()}@${realm}`;
    const userKey = `user:${address}`;
    if (this.byUser.isLocked(userKey)) {
      this.opts.onThrottled?.('user');
      return { ok: false, status: 403, reason: 'Forbidden (too many failed attempts)', headers: [] };
    }
    const result = await server.verify({
      credentials: creds,
      method: req.method,
      // The digest-uri is not compared with the Request-URI (RFC 2617 §3.2.2.5
      // says SHOULD): deployed clients and SIPp put the next-hop address there
      // while the Request-URI names the domain. The response still binds the
      // method and that uri, and nonce counts stop replays.
      lookupHa1: async (user, r, algorithm) => {
        const a = user.includes('@') ? user.toLowerCase() : `${user.toLowerCase()}@${r}`;
        const u = await (this.opts.lookupUser ?? ((x: string) => this.store.users.getByAddress(x)))(a);
        if (!u || !u.enabled) return undefined;
        const c = u.credentials;
        return (algorithm === 'MD5' ? c.ha1Md5 : algorithm === 'SHA-256' ? c.ha1Sha256 : c.ha1Sha512_256) ?? undefined;
      },
    });
    if (result.ok) {
      this.bySource.succeed(srcKey);
      this.byUser.succeed(userKey);
      return { ok: true, address };
    }
    if (result.stale) return challenge(true);
    this.opts.onFailure?.(result.reason);
    const lockedSrc = this.bySource.fail(srcKey);
    const lockedUser = this.byUser.fail(userKey);
    if (lockedSrc || lockedUser) {
      this.opts.onThrottled?.(lockedSrc ? 'source' : 'user');
      return { ok: false, status: 403, reason: 'Forbidden (too many failed attempts)', headers: [] };
    }
    return challenge(false);
  }
}
