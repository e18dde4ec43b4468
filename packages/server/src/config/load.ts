/**
 * Putting the sources together. Later sources win:
 *
 * ```
 * defaults  ←  config file  ←  command-line flags  ←  PARLEY_* environment
 * ```
 *
 * The config file is the one `PARLEY_CONFIG` or `--config` names (it must
 * exist), else `DATA/parley.json` when that exists, where DATA is the data
 * folder the flags or environment give (default `./data`).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULTS,
  DIGEST_ALGORITHM_NAMES,
  NODE_HOST,
  defaultPublicNames,
  type DigestAlgorithmName,
  type HostFacts,
  type LogLevel,
  type ParleyConfig,
  type StoreConfig,
} from './config.js';
import { ConfigError } from './errors.js';
import type { ConfigLayer, SettingKey, SettingValue } from './settings.js';
import { fromArgv, fromEnv, fromFileText, fromFlags, type SourceResult } from './sources.js';

/** Name of the config file looked for in the data folder. */
export const DEFAULT_CONFIG_FILE = 'parley.json';

/** Where {@link loadConfig} reads from; every field has a real-process default. */
export interface LoadConfigOptions {
  /** Raw arguments (`process.argv.slice(2)`); ignored when `flags` is given. Default none. */
  readonly argv?: readonly string[];
  /** Flags a CLI already parsed (see `CONFIG_FLAGS`). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths from flags and env. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Default the real host. */
  readonly host?: HostFacts;
  /** Reads a file as UTF-8; throws like `fs.readFileSync` (ENOENT when missing). */
  readonly readFile?: (path: string) => string;
}

/**
 * Reads every source and returns the validated configuration.
 * @throws ConfigError
 */
export function loadConfig(options: LoadConfigOptions = {}): ParleyConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const cli: SourceResult = options.flags ? fromFlags(options.flags, cwd) : fromArgv(options.argv ?? [], cwd);
  const fromEnvironment = fromEnv(env, cwd);

  const named = fromEnvironment.configFile ?? cli.configFile;
  const dataDir = (fromEnvironment.layer.dataDir ?? cli.layer.dataDir ?? resolve(cwd, DEFAULTS.dataDir)) as string;
  const path = named ?? join(dataDir, DEFAULT_CONFIG_FILE);
  let file: ConfigLayer = {};
  let text: string | undefined;
  try {
    text = readFile(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (named !== undefined || !missing) {
      const why = missing ? 'file not found' : `cannot read (${(err as Error).message})`;
      throw new ConfigError('unreadable-file', path, why, { cause: err });
    }
  }
  if (text !== undefined) file = fromFileText(text, path).layer;
  return resolveConfig([file, cli.layer, fromEnvironment.layer], { cwd, host: options.host ?? NODE_HOST });
}

/**
 * Merges layers (lowest precedence first) over the defaults, fills in the
 * derived defaults and checks the settings against each other. Pure.
 * @throws ConfigError `conflict`
 */
export function resolveConfig(
  layers: readonly ConfigLayer[],
  context: { readonly cwd: string; readonly host?: HostFacts },
): ParleyConfig {
  const merged: ConfigLayer = Object.assign({}, ...layers);
  const get = <T extends SettingValue>(key: SettingKey, fallback: T): T => (merged[key] as T | undefined) ?? fallback;
  const num = (key: SettingKey, fallback: number): number => get<number>(key, fallback);

  const dataDir = get<string>('dataDir', resolve(context.cwd, DEFAULTS.dataDir));
  const registrar = {
    minExpires: num('registrar.minExpires', DEFAULTS.registrar.minExpires),
    maxExpires: num('registrar.maxExpires', DEFAULTS.registrar.maxExpires),
    defaultExpires: num('registrar.defaultExpires', DEFAULTS.registrar.defaultExpires),
  };
  if (!(registrar.minExpires <= registrar.defaultExpires && registrar.defaultExpires <= registrar.maxExpires)) {
    throw new ConfigError(
      'conflict',
      'registrar',
      `need minExpires ≤ defaultExpires ≤ maxExpires, got ${registrar.minExpires} ≤ ${registrar.defaultExpires} ≤ ${registrar.maxExpires}`,
    );
  }

  const ports = {
    sipPort: num('sipPort', DEFAULTS.sipPort),
    sipsPort: num('sipsPort', DEFAULTS.sipsPort),
    httpsPort: num('httpsPort', DEFAULTS.httpsPort),
  };
  // All three listen on TCP at the same address, so they must differ (0 = any free port).
  const entries = Object.entries(ports);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      if (entries[i][1] !== 0 && entries[i][1] === entries[j][1]) {
        throw new ConfigError('conflict', entries[j][0], `port ${entries[j][1]} is also ${entries[i][0]}`);
      }
    }
  }

  const certFile = merged['tls.certFile'] as string | undefined;
  const keyFile = merged['tls.keyFile'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('conflict', 'tls', 'give both certFile and keyFile, or neither');
  }

  return Object.freeze({
    dataDir,
    host: get<string>('host', DEFAULTS.host),
    publicNames: Object.freeze([...get<readonly string[]>('publicNames', defaultPublicNames(context.host))]),
    ...ports,
    defaultDomain: get<string>('defaultDomain', DEFAULTS.defaultDomain),
    registrar: Object.freeze(registrar),
    presence: Object.freeze({
      inactiveAfterSeconds: num('presence.inactiveAfterSeconds', DEFAULTS.presence.inactiveAfterSeconds),
      awayAfterSeconds: num('presence.awayAfterSeconds', DEFAULTS.presence.awayAfterSeconds),
    }),
    security: Object.freeze({
      authFailuresPerSourcePerMinute: num(
        'security.authFailuresPerSourcePerMinute',
        DEFAULTS.security.authFailuresPerSourcePerMinute,
      ),
      authFailuresPerUserPerMinute: num('security.authFailuresPerUserPerMinute', DEFAULTS.security.authFailuresPerUserPerMinute),
      lockoutSeconds: num('security.lockoutSeconds', DEFAULTS.security.lockoutSeconds),
      requestsPerConnectionPerSecond: num(
        'security.requestsPerConnectionPerSecond',
        DEFAULTS.security.requestsPerConnectionPerSecond,
      ),
      digestAlgorithms: Object.freeze(digestAlgorithms(merged['security.digestAlgorithms'] as readonly string[] | undefined)),
    }),
    tls: certFile !== undefined && keyFile !== undefined ? Object.freeze({ certFile, keyFile }) : undefined,
    store: storeConfig(merged, dataDir),
    log: Object.freeze({
      level: get<string>('log.level', DEFAULTS.log.level) as LogLevel,
      pretty: get<boolean>('log.pretty', DEFAULTS.log.pretty),
    }),
  });
}

function storeConfig(merged: ConfigLayer, dataDir: string): StoreConfig {
  const driver = (merged['store.driver'] as string | undefined) ?? DEFAULTS.storeDriver;
  const file = merged['store.file'] as string | undefined;
  const url = merged['store.url'] as string | undefined;
  if (driver === 'postgres') {
    if (file !== undefined) throw new ConfigError('conflict', 'store.file', 'is only for the sqlite driver');
    if (url === undefined) throw new ConfigError('conflict', 'store.url', 'the postgres driver needs a URL');
    return Object.freeze({ driver: 'postgres', url });
  }
  if (url !== undefined) throw new ConfigError('conflict', 'store.url', 'is only for the postgres driver');
  return Object.freeze({ driver: 'sqlite', file: file ?? join(dataDir, DEFAULTS.sqliteFile) });
}

/** Checks and spells the configured digest algorithms (case-insensitive names). */
function digestAlgorithms(names: readonly string[] | undefined): DigestAlgorithmName[] {
  if (names === undefined) return [...DEFAULTS.security.digestAlgorithms];
  const out: DigestAlgorithmName[] = [];
  for (const n of names) {
    const a = DIGEST_ALGORITHM_NAMES.find((x) => x.toLowerCase() === n.toLowerCase());
    if (!a) throw new ConfigError('invalid', 'security.digestAlgorithms', `unknown digest algorithm "${n}" (use ${DIGEST_ALGORITHM_NAMES.join(', ')})`);
    if (!out.includes(a)) out.push(a);
  }
  if (out.length === 0) throw new ConfigError('invalid', 'security.digestAlgorithms', 'at least one algorithm is needed');
  return out;
}
