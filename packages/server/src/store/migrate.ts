/**
 * Runs the store's migrations with Kysely's Migrator and a static provider.
 *
 * Kysely keeps the applied versions in `kysely_migration` and serialises
 * concurrent runs (a lock row; on PostgreSQL an advisory lock), so several
 * front ends of a pool may start at once. Each migration runs in a
 * transaction on both SQLite and PostgreSQL (both have transactional DDL).
 */
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { StoreError } from './errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

/** The state of one migration. */
export interface MigrationState {
  readonly name: string;
  /** When it was applied (ms epoch), or undefined while pending. */
  readonly executedAt: number | undefined;
}

/** What a migration run did. */
export interface MigrationReport {
  /** Names applied by this run, in order; empty when already up to date. */
  readonly applied: readonly string[];
}

const provider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider });
}

/** Names of all migrations this build knows, in order. */
export function knownMigrations(): readonly string[] {
  return Object.keys(migrations).sort();
}

/**
 * Brings the database to the latest schema.
 * @throws StoreError `unavailable` when a migration fails (it is rolled back)
 *   or when the database holds migrations this build does not know (a newer
 *   Parley wrote it).
 */
/**
 * Kysely's migration lock is a no-op on SQLite, so two processes opening a
 * fresh file at once (the server and a CLI command) can both decide that a
 * migration is pending; the loser's CREATE then fails on what the winner just
 * committed. Each migration runs in its own transaction, so the loser changed
 * nothing: reading the migration table again and retrying is safe, and ends
 * as soon as the winner is done.
 */
const RETRIES = 5;

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  let result;
  for (let attempt = 0; ; attempt++) {
    try {
      result = await migrator(db).migrateToLatest();
    } catch (err) {
      throw new StoreError('unavailable', `migration failed: ${message(err)}`, { cause: err });
    }
    if (result.error === undefined || attempt >= RETRIES || !/already exists/i.test(message(result.error))) break;
    await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const what = failed ? `migration ${failed} failed` : 'migration failed';
    throw new StoreError('unavailable', `${what}: ${message(result.error)}`, { cause: result.error });
  }
  return { applied };
}

/** Every known migration with when it ran. */
export async function migrationStatus(db: Kysely<Database>): Promise<readonly MigrationState[]> {
  try {
    const infos = await migrator(db).getMigrations();
    return infos.map((m) => ({ name: m.name, executedAt: m.executedAt?.getTime() }));
  } catch (err) {
    throw new StoreError('unavailable', `cannot read migration state: ${message(err)}`, { cause: err });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
