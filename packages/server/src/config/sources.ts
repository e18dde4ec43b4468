/**
 * Reading settings from each source into a {@link ConfigLayer}: the config
 * file (nested JSON), the command line, and `PARLEY_*` environment variables.
 * Pure functions: the caller reads files and passes `process.env`.
 */
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { SETTINGS, envName, parseSetting, settingSpec, type ConfigLayer, type SettingKey } from './settings.js';

/** A source's settings, and the config file it points at, if any. */
export interface SourceResult {
  readonly layer: ConfigLayer;
  /** Absolute path of the config file named by `--config` or `PARLEY_CONFIG`. */
  readonly configFile?: string;
}

/** The flag that names the config file. */
export const CONFIG_FILE_FLAG = '--config';
/** The environment variable that names the config file. */
export const CONFIG_FILE_ENV = 'PARLEY_CONFIG';

/** A command-line flag that feeds the configuration, for a CLI (commander) to declare. */
export interface ConfigFlag {
  /** e.g. `--sip-port`. */
  readonly flag: string;
  /** The property commander gives it: `--sip-port` → `sipPort`. */
  readonly property: string;
  readonly help: string;
}

function camel(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Every configuration flag, `--config` first. Each takes one value. */
export const CONFIG_FLAGS: readonly ConfigFlag[] = [
  { flag: CONFIG_FILE_FLAG, property: 'config', help: 'JSON config file (default DATA/parley.json if present)' },
  ...SETTINGS.flatMap((s) => ('flag' in s ? [{ flag: s.flag, property: camel(s.flag), help: s.help }] : [])),
];

/**
 * Settings from flags a CLI already parsed (commander's `opts()`: property
 * names as in {@link CONFIG_FLAGS}, string values). Other properties are ignored.
 * @throws ConfigError `invalid`
 */
export function fromFlags(flags: Readonly<Record<string, unknown>>, cwd: string): SourceResult {
  const layer: ConfigLayer = {};
  let configFile: string | undefined;
  for (const { flag, property } of CONFIG_FLAGS) {
    const raw = flags[property];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw new ConfigError('invalid', flag, 'needs a value');
    if (flag === CONFIG_FILE_FLAG) {
      configFile = parseSetting({ key: 'config', kind: { type: 'path' }, help: '' }, raw, flag, cwd) as string;
      continue;
    }
    const spec = SETTINGS.find((s) => 'flag' in s && s.flag === flag);
    if (spec) layer[spec.key] = parseSetting(spec, raw, flag, cwd);
  }
  return configFile === undefined ? { layer } : { layer, configFile };
}

/**
 * Settings from a raw argument list (`process.argv.slice(2)`), for a server
 * started without a CLI framework. `--flag value` and `--flag=value` both work.
 * @throws ConfigError `unknown-setting` for an unknown flag or a stray argument, `invalid`
 */
export function fromArgv(argv: readonly string[], cwd: string): SourceResult {
  const options = Object.fromEntries(CONFIG_FLAGS.map((f) => [f.flag.slice(2), { type: 'string' as const }]));
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError('unknown-setting', 'command line', message, { cause: err });
  }
  const flags: Record<string, unknown> = {};
  for (const f of CONFIG_FLAGS) flags[f.property] = values[f.flag.slice(2)];
  return fromFlags(flags, cwd);
}

/**
 * Settings from `PARLEY_*` variables (see {@link envName}). Empty variables
 * count as unset.
 * @throws ConfigError `invalid`
 */
export function fromEnv(env: Readonly<Record<string, string | undefined>>, cwd: string): SourceResult {
  const layer: ConfigLayer = {};
  for (const spec of SETTINGS) {
    const name = envName(spec.key);
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') layer[spec.key] = parseSetting(spec, raw, name, cwd);
  }
  const file = env[CONFIG_FILE_ENV];
  if (file !== undefined && file.trim() !== '') {
    const configFile = parseSetting({ key: 'config', kind: { type: 'path' }, help: '' }, file, CONFIG_FILE_ENV, cwd);
    return { layer, configFile: configFile as string };
  }
  return { layer };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Settings from the text of a JSON config file. Keys nest as in
 * {@link ParleyConfig} (`{"registrar": {"minExpires": 120}}`); relative paths
 * are relative to the file's folder; a key Parley does not know is an error,
 * so a typo does not silently leave a default in place. A top-level
 * `"$schema"` key is allowed.
 * @throws ConfigError `unreadable-file`, `unknown-setting`, `invalid`
 */
export function fromFileText(text: string, filePath: string): SourceResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError('unreadable-file', filePath, `not valid JSON (${why})`, { cause: err });
  }
  if (!isPlainObject(json)) throw new ConfigError('unreadable-file', filePath, 'must hold a JSON object');
  const layer: ConfigLayer = {};
  const baseDir = dirname(filePath);
  const walk = (object: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(object)) {
      if (prefix === '' && name === '$schema') continue;
      const key = prefix + name;
      const origin = `${filePath}: ${key}`;
      const spec = settingSpec(key);
      if (spec) {
        layer[spec.key as SettingKey] = parseSetting(spec, value, origin, baseDir, true);
      } else if (isPlainObject(value) && SETTINGS.some((s) => s.key.startsWith(key + '.'))) {
        walk(value, key + '.');
      } else {
        throw new ConfigError('unknown-setting', origin, 'no such setting');
      }
    }
  };
  walk(json, '');
  return { layer };
}
