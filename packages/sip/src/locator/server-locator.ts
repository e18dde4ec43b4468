/**
 * RFC 3263 "Locating SIP Servers": from a URI's host, port, transport and
 * scheme to an ordered list of (transport, address, port) next hops.
 *
 * ```
 *   numeric host ──────────────────────────────► that address          §4.1, §4.2
 *   explicit port ─────────────────────► A/AAAA at that port            §4.2
 *   explicit transport ──────► SRV of it ──┐
 *   otherwise: NAPTR ──(none)──► SRV per   ├─(none)─► A/AAAA, default   §4.1, §4.2
 *        │               supported transport│          transport & port
 *        └─(records)──► SRV of replacements ┘
 *   SRV records ──► RFC 2782 order ──► A/AAAA of each target            §4.3
 * ```
 */
import { promises as dnsPromises } from 'node:dns';
import { DnsClient } from './dns-client.js';
import { LocatorError } from './errors.js';
import { parseIpLiteral, stripBrackets } from './ip-literal.js';
import { selectNaptrRecords, srvName, type SrvPlan } from './naptr.js';
import { isServiceRefused, orderSrvRecords, type RandomSource } from './srv-order.js';
import { parseViaTransport, type ResponseVia } from './response-target.js';
import {
  DEFAULT_PORTS, TRANSPORTS, isSecureTransport,
  type DnsResolver, type IpFamily, type LocateTarget, type SipTarget, type Transport,
} from './types.js';

export interface ServerLocatorOptions {
  /** DNS to use; default a `node:dns/promises` `Resolver` built with `timeout` and `tries`. */
  resolver?: DnsResolver;
  /** Milliseconds one DNS query may take before failing with `TIMEOUT`; default 2000. */
  timeout?: number;
  /** Tries per name server, for the default resolver only; default 2. */
  tries?: number;
  /**
   * Transports this client supports, in the order it prefers them when there
   * is no NAPTR record to choose (RFC 3263 §4.1); default `['tls', 'tcp', 'udp']`.
   */
  transports?: readonly Transport[];
  /** Address families to query, in order of preference; default `[4, 6]`. */
  families?: readonly IpFamily[];
  /** Most targets returned; default 16. */
  maxTargets?: number;
  /** Cached DNS answers at most; 0 disables the cache; default 512. */
  cacheSize?: number;
  /** Seconds to cache NAPTR and SRV answers, for which node gives no TTL; default 60. */
  defaultTtl?: number;
  /** Seconds to cache "no such record"; default 30. */
  negativeTtl?: number;
  /** Ports used when neither URI nor SRV gives one; default {@link DEFAULT_PORTS}. */
  defaultPorts?: Partial<Record<Transport, number>>;
  /** Uniform [0, 1) source for RFC 2782 weighting; default `Math.random`. */
  random?: RandomSource;
  /** Millisecond clock for the cache; default `Date.now`. */
  now?: () => number;
}

export class ServerLocator {
  readonly #dns: DnsClient;
  readonly #transports: readonly Transport[];
  readonly #families: readonly IpFamily[];
  readonly #maxTargets: number;
  readonly #ports: Readonly<Record<Transport, number>>;
  readonly #random: RandomSource;

  constructor(options: ServerLocatorOptions = {}) {
    const timeout = positive(options.timeout ?? 2000, 'timeout');
    const tries = positive(options.tries ?? 2, 'tries');
    this.#transports = options.transports ?? ['tls', 'tcp', 'udp'];
    for (const t of this.#transports) if (!TRANSPORTS.includes(t)) throw new TypeError(`unknown transport ${t}`);
    this.#families = options.families ?? [4, 6];
    if (this.#families.length === 0 || this.#families.some((f) => f !== 4 && f !== 6)) {
      throw new TypeError('families must list 4 and/or 6');
    }
    this.#maxTargets = positive(options.maxTargets ?? 16, 'maxTargets');
    this.#ports = { ...DEFAULT_PORTS, ...options.defaultPorts };
    this.#random = options.random ?? Math.random;
    const resolver = options.resolver
      ?? new dnsPromises.Resolver({ timeout: Math.max(1, Math.ceil(timeout / tries)), tries });
    this.#dns = new DnsClient(resolver, {
      timeout,
      cacheSize: options.cacheSize ?? 512,
      defaultTtl: options.defaultTtl ?? 60,
      negativeTtl: options.negativeTtl ?? 30,
      now: options.now ?? Date.now,
    });
  }

  /**
   * The next hops for a request to `target`, in the order to try them
   * (RFC 3263 §4). Rejects with {@link LocatorError} `NOT_FOUND` when DNS
   * yields no address, and with `TIMEOUT`, `DNS_FAILURE` or
   * `UNSUPPORTED_TRANSPORT` as its catalogue says; with `TypeError` for a
   * malformed target.
   */
  async locate(target: LocateTarget): Promise<SipTarget[]> {
    checkTarget(target);
    const transport = target.transport === undefined ? undefined : this.#explicitTransport(target.transport, target.secure);
    return this.#resolve(target, transport);
  }

  /**
   * RFC 3263 §5: where to send a response when the primary destination of
   * {@link locateResponseTarget} failed, or when it named a domain. The Via
   * transport is used as if explicit; sent-by's port, if any, skips SRV.
   */
  async locateResponseFallback(via: ResponseVia): Promise<SipTarget[]> {
    const transport = parseViaTransport(via.transport);
    const target: LocateTarget = { host: via.host, secure: isSecureTransport(transport) };
    if (via.port !== undefined) target.port = via.port;
    checkTarget(target);
    return this.#resolve(target, transport);
  }

  /** Forgets every cached DNS answer. */
  clearCache(): void {
    this.#dns.clear();
  }

  async #resolve(target: LocateTarget, explicit: Transport | undefined): Promise<SipTarget[]> {
    const name = stripBrackets(target.maddr ?? target.host);
    const ip = parseIpLiteral(name);
    if (ip !== null) {
      // §4.1: numeric TARGET: UDP for SIP, TLS over TCP for SIPS; §4.2: port or default.
      const transport = explicit ?? this.#defaultTransport(target.secure);
      return [{ transport, address: ip.address, port: target.port ?? this.#ports[transport], family: ip.family }];
    }
    const serverName = name.replace(/\.$/, '').toLowerCase();
    const targets = new TargetList(this.#maxTargets, serverName);
    if (target.port !== undefined) {
      // §4.1 and §4.2: explicit port, no NAPTR or SRV; A/AAAA only.
      await this.#addHost(targets, name, target.port, explicit ?? this.#defaultTransport(target.secure));
      return targets.result(name);
    }
    const plans: (SrvPlan & { fromNaptr?: true })[] = explicit !== undefined
      ? [{ transport: explicit, srvName: srvName(explicit, name) }]
      : await this.#naptrPlans(name, target.secure) ?? this.#srvPlans(name, target.secure);
    const answers = await Promise.all(plans.map((plan) => this.#dns.srv(plan.srvName)));
    let anySrv = false;
    for (const [i, records] of answers.entries()) {
      if (records === null) continue;
      anySrv = true;
      if (isServiceRefused(records)) continue;
      await this.#addSrv(targets, orderSrvRecords(records, this.#random), plans[i].transport);
      if (targets.full) break;
    }
    if (!anySrv) {
      // §4.2: no SRV: A/AAAA of TARGET with the transport chosen so far, default port.
      const transport = explicit ?? (plans[0]?.fromNaptr === true ? plans[0].transport : undefined)
        ?? this.#defaultTransport(target.secure);
      await this.#addHost(targets, name, this.#ports[transport], transport);
    }
    return targets.result(name);
  }

  /** §4.1: NAPTR records to follow, or `null` when there are none usable. */
  async #naptrPlans(name: string, secure: boolean): Promise<(SrvPlan & { fromNaptr: true })[] | null> {
    const records = await this.#dns.naptr(name);
    if (records === null) return null;
    const plans = selectNaptrRecords(records, { secure, supported: this.#transports });
    return plans.length === 0 ? null : plans.map((plan) => ({ ...plan, fromNaptr: true as const }));
  }

  /** §4.1: without NAPTR, one SRV query per supported transport (SIPS: TLS ones only). */
  #srvPlans(name: string, secure: boolean): (SrvPlan & { fromNaptr?: true })[] {
    return this.#transports
      .filter((t) => !secure || isSecureTransport(t))
      .map((transport) => ({ transport, srvName: srvName(transport, name) }));
  }

  async #addSrv(targets: TargetList, records: readonly { name: string; port: number }[], transport: Transport) {
    // Resolve a batch at a time so that the bound stops further queries.
    let next = 0;
    while (next < records.length && !targets.full) {
      const batch = records.slice(next, next + targets.room);
      next += batch.length;
      const found = await Promise.all(batch.map((r) => this.#hostAddresses(r.name)));
      found.forEach((addresses, i) => {
        for (const a of addresses) targets.add({ transport, ...a, port: batch[i].port });
      });
    }
  }

  async #addHost(targets: TargetList, host: string, port: number, transport: Transport): Promise<void> {
    for (const a of await this.#hostAddresses(host)) targets.add({ transport, ...a, port });
  }

  async #hostAddresses(host: string): Promise<{ address: string; family: IpFamily }[]> {
    const ip = parseIpLiteral(host);
    if (ip !== null) return [ip];
    return this.#dns.addresses(host, this.#families);
  }

  #explicitTransport(transport: Transport, secure: boolean): Transport {
    if (!TRANSPORTS.includes(transport)) {
      throw new LocatorError('UNSUPPORTED_TRANSPORT', `unknown transport ${String(transport)}`);
    }
    // RFC 3261 §26.2.2: a SIPS URI's transport=tcp means TLS over TCP; likewise WS means WSS.
    const chosen = secure ? ({ tcp: 'tls', ws: 'wss' } as Partial<Record<Transport, Transport>>)[transport] ?? transport
      : transport;
    if (secure && !isSecureTransport(chosen)) {
      throw new LocatorError('UNSUPPORTED_TRANSPORT', `a SIPS URI cannot use transport ${transport}`);
    }
    if (!this.#transports.includes(chosen)) {
      throw new LocatorError('UNSUPPORTED_TRANSPORT', `transport ${chosen} is not supported by this client`);
    }
    return chosen;
  }

  /** §4.1: UDP for SIP, TLS for SIPS; else the first supported transport allowed. */
  #defaultTransport(secure: boolean): Transport {
    const preferred: Transport = secure ? 'tls' : 'udp';
    if (this.#transports.includes(preferred)) return preferred;
    const fallback = secure
      ? this.#transports.find(isSecureTransport)
      : (['tcp', 'sctp', 'tls', 'ws', 'wss'] as const).find((t) => this.#transports.includes(t));
    if (fallback === undefined) throw new LocatorError('UNSUPPORTED_TRANSPORT', 'no supported transport for a SIPS URI');
    return fallback;
  }
}

/** Ordered, deduplicated, bounded list of targets. */
class TargetList {
  readonly #items: SipTarget[] = [];
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #serverName: string;

  constructor(max: number, serverName: string) {
    this.#max = max;
    this.#serverName = serverName;
  }

  get full(): boolean {
    return this.#items.length >= this.#max;
  }

  get room(): number {
    return this.#max - this.#items.length;
  }

  add(target: SipTarget): void {
    const key = `${target.transport} ${target.address} ${target.port}`;
    if (this.full || this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#items.push(isSecureTransport(target.transport) ? { ...target, serverName: this.#serverName } : target);
  }

  result(name: string): SipTarget[] {
    if (this.#items.length === 0) throw new LocatorError('NOT_FOUND', `no SIP server found for ${name}`);
    return this.#items;
  }
}

function checkTarget(target: LocateTarget): void {
  if (typeof target?.host !== 'string' || target.host === '') throw new TypeError('target.host must be a non-empty string');
  if (target.maddr !== undefined && (typeof target.maddr !== 'string' || target.maddr === '')) {
    throw new TypeError('target.maddr must be a non-empty string');
  }
  if (target.port !== undefined && (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)) {
    throw new TypeError('target.port must be an integer in 1..65535');
  }
  if (typeof target.secure !== 'boolean') throw new TypeError('target.secure must be a boolean');
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
