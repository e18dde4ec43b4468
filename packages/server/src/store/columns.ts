/**
 * Conversions between JS values and the portable column forms of
 * `schema.ts`, shared by the repositories.
 */

/** Milliseconds since the epoch; repositories take one so tests can set time. */
export type Clock = () => number;

/** A flag as written: 0 or 1 (see `schema.ts`). */
export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

/** A flag as read: SQLite gives 0/1, PostgreSQL false/true. */
export function fromFlag(value: number | boolean): boolean {
  return value === true || value === 1;
}

/**
 * An integer column as a JS number. PostgreSQL int8 is parsed to a number by
 * the driver's type parser; this also accepts the string or bigint forms in
 * case a value arrives through another path (e.g. an aggregate).
 */
export function toNumber(value: number | string | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** Checks that `value` is a safe integer; used for times and counters. */
export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
