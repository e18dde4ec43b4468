/**
 * The embedded driver of Standard Edition: one SQLite file through
 * better-sqlite3.
 *
 * - `journal_mode=WAL`: readers do not block the writer; other processes
 *   (the `parley` CLI) may open the file while the server runs.
 * - `synchronous=NORMAL`: with WAL, a commit survives a crash of the
 *   process; only a power loss can drop the last commits.
 * - `foreign_keys=ON`: SQLite leaves references unchecked otherwise.
 * - `busy_timeout`: another process's write lock is waited for, not failed.
 *
 * Kysely's SQLite driver runs one query at a time on one connection and
 * holds it for a whole transaction, so writers in this process never race.
 * Transactions begin IMMEDIATE: they take the write lock at BEGIN, waiting
 * up to busy_timeout for another process, instead of failing with
 * SQLITE_BUSY when a read turns into a write after another process wrote.
 *
 * One process should open a file once: better-sqlite3 is synchronous, so a
 * second connection in the same process waiting for the first one's lock
 * would block the event loop the first one needs to finish.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { toStoreError } from './errors.js';
import type { Database } from './schema.js';

/** Options of the SQLite driver. */
export interface SqliteStoreOptions {
  readonly driver: 'sqlite';
  /** Path of the database file (its folder is created), or ':memory:'. */
  readonly file: string;
  /** How long to wait for another process's lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens the file and returns a Kysely instance over it.
 * @throws StoreError `unavailable` when the file cannot be opened.
 */
export function openSqlite(options: SqliteStoreOptions): Kysely<Database> {
  if (typeof options.file !== 'string' || options.file.length === 0) {
    throw new TypeError('sqlite store needs a file');
  }
  const busy = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busy) || busy < 0) throw new TypeError('busyTimeoutMs must be a non-negative integer');
  let database: SqliteDatabase.Database;
  try {
    if (options.file !== ':memory:') mkdirSync(dirname(resolve(options.file)), { recursive: true });
    database = new SqliteDatabase(options.file);
  } catch (err) {
    throw toStoreError(err, `cannot open ${options.file}`);
  }
  try {
    database.pragma(`busy_timeout = ${busy}`);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw toStoreError(err, `cannot set up ${options.file}`);
  }
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }) });
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than
 * running a small query (a third of a REGISTER's store time in a profile).
 * better-sqlite3 statements are reusable and the API is synchronous, so one
 * cached statement per SQL text is safe. Bounded: the SQL texts are the
 * repositories' own, but `IN (…)` lists vary, so the cache drops its oldest.
 */
function withStatementCache(db: SqliteDatabase.Database, max = 500): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = db.prepare.bind(db);
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (sql: string) => {
          let st = cache.get(sql);
          if (st === undefined) {
            st = prepare(sql);
            if (cache.size >= max) cache.delete(cache.keys().next().value as string);
            cache.set(sql, st);
          }
          return st;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Kysely's SQLite driver with `BEGIN IMMEDIATE` transactions. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
