/**
 * The table of settings: for each one its key (its path in the config file
 * and in {@link ParleyConfig}), its command-line flag if it has one, its
 * environment variable, and how a value is checked. Every source goes through
 * this table, so a setting behaves the same wherever it is given.
 *
 * Environment variable names are `PARLEY_` and the key in upper snake case:
 * `registrar.minExpires` → `PARLEY_REGISTRAR_MIN_EXPIRES`.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { LOG_LEVELS, STORE_DRIVERS } from './config.js';

/** How a setting's value is read and checked. */
export type SettingKind =
  | { readonly type: 'path' }
  | { readonly type: 'host' }
  | { readonly type: 'names' }
  | { readonly type: 'port' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'domain' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'bool' }
  | { readonly type: 'postgres-url' };

/** One setting. */
export interface SettingSpec {
  readonly key: string;
  readonly kind: SettingKind;
  /** Long command-line flag, e.g. `--sip-port`; absent for settings only a file or env can give. */
  readonly flag?: string;
  readonly help: string;
}

const PORT: SettingKind = { type: 'port' };
const SECONDS: SettingKind = { type: 'int', min: 1, max: 4294967295 }; // RFC 3261 §20.19: 32-bit
const RATE: SettingKind = { type: 'int', min: 1, max: 1_000_000 };
const PATH: SettingKind = { type: 'path' };

/** Every setting Parley has. */
export const SETTINGS = [
  { key: 'dataDir', kind: PATH, flag: '--data', help: 'folder of the database and TLS material' },
  { key: 'host', kind: { type: 'host' }, flag: '--host', help: 'listen address of every listener' },
  { key: 'publicNames', kind: { type: 'names' }, help: 'host names and IP addresses the server is known by (comma-separated)' },
  { key: 'sipPort', kind: PORT, flag: '--sip-port', help: 'SIP over UDP and TCP' },
  { key: 'sipsPort', kind: PORT, flag: '--sips-port', help: 'SIP over TLS' },
  { key: 'httpsPort', kind: PORT, flag: '--https-port', help: 'HTTPS and SIP over secure WebSocket at /sip' },
  { key: 'defaultDomain', kind: { type: 'domain' }, help: 'SIP domain used when none is named' },
  { key: 'registrar.minExpires', kind: SECONDS, help: 'shortest registration, seconds' },
  { key: 'registrar.maxExpires', kind: SECONDS, help: 'longest registration, seconds' },
  { key: 'registrar.defaultExpires', kind: SECONDS, help: 'registration when none is asked for, seconds' },
  { key: 'presence.inactiveAfterSeconds', kind: SECONDS, help: 'idle this long: Inactive, seconds' },
  { key: 'presence.awayAfterSeconds', kind: SECONDS, help: 'then Inactive this long: Away, seconds' },
  { key: 'security.authFailuresPerSourcePerMinute', kind: RATE, help: 'failed logins per source address per minute' },
  { key: 'security.authFailuresPerUserPerMinute', kind: RATE, help: 'failed logins per user per minute' },
  { key: 'security.lockoutSeconds', kind: SECONDS, help: 'how long a throttled source or user stays blocked' },
  { key: 'security.requestsPerConnectionPerSecond', kind: RATE, help: 'SIP requests per connection per second' },
  {
    key: 'security.digestAlgorithms',
    kind: { type: 'names' },
    help: 'digest algorithms offered, most preferred first: MD5, SHA-256, SHA-512-256 (comma-separated)',
  },
  { key: 'tls.certFile', kind: PATH, help: 'PEM certificate to use instead of the generated one' },
  { key: 'tls.keyFile', kind: PATH, help: 'PEM private key of tls.certFile' },
  { key: 'store.driver', kind: { type: 'enum', values: STORE_DRIVERS }, help: 'sqlite or postgres' },
  { key: 'store.file', kind: PATH, help: 'SQLite database file' },
  { key: 'store.url', kind: { type: 'postgres-url' }, help: 'PostgreSQL connection URL' },
  { key: 'log.level', kind: { type: 'enum', values: LOG_LEVELS }, help: 'log level' },
  { key: 'log.pretty', kind: { type: 'bool' }, help: 'human-readable log lines' },
] as const satisfies readonly SettingSpec[];

/** The key of a setting. */
export type SettingKey = (typeof SETTINGS)[number]['key'];
/** A checked value. */
export type SettingValue = string | number | boolean | readonly string[];
/** What one source says: some settings, checked, paths absolute. */
export type ConfigLayer = Partial<Record<SettingKey, SettingValue>>;

const BY_KEY: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((s) => [s.key, s]));

/** The spec of `key`, or undefined when there is no such setting. */
export function settingSpec(key: string): SettingSpec | undefined {
  return BY_KEY.get(key);
}

/** `registrar.minExpires` → `PARLEY_REGISTRAR_MIN_EXPIRES`. */
export function envName(key: string): string {
  return 'PARLEY_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True for a DNS host name (RFC 1123 §2.1), case-insensitive. */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.toLowerCase().split('.').every((label) => LABEL.test(label));
}

/**
 * Checks and converts one value. `raw` is a string from a flag or the
 * environment (`json` false), or any JSON value from the config file (`json`
 * true: numbers, booleans and lists must then have their JSON types).
 * Relative paths are resolved against `baseDir`.
 * @throws ConfigError `invalid`
 */
export function parseSetting(spec: SettingSpec, raw: unknown, origin: string, baseDir: string, json = false): SettingValue {
  const isText = typeof raw === 'string';
  const fromText = isText && !json;
  const bad = (problem: string): ConfigError =>
    new ConfigError('invalid', origin, `${problem}, got ${JSON.stringify(raw) ?? String(raw)}`);
  const kind = spec.kind;
  switch (kind.type) {
    case 'port':
    case 'int': {
      const [min, max] = kind.type === 'port' ? [0, 65535] : [kind.min, kind.max];
      const what = kind.type === 'port' ? `must be an integer port ${min}–${max}` : `must be an integer ${min}–${max}`;
      const n = fromText ? (/^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(what);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const text = fromText ? raw.trim().toLowerCase() : '';
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off'].includes(text)) return false;
      throw bad('must be true or false');
    }
    case 'enum': {
      const text = isText ? raw.trim().toLowerCase() : undefined;
      if (text === undefined || !kind.values.includes(text)) throw bad(`must be one of ${kind.values.join(', ')}`);
      return text;
    }
    case 'path': {
      if (!isText || raw.trim() === '' || raw.includes('\0')) throw bad('must be a non-empty path');
      const path = raw.trim();
      return path === ':memory:' || isAbsolute(path) ? path : resolve(baseDir, path);
    }
    case 'host': {
      const text = isText ? raw.trim().toLowerCase() : '';
      if (isIP(text) === 0 && !isHostName(text)) throw bad('must be an IP address or host name');
      return text;
    }
    case 'domain': {
      const text = isText ? raw.trim().toLowerCase() : '';
      if (!isHostName(text) || isIP(text) !== 0) throw bad('must be a domain name');
      return text;
    }
    case 'names': {
      const list = fromText ? raw.split(',') : raw;
      if (!Array.isArray(list)) throw bad('must be a list of host names and IP addresses');
      const names: string[] = [];
      for (const item of list as unknown[]) {
        if (typeof item !== 'string') throw bad('must be a list of host names and IP addresses');
        const name = item.trim().toLowerCase();
        if (name === '') continue;
        const host = name.startsWith('*.') ? name.slice(2) : name;
        if (isIP(name) === 0 && !isHostName(host)) {
          throw new ConfigError('invalid', origin, `${JSON.stringify(name)} is not a host name or IP address`);
        }
        if (!names.includes(name)) names.push(name);
      }
      if (names.length === 0) throw bad('must name at least one host name or IP address');
      return names;
    }
    case 'postgres-url': {
      let url: URL | undefined;
      try {
        url = isText ? new URL(raw.trim()) : undefined;
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
        // Never echo the value: it may hold a password.
        throw new ConfigError('invalid', origin, 'must be a postgres:// or postgresql:// URL');
      }
      return url.href;
    }
  }
}
