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
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { toStoreError } from './errors.js';
import type { Database } from './schema.js';

/** Options of the SQLite driver. */
export interface SqliteStoreOptions {
  readonly driver: 'sqlite';
  /** Path of the database file (its folder is created), or ':memory:'. */
  readonly file: string;
  /** How long to wait for another process's lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * WAL checkpoints in a worker thread every `checkpointIntervalMs` (default
   * 1000) instead of inside the commit that fills the WAL (`checkpointer.ts`).
   * For the server; short-lived users (the CLI, tests) keep SQLite's
   * automatic checkpoint. Default false.
   */
  readonly backgroundCheckpoint?: boolean;
  readonly checkpointIntervalMs?: number;
}

/** The background checkpointer of an open file. */
export interface Checkpointer {
  /** Stops the worker (it closes its connection); resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
}

/** The Kysely instance over the file, and the better-sqlite3 handle under it (for the group commit). */
export interface SqliteHandles {
  readonly db: Kysely<Database>;
  readonly raw: SqliteDatabase.Database;
  /** Counts the writes made through Kysely (see {@link KyselyWriteCounter}). */
  readonly writes: KyselyWriteCounter;
  /** Present with `backgroundCheckpoint`. */
  readonly checkpointer?: Checkpointer;
}

/**
 * Counts every query through Kysely that is not a SELECT, before it runs:
 * what this process changes outside the group commit (users, domains,
 * config…). Caches of such rows compare the count to know they are current.
 * (A read cannot slip between a write and its commit: Kysely's one SQLite
 * connection is held for a whole transaction, and the group writer's direct
 * reads are refused while a transaction is open.)
 */
export class KyselyWriteCounter implements KyselyPlugin {
  count = 0;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind !== 'SelectQueryNode') this.count++;
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/**
 * Opens the file and returns a Kysely instance over it.
 * @throws StoreError `unavailable` when the file cannot be opened.
 */
export function openSqlite(options: SqliteStoreOptions): SqliteHandles {
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
  const writes = new KyselyWriteCounter();
  const checkpointer =
    options.backgroundCheckpoint === true && options.file !== ':memory:'
      ? startCheckpointer(database, resolve(options.file), options.checkpointIntervalMs ?? 1000, busy)
      : undefined;
  return {
    db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }), plugins: [writes] }),
    raw: database,
    writes,
    ...(checkpointer ? { checkpointer } : {}),
  };
}

/**
 * Turns the automatic checkpoint off and starts `checkpointer.js`. If the
 * worker fails or exits early, the automatic checkpoint comes back, so the
 * WAL never grows without bound.
 */
function startCheckpointer(db: SqliteDatabase.Database, file: string, intervalMs: number, busyTimeoutMs: number): Checkpointer {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new TypeError('checkpointIntervalMs must be a positive integer');
  db.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  const fallBack = (): void => {
    if (!stopping && db.open) db.pragma('wal_autocheckpoint = 1000');
  };
  let worker: Worker;
  try {
    worker = new Worker(new URL('./checkpointer.js', import.meta.url), { workerData: { file, intervalMs, busyTimeoutMs } });
  } catch {
    fallBack();
    return { stop: () => Promise.resolve() };
  }
  worker.unref();
  worker.on('error', fallBack);
  let exited = new Promise<void>((res) => worker.once('exit', () => res()));
  worker.once('exit', fallBack);
  return {
    stop() {
      if (!stopping) {
        stopping = true;
        worker.postMessage('stop');
        const timer = setTimeout(() => void worker.terminate(), 2000);
        exited = exited.finally(() => clearTimeout(timer));
      }
      return exited;
    },
  };
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
