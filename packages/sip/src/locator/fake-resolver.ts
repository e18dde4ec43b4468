/**
 * Test support, not exported from `index.ts`: an in-memory DNS implementing
 * {@link DnsResolver}, the wire of this module. It answers like node's
 * resolver: `ENOTFOUND` for a name it does not hold, `ENODATA` for a name it
 * holds without records of the type asked.
 */
import type { DnsResolver, NaptrRecord, RecordWithTtl, SrvRecord } from './types.js';

export interface FakeZone {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  /** Addresses, with a TTL of 300 s unless given as records. */
  a?: Record<string, (string | RecordWithTtl)[]>;
  aaaa?: Record<string, (string | RecordWithTtl)[]>;
  /** `"TYPE name"` → error code to reject with, e.g. `"SRV _sip._udp.x": "ESERVFAIL"`. */
  errors?: Record<string, string>;
  /** `"TYPE name"` of queries that never answer. */
  hang?: string[];
}

export class FakeResolver implements DnsResolver {
  /** Every query made, as `"TYPE name"`. */
  readonly calls: string[] = [];
  readonly #zone: FakeZone;

  constructor(zone: FakeZone) {
    this.#zone = zone;
  }

  resolveNaptr(name: string): Promise<NaptrRecord[]> {
    return this.#answer('NAPTR', name, this.#zone.naptr);
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.#answer('SRV', name, this.#zone.srv);
  }

  resolve4(name: string, _options: { ttl: true }): Promise<RecordWithTtl[]> {
    return this.#answer('A', name, withTtl(this.#zone.a));
  }

  resolve6(name: string, _options: { ttl: true }): Promise<RecordWithTtl[]> {
    return this.#answer('AAAA', name, withTtl(this.#zone.aaaa));
  }

  #answer<T>(type: string, name: string, table: Record<string, T[]> | undefined): Promise<T[]> {
    const key = `${type} ${name}`;
    this.calls.push(key);
    if (this.#zone.hang?.includes(key)) return new Promise<T[]>(() => {});
    const code = this.#zone.errors?.[key];
    if (code !== undefined) return Promise.reject(dnsError(code, type, name));
    const records = table?.[name];
    if (records !== undefined) return Promise.resolve(records.map((r) => ({ ...r })));
    return Promise.reject(dnsError(this.#holds(name) ? 'ENODATA' : 'ENOTFOUND', type, name));
  }

  #holds(name: string): boolean {
    const { naptr, srv, a, aaaa } = this.#zone;
    return [naptr, srv, a, aaaa].some((table) => table !== undefined && name in table);
  }
}

function withTtl(table: Record<string, (string | RecordWithTtl)[]> | undefined) {
  if (table === undefined) return undefined;
  return Object.fromEntries(Object.entries(table).map(([name, list]) =>
    [name, list.map((r) => (typeof r === 'string' ? { address: r, ttl: 300 } : r))]));
}

function dnsError(code: string, type: string, name: string): Error {
  return Object.assign(new Error(`query${type} ${code} ${name}`), { code, hostname: name });
}

/** A seeded uniform [0, 1) source (mulberry32), for RFC 2782 weighting in tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** NAPTR record as RFC 3263 §4.1 publishes them. */
export function naptr(order: number, preference: number, service: string, replacement: string,
  flags = 's', regexp = ''): NaptrRecord {
  return { order, preference, flags, service, regexp, replacement };
}

export function srv(priority: number, weight: number, port: number, name: string): SrvRecord {
  return { priority, weight, port, name };
}
