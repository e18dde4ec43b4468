/**
 * The store's one error catalogue.
 *
 * Every failure a caller of the store can act on leaves the store as a
 * {@link StoreError} with a stable {@link StoreErrorCode}; driver errors
 * (better-sqlite3 `SqliteError`, pg `DatabaseError`, socket errors) are
 * translated by {@link toStoreError} and kept as `cause`. Services map these
 * codes to SIP and HTTP status codes in their own tables, e.g. `not-found` →
 * 404, `conflict` → 409, `invalid` → 400, `unavailable` → 503 / SIP 500 with
 * Retry-After.
 *
 * Misuse of the API by a programmer (wrong argument types) is a `TypeError`,
 * as elsewhere in Parley.
 */

/** What went wrong, in terms a caller can handle. */
export type StoreErrorCode = 'not-found' | 'conflict' | 'invalid' | 'unavailable';

/** Every code with what it means; documentation and tests read this table. */
export const STORE_ERROR_CODES: Readonly<Record<StoreErrorCode, string>> = Object.freeze({
  'not-found': 'the row the operation targets does not exist',
  conflict:
    'the operation clashes with existing rows: a unique key is taken, or other rows still depend on this one',
  invalid: 'the input is malformed or breaks a rule of the schema (format, range, check, reference)',
  unavailable:
    'the database cannot be reached or used right now (closed store, connection lost, busy, failed migration); retrying later may succeed',
});

/** A failure of the store with a stable code. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  /** Stable code; see {@link STORE_ERROR_CODES}. */
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True when `err` is a StoreError, optionally of the given code. */
  static is(err: unknown, code?: StoreErrorCode): err is StoreError {
    return err instanceof StoreError && (code === undefined || err.code === code);
  }
}

/** SQLite extended result codes (better-sqlite3 `SqliteError.code`) by store code. */
const SQLITE_CODES: ReadonlyArray<[RegExp, StoreErrorCode]> = [
  [/^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/, 'conflict'],
  [/^SQLITE_CONSTRAINT_FOREIGNKEY$/, 'conflict'],
  [/^SQLITE_CONSTRAINT/, 'invalid'],
  [/^SQLITE_(MISMATCH|RANGE|TOOBIG)/, 'invalid'],
  [/^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL|NOLFS|PERM|AUTH)/, 'unavailable'],
];

/**
 * PostgreSQL SQLSTATE classes and codes by store code (PostgreSQL manual,
 * Appendix A). The first match wins.
 */
const PG_CODES: ReadonlyArray<[RegExp, StoreErrorCode]> = [
  [/^23505$/, 'conflict'], // unique_violation
  [/^23503$/, 'conflict'], // foreign_key_violation
  [/^23/, 'invalid'], // other integrity constraint violations: not null, check
  [/^22/, 'invalid'], // data exception: bad text representation, out of range
  [/^(08|53|57|58|40|55P03|3D)/, 'unavailable'], // connection, resources, shutdown, I/O, rollback, lock, no database
];

/** Node socket errors that mean the database cannot be reached. */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // unix socket path missing
]);

/**
 * Translates anything thrown by a driver into a {@link StoreError}.
 * StoreErrors pass through unchanged; unknown errors become `unavailable`,
 * since the store cannot tell the caller anything better about them.
 */
export function toStoreError(err: unknown, context?: string): StoreError {
  if (err instanceof StoreError) return err;
  const prefix = context ? `${context}: ` : '';
  const message = err instanceof Error ? err.message : String(err);
  const code = classify(err);
  return new StoreError(code, `${prefix}${message}`, { cause: err });
}

function classify(err: unknown): StoreErrorCode {
  if (typeof err !== 'object' || err === null) return 'unavailable';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_')) return match(SQLITE_CODES, code) ?? 'unavailable';
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const pg = match(PG_CODES, code);
      if (pg) return pg;
    }
    if (NET_CODES.has(code)) return 'unavailable';
  }
  // Everything else — lost connections ("Connection terminated"), a destroyed
  // driver, a missing table — means the store cannot serve the request.
  return 'unavailable';
}

function match(table: ReadonlyArray<[RegExp, StoreErrorCode]>, code: string): StoreErrorCode | undefined {
  for (const [re, out] of table) if (re.test(code)) return out;
  return undefined;
}

/** Runs `fn`, translating whatever it throws into a {@link StoreError}. */
export async function guard<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, context);
  }
}

/** Runs a store operation; anything it throws becomes a {@link StoreError} naming `context`. */
export async function guardStore<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, context);
  }
}

/** A number column as a number: PostgreSQL's BIGINT comes back as a string, SQLite's may be a bigint. */
export const dbNumber = (v: number | string | bigint): number => (typeof v === 'number' ? v : Number(v));
