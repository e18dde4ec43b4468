/**
 * The configuration's one error type.
 *
 * A bad setting stops the server before it binds a socket, so the message is
 * one line that names where the value came from (a flag, an environment
 * variable, a key of the config file) and what is wrong with it, e.g.
 * `--sip-port: must be an integer port 0–65535, got "70000"`.
 */

/** What kind of problem a {@link ConfigError} reports. */
export type ConfigErrorCode = 'invalid' | 'unknown-setting' | 'unreadable-file' | 'conflict';

/** Every code with what it means; documentation and tests read this table. */
export const CONFIG_ERROR_CODES: Readonly<Record<ConfigErrorCode, string>> = Object.freeze({
  invalid: 'a value has the wrong type or is out of range',
  'unknown-setting': 'the config file or command line names a setting Parley does not have (often a typo)',
  'unreadable-file': 'the config file cannot be read or is not a JSON object',
  conflict: 'settings that are each valid contradict each other (two listeners on one port, min above max)',
});

/** A setting that cannot be used, with where it came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Stable code; see {@link CONFIG_ERROR_CODES}. */
  readonly code: ConfigErrorCode;
  /** Where the value came from: `--sip-port`, `PARLEY_SIP_PORT`, `/etc/parley.json: sipPort`, or a setting path. */
  readonly origin: string;

  constructor(code: ConfigErrorCode, origin: string, problem: string, options?: { cause?: unknown }) {
    super(`${origin}: ${problem}`, options);
    this.code = code;
    this.origin = origin;
  }

  /** True when `err` is a ConfigError, optionally of the given code. */
  static is(err: unknown, code?: ConfigErrorCode): err is ConfigError {
    return err instanceof ConfigError && (code === undefined || err.code === code);
  }
}
