/**
 * The shape of the server configuration and its defaults.
 *
 * A {@link ParleyConfig} is what the composition root starts the front end
 * with; it is always complete and validated (see `load.ts`). Paths in it are
 * absolute.
 *
 * Listeners (Standard Edition defaults, as a Lync front end exposes them):
 *
 * | setting     | default | what listens                                         |
 * | ----------- | ------- | ---------------------------------------------------- |
 * | `sipPort`   | 5060    | SIP over UDP and TCP (RFC 3261 §18)                   |
 * | `sipsPort`  | 5061    | SIP over TLS                                          |
 * | `httpsPort` | 8443    | HTTPS (API, web client, /metrics, /healthz) and SIP over secure WebSocket (RFC 7118) at path `/sip` |
 *
 * Port 0 means "any free port" (tests).
 */
import { hostname as osHostname, networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';

/** pino's level names, most verbose first, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The database drivers the store offers. */
export const STORE_DRIVERS = ['sqlite', 'postgres'] as const;

/** Which database the store opens. */
export type StoreConfig =
  | { readonly driver: 'sqlite'; /** Database file, or ':memory:'. Default `DATA/parley.db`. */ readonly file: string }
  | { readonly driver: 'postgres'; /** e.g. `postgres://parley@db/parley`. */ readonly url: string };

/** REGISTER expiry bounds (RFC 3261 §10.2.8 and §10.3 step 7), seconds. */
export interface RegistrarLimits {
  /** Shorter requested expiries get 423 Interval Too Brief with Min-Expires. */
  readonly minExpires: number;
  /** Longer requested expiries are shortened to this. */
  readonly maxExpires: number;
  /** Used when the request names no expiry. */
  readonly defaultExpires: number;
}

/** When a signed-in user who stopped using their device turns Inactive, then Away (the original: 5 + 5 minutes). */
export interface PresencePolicy {
  /** Idle this long (RPID user-input idle, RFC 4480 §3.13) → Inactive, seconds. */
  readonly inactiveAfterSeconds: number;
  /** Inactive this much longer → Away, seconds. */
  readonly awayAfterSeconds: number;
}

/** Brute-force and flood limits. */
export interface SecurityLimits {
  /** Failed digest authentications one source address may make per minute before it is throttled. */
  readonly authFailuresPerSourcePerMinute: number;
  /** Failed digest authentications against one user per minute before the user is locked out. */
  readonly authFailuresPerUserPerMinute: number;
  /** How long a throttled source or locked-out user stays blocked, seconds. */
  readonly lockoutSeconds: number;
  /** SIP requests one connection (or UDP source) may send per second before requests are refused. */
  readonly requestsPerConnectionPerSecond: number;
  /**
   * Digest algorithms challenged with, most preferred first (RFC 8760 §2.4:
   * one challenge per algorithm; a UAC uses the first it supports). The
   * default is MD5 alone, as in Kamailio and Asterisk: deployed clients break
   * on several challenges — SIPp 3.6 answers only the first and knows only
   * MD5, baresip 1.0 (libre) fails the whole REGISTER with ENOSYS on a
   * SHA-256 challenge. Where every client handles RFC 8760, use
   * ["SHA-256", "MD5"].
   */
  readonly digestAlgorithms: readonly DigestAlgorithmName[];
}

/** A certificate chosen by the administrator instead of the generated one. */
export interface TlsFiles {
  /** PEM certificate (chain) file. */
  readonly certFile: string;
  /** PEM private key file. */
  readonly keyFile: string;
}

/** Logging. */
export interface LogConfig {
  readonly level: LogLevel;
  /** Human-readable lines instead of JSON (for a terminal). */
  readonly pretty: boolean;
}

/** The complete, validated server configuration. */
export type DigestAlgorithmName = 'MD5' | 'SHA-256' | 'SHA-512-256';
export const DIGEST_ALGORITHM_NAMES: readonly DigestAlgorithmName[] = ['MD5', 'SHA-256', 'SHA-512-256'];

export interface ParleyConfig {
  /** Folder of everything the server keeps (database, TLS material); absolute. */
  readonly dataDir: string;
  /** Listen address of every listener: an IP address, or `0.0.0.0` / `::` for all. */
  readonly host: string;
  /** Host names and IP addresses clients reach this server by; they go into the certificate. */
  readonly publicNames: readonly string[];
  readonly sipPort: number;
  readonly sipsPort: number;
  readonly httpsPort: number;
  /** The SIP domain used when a request or command names none. */
  readonly defaultDomain: string;
  readonly registrar: RegistrarLimits;
  readonly security: SecurityLimits;
  readonly presence: PresencePolicy;
  /** Administrator's certificate; `undefined` makes the server issue its own from a private CA. */
  readonly tls: TlsFiles | undefined;
  readonly store: StoreConfig;
  readonly log: LogConfig;
}

/** What the defaults depend on in the host; injectable so tests are pure. */
export interface HostFacts {
  hostname(): string;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** The real host. */
export const NODE_HOST: HostFacts = { hostname: osHostname, networkInterfaces: osNetworkInterfaces };

/**
 * The names a server is known by when none are configured: its host name,
 * `localhost`, `127.0.0.1` and every non-internal IPv4 address.
 */
export function defaultPublicNames(host: HostFacts = NODE_HOST): string[] {
  const names = [host.hostname(), 'localhost', '127.0.0.1'];
  for (const list of Object.values(host.networkInterfaces())) {
    for (const info of list ?? []) {
      // Node 18.0–18.3 reported family as a number.
      const family: unknown = info.family;
      if (!info.internal && (family === 'IPv4' || family === 4)) names.push(info.address);
    }
  }
  return dedupeNames(names);
}

/** Lower-cases, drops empties and duplicates, keeps the first occurrence's order. */
export function dedupeNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    if (name !== '') seen.add(name);
  }
  return [...seen];
}

/** Defaults of the scalar settings; the derived ones are filled in by `load.ts`. */
export const DEFAULTS = Object.freeze({
  dataDir: './data',
  host: '0.0.0.0',
  sipPort: 5060,
  sipsPort: 5061,
  httpsPort: 8443,
  defaultDomain: 'parley.local',
  registrar: Object.freeze({ minExpires: 60, maxExpires: 7200, defaultExpires: 3600 }),
  presence: Object.freeze({ inactiveAfterSeconds: 300, awayAfterSeconds: 300 }),
  security: Object.freeze({
    authFailuresPerSourcePerMinute: 20,
    authFailuresPerUserPerMinute: 10,
    lockoutSeconds: 300,
    requestsPerConnectionPerSecond: 500,
    digestAlgorithms: ['MD5'] as readonly DigestAlgorithmName[],
  }),
  storeDriver: 'sqlite' as const,
  /** Relative to `dataDir`. */
  sqliteFile: 'parley.db',
  log: Object.freeze({ level: 'info' as LogLevel, pretty: false }),
});
