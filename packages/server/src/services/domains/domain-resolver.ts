/**
 * Which domain a SIP host part belongs to (issue: Standard Edition): a host
 * that is one of the server's own names or addresses belongs to the default
 * domain; a configured domain to itself; anything else is foreign (403 until
 * federation exists). The domain list is read from the store and refreshed
 * every few seconds, so `parley domain add` applies to a running server.
 */
import type { Store } from '../../store/index.js';

export type DomainMatch = { kind: 'local'; domain: string } | { kind: 'foreign'; host: string };

export class DomainResolver {
  private domains = new Set<string>();
  private defaultDomain: string | undefined;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly ownNames: Set<string>;

  constructor(
    private readonly store: Store,
    ownNames: Iterable<string>,
    private readonly refreshMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.ownNames = new Set([...ownNames].map((n) => n.toLowerCase().replace(/^\[|\]$/g, '')));
  }

  /** Load (or reload) the domain list now. */
  async refresh(): Promise<void> {
    const list = await this.store.domains.list();
    this.domains = new Set(list.map((d) => d.name));
    this.defaultDomain = list.find((d) => d.isDefault)?.name ?? list[0]?.name;
    this.loadedAt = this.now();
  }

  private async fresh(): Promise<void> {
    if (this.now() - this.loadedAt < this.refreshMs) return;
    this.loading ??= this.refresh().finally(() => (this.loading = undefined));
    await this.loading;
  }

  /** Resolve a host part (from a URI) to a local domain or foreign. */
  async resolve(host: string): Promise<DomainMatch> {
    await this.fresh();
    return this.resolveCached(host);
  }

  /** Same as {@link resolve} on the last loaded list (no I/O): the hot path. */
  resolveCached(host: string): DomainMatch {
    const h = host.toLowerCase().replace(/^\[|\]$/g, '');
    if (this.domains.has(h)) return { kind: 'local', domain: h };
    if (this.ownNames.has(h) && this.defaultDomain) return { kind: 'local', domain: this.defaultDomain };
    return { kind: 'foreign', host: h };
  }

  get default(): string | undefined {
    return this.defaultDomain;
  }

  isOwnName(host: string): boolean {
    const h = host.toLowerCase().replace(/^\[|\]$/g, '');
    return this.ownNames.has(h) || this.domains.has(h);
  }

  /** Start refreshing in the background (the timer does not keep the process alive). */
  startRefresh(): () => void {
    const t = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    t.unref();
    return () => clearInterval(t);
  }
}
