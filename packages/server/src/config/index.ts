/**
 * Server configuration: its type, its defaults, and loading it from a JSON
 * file, command-line flags and `PARLEY_*` environment variables (in that
 * order of precedence, lowest first), with one-line {@link ConfigError}s.
 *
 * ```
 * const config = loadConfig({ argv: process.argv.slice(2) });
 * ```
 *
 * Needs nothing of Parley. SIP over secure WebSocket is served on
 * `httpsPort` at path `/sip`.
 */
export { loadConfig, resolveConfig, DEFAULT_CONFIG_FILE } from './load.js';
export type { LoadConfigOptions } from './load.js';
export { fromArgv, fromEnv, fromFileText, fromFlags, CONFIG_FLAGS, CONFIG_FILE_FLAG, CONFIG_FILE_ENV } from './sources.js';
export type { ConfigFlag, SourceResult } from './sources.js';
export { SETTINGS, envName, isHostName, parseSetting, settingSpec } from './settings.js';
export type { ConfigLayer, SettingKey, SettingKind, SettingSpec, SettingValue } from './settings.js';
export { DEFAULTS, LOG_LEVELS, STORE_DRIVERS, NODE_HOST, DIGEST_ALGORITHM_NAMES, defaultPublicNames, dedupeNames } from './config.js';
export type {
  HostFacts,
  LogConfig,
  LogLevel,
  ParleyConfig,
  DigestAlgorithmName,
  RegistrarLimits,
  SecurityLimits,
  StoreConfig,
  TlsFiles,
} from './config.js';
export { ConfigError, CONFIG_ERROR_CODES } from './errors.js';
export type { ConfigErrorCode } from './errors.js';
