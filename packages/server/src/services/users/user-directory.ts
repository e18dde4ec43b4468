/**
 * Users as the SIP hot path reads them (digest HA1, enabled, exists): a small
 * cache in front of the store, because every authenticated request and every
 * routed request looks a user up. Entries live `ttlMs` (default 2 s), so a
 * change made by the CLI or the REST API on any front end applies within that
 * time; unknown addresses are cached the same way, which keeps an unknown
 * user exactly as fast to answer as a known one. Bounded; oldest dropped.
 *
 * When the store can tell that nothing changed since an entry was read
 * (`users.changeStamp()`: SQLite, where the only other writers are this
 * process and the CLI), the entry is kept up to `maxAgeMs` (default 60 s)
 * while the stamp stays the same; any write through this process, or a
 * commit by another process, ends that at once (within the stamp's 250 ms
 * poll for another process). PostgreSQL has no stamp: time alone, as above.
 */
import type { Store, User } from '../../store/index.js';

export class UserDirectory {
  private readonly cache = new Map<string, { user: User | undefined; at: number; stamp: number | undefined }>();
  private readonly inflight = new Map<string, Promise<User | undefined>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 2000,
    private readonly max = 100_000,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 60_000,
  ) {}

  async get(address: string): Promise<User | undefined> {
    const hit = this.cache.get(address);
    const t = this.now();
    if (hit) {
      const age = t - hit.at;
      if (age < this.ttlMs) return hit.user;
      if (hit.stamp !== undefined && age < this.maxAgeMs && hit.stamp === this.store.users.changeStamp()) return hit.user;
    }
    // Taken before the read: a write racing with it changes the stamp, and the entry is read again next time.
    const stamp = this.store.users.changeStamp();
    let p = this.inflight.get(address);
    if (!p) {
      p = this.store.users.getByAddress(address).finally(() => this.inflight.delete(address));
      this.inflight.set(address, p);
    }
    const user = await p;
    if (this.cache.size >= this.max && !this.cache.has(address)) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.delete(address);
    this.cache.set(address, { user, at: t, stamp });
    return user;
  }

  /** Forget one address at once (after a change made by this front end). */
  invalidate(address?: string): void {
    if (address === undefined) this.cache.clear();
    else this.cache.delete(address);
  }
}
