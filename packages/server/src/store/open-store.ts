/**
 * Opens the store on the driver the composition root chose (DESIGN §3: only
 * the composition root chooses drivers) and hands out its repositories.
 *
 * ```
 * const store = await openStore({ driver: 'sqlite', file: 'data/parley.db' });
 * await store.domains.add('example.com');
 * await store.close();
 * ```
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from './columns.js';
import { ConfigRepo } from './config-repo.js';
import { SqliteGroupCommit, type GroupWriter } from './group-commit.js';
import { DomainRepo } from './domain-repo.js';
import { toStoreError } from './errors.js';
import { migrateToLatest, migrationStatus, type MigrationReport, type MigrationState } from './migrate.js';
import { openPostgres, type PostgresStoreOptions } from './postgres-driver.js';
import { RegistrationRepo } from './registration-repo.js';
import type { Database } from './schema.js';
import { openSqlite, type Checkpointer, type SqliteStoreOptions } from './sqlite-driver.js';
import { UserRepo } from './user-repo.js';

/** Options every driver takes. */
export interface CommonStoreOptions {
  /** Run pending migrations on open. Default true. */
  readonly migrate?: boolean;
  /** The clock of the repositories (ms epoch). Default Date.now. */
  readonly now?: Clock;
}

/** Which database, and how. */
export type StoreOptions = (SqliteStoreOptions | PostgresStoreOptions) & CommonStoreOptions;

/** The driver a store runs on. */
export type StoreDriver = 'sqlite' | 'postgres';

/** The open store: the Kysely instance and the repositories over it. */
export interface Store {
  readonly driver: StoreDriver;
  /** For queries no repository offers yet; keep them portable. */
  readonly db: Kysely<Database>;
  readonly domains: DomainRepo;
  readonly users: UserRepo;
  readonly registrations: RegistrationRepo;
  readonly config: ConfigRepo;
  /**
   * SQLite only (undefined on PostgreSQL): writes of one event-loop turn in
   * one transaction, resolved after its commit (`group-commit.ts`). The hot
   * writers (bindings, IM messages) use it and keep a portable Kysely path
   * for PostgreSQL.
   */
  readonly groupWriter: GroupWriter | undefined;
  /** True once {@link close} was called. */
  readonly closed: boolean;
  /** Applies pending migrations. @throws StoreError `unavailable` */
  migrate(): Promise<MigrationReport>;
  /** Every known migration and when it ran. */
  migrationStatus(): Promise<readonly MigrationState[]>;
  /**
   * Closes the file or the pool. Idempotent: later calls return the same
   * promise. Operations after close fail with StoreError `unavailable`.
   */
  close(): Promise<void>;
}

/**
 * Opens the store, checks the database answers and (unless
 * `migrate: false`) brings the schema up to date.
 * @throws StoreError `unavailable` when the database cannot be opened or
 *   reached, or a migration fails; TypeError for bad options.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) throw new TypeError('openStore needs options');
  let db: Kysely<Database>;
  let writer: SqliteGroupCommit | undefined;
  let checkpointer: Checkpointer | undefined;
  switch (options.driver) {
    case 'sqlite': {
      const handles = openSqlite(options);
      db = handles.db;
      writer = new SqliteGroupCommit(handles.raw, handles.db, handles.writes);
      checkpointer = handles.checkpointer;
      break;
    }
    case 'postgres':
      db = openPostgres(options);
      break;
    default:
      throw new TypeError(`unknown store driver: ${String((options as { driver?: unknown }).driver)}`);
  }
  const store = new KyselyStore(options.driver, db, options.now ?? Date.now, writer, checkpointer);
  try {
    await sql`select 1`.execute(db).catch((err: unknown) => {
      throw toStoreError(err, `cannot reach the ${options.driver} database`);
    });
    if (options.migrate !== false) await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

class KyselyStore implements Store {
  readonly driver: StoreDriver;
  readonly db: Kysely<Database>;
  readonly domains: DomainRepo;
  readonly users: UserRepo;
  readonly registrations: RegistrationRepo;
  readonly config: ConfigRepo;
  readonly groupWriter: SqliteGroupCommit | undefined;
  readonly #checkpointer: Checkpointer | undefined;
  #closing: Promise<void> | undefined;

  constructor(driver: StoreDriver, db: Kysely<Database>, now: Clock, writer?: SqliteGroupCommit, checkpointer?: Checkpointer) {
    this.#checkpointer = checkpointer;
    this.driver = driver;
    this.db = db;
    this.groupWriter = writer;
    this.domains = new DomainRepo(db, now);
    this.users = new UserRepo(db, now, writer);
    this.registrations = new RegistrationRepo(db, now, writer);
    this.config = new ConfigRepo(db, now);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  migrate(): Promise<MigrationReport> {
    return migrateToLatest(this.db);
  }

  migrationStatus(): Promise<readonly MigrationState[]> {
    return migrationStatus(this.db);
  }

  close(): Promise<void> {
    // Queued group writes land (and their callers hear so) before the file closes.
    this.#closing ??= (this.groupWriter?.close() ?? Promise.resolve())
      .then(() => this.#checkpointer?.stop())
      .then(() => this.db.destroy())
      .catch((err: unknown) => {
        throw toStoreError(err, 'close store');
      });
    return this.#closing;
  }
}
