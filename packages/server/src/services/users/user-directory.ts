/**
 * Users as the SIP hot path reads them (digest HA1, enabled, exists): a small
 * cache in front of the store, because every authenticated request and every
 * routed request looks a user up. Entries live `ttlMs` (default 2 s), so a
 * change made by the CLI or the REST API on any front end applies within that
 * time; unknown addresses are cached the same way, which keeps an unknown
 * user exactly as fast to answer as a known one. Bounded; oldest dropped.
 */
import type { Store, User } from '../../store/index.js';

export class UserDirectory {
  private readonly cache = new Map<string, { user: User | undefined; at: number }>();
  private readonly inflight = new Map<string, Promise<User | undefined>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 2000,
    private readonly max = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(address: string): Promise<User | undefined> {
    const hit = this.cache.get(address);
    const t = this.now();
    if (hit && t - hit.at < this.ttlMs) return hit.user;
    let p = this.inflight.get(address);
    if (!p) {
      p = this.store.users.getByAddress(address).finally(() => this.inflight.delete(address));
      this.inflight.set(address, p);
    }
    const user = await p;
    if (this.cache.size >= this.max && !this.cache.has(address)) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.delete(address);
    this.cache.set(address, { user, at: t });
    return user;
  }

  /** Forget one address at once (after a change made by this front end). */
  invalidate(address?: string): void {
    if (address === undefined) this.cache.clear();
    else this.cache.delete(address);
  }
}
