/**
 * The DNS queries of RFC 3263 with a per-query timeout, error mapping, a TTL
 * cache and coalescing of identical queries in flight.
 *
 * `ENOTFOUND` (NXDOMAIN) and `ENODATA` mean "no such record" and make the
 * locator fall through to its next step (RFC 3263 §4.1, §4.2); they come back
 * as `null`. Every other failure is a {@link LocatorError}.
 */
import { LocatorError, type QueryType } from './errors.js';
import { TtlCache } from './ttl-cache.js';
import type { DnsResolver, IpFamily, NaptrRecord, RecordWithTtl, SrvRecord } from './types.js';

export interface DnsClientOptions {
  /** Milliseconds one query may take. */
  timeout: number;
  /** Cached answers at most; 0 disables the cache. */
  cacheSize: number;
  /** Seconds to keep answers that carry no TTL (node gives none for NAPTR and SRV). */
  defaultTtl: number;
  /** Seconds to remember that a name has no record of a type. */
  negativeTtl: number;
  now: () => number;
}

const FALL_THROUGH = new Set(['ENOTFOUND', 'ENODATA']);

type Answer = readonly unknown[] | null;

export class DnsClient {
  readonly #resolver: DnsResolver;
  readonly #options: DnsClientOptions;
  readonly #cache: TtlCache<Answer>;
  readonly #pending = new Map<string, Promise<Answer>>();

  constructor(resolver: DnsResolver, options: DnsClientOptions) {
    this.#resolver = resolver;
    this.#options = options;
    this.#cache = new TtlCache<Answer>(options.cacheSize, options.now);
  }

  naptr(name: string): Promise<readonly NaptrRecord[] | null> {
    return this.#lookup('NAPTR', name, () => this.#resolver.resolveNaptr(name), () => this.#options.defaultTtl) as
      Promise<readonly NaptrRecord[] | null>;
  }

  srv(name: string): Promise<readonly SrvRecord[] | null> {
    return this.#lookup('SRV', name, () => this.#resolver.resolveSrv(name), () => this.#options.defaultTtl) as
      Promise<readonly SrvRecord[] | null>;
  }

  /** A and/or AAAA records of `name`, queried together, listed in `families` order. */
  async addresses(name: string, families: readonly IpFamily[]): Promise<{ address: string; family: IpFamily }[]> {
    const answers = await Promise.all(families.map((family) => this.#addressRecords(name, family)));
    return answers.flatMap((records, i) => (records ?? []).map((r) => ({ address: r.address, family: families[i] })));
  }

  clear(): void {
    this.#cache.clear();
  }

  #addressRecords(name: string, family: IpFamily): Promise<readonly RecordWithTtl[] | null> {
    const run = family === 4
      ? () => this.#resolver.resolve4(name, { ttl: true })
      : () => this.#resolver.resolve6(name, { ttl: true });
    const ttl = (records: readonly unknown[]) => Math.min(...(records as RecordWithTtl[]).map((r) => r.ttl));
    return this.#lookup(family === 4 ? 'A' : 'AAAA', name, run, ttl) as Promise<readonly RecordWithTtl[] | null>;
  }

  #lookup(
    type: QueryType,
    name: string,
    run: () => Promise<readonly unknown[]>,
    ttlOf: (records: readonly unknown[]) => number,
  ): Promise<Answer> {
    const key = `${type} ${name.toLowerCase()}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const inFlight = this.#pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const answer = this.#query(type, name, run)
      .then((records) => {
        const ttl = records === null ? this.#options.negativeTtl : ttlOf(records);
        this.#cache.set(key, records, ttl * 1000);
        return records;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, answer);
    return answer;
  }

  async #query(type: QueryType, name: string, run: () => Promise<readonly unknown[]>): Promise<Answer> {
    const query = { type, name };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new LocatorError('TIMEOUT', `${type} ${name}: no answer in ${this.#options.timeout} ms`, { query }));
      }, this.#options.timeout);
    });
    try {
      const records = await Promise.race([run(), timeout]);
      return records.length === 0 ? null : records;
    } catch (error) {
      if (error instanceof LocatorError) throw error;
      const dnsCode = (error as { code?: unknown } | null)?.code;
      if (typeof dnsCode === 'string' && FALL_THROUGH.has(dnsCode)) return null;
      const code = dnsCode === 'ETIMEOUT' ? 'TIMEOUT' : 'DNS_FAILURE';
      const detail = typeof dnsCode === 'string' ? dnsCode : String(error);
      throw new LocatorError(code, `${type} ${name}: ${detail}`, {
        query,
        ...(typeof dnsCode === 'string' ? { dnsCode } : {}),
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
