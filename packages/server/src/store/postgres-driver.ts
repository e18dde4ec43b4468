/**
 * The pool driver: PostgreSQL through a `pg` Pool, shared by the front ends
 * of an Enterprise pool.
 *
 * int8 (`bigint`, and `count(*)`) is parsed to a JS number for this pool
 * only — pg's global parsers are left alone — so times round-trip as
 * numbers on both drivers. Values beyond 2^53 would lose precision; the
 * store keeps none (ms times until the year 287396, counts).
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { toStoreError, type StoreError } from './errors.js';
import type { Database } from './schema.js';

/** Options of the PostgreSQL driver. */
export interface PostgresStoreOptions {
  readonly driver: 'postgres';
  /** e.g. 'postgres://parley@db.example.com/parley'. */
  readonly connectionString?: string;
  /** Further pool settings (host, user, max, ssl, timeouts, …); override the connection string's. */
  readonly pool?: pg.PoolConfig;
  /**
   * Told of errors of idle pooled connections (e.g. the server restarted).
   * The pool drops such connections and makes new ones on demand.
   */
  readonly onError?: (error: StoreError) => void;
}

const INT8_OID = 20;

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A Kysely instance over a new pool. Connects lazily. */
export function openPostgres(options: PostgresStoreOptions): Kysely<Database> {
  if (options.connectionString === undefined && options.pool === undefined) {
    throw new TypeError('postgres store needs a connectionString or pool options');
  }
  const pool = new pg.Pool({
    connectionTimeoutMillis: 10_000,
    ...(options.connectionString !== undefined ? { connectionString: options.connectionString } : {}),
    ...options.pool,
    types,
  });
  // Without a listener an idle client's error would crash the process.
  pool.on('error', (err) => options.onError?.(toStoreError(err, 'idle PostgreSQL connection')));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
