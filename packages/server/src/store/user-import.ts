/**
 * Bulk creation of users in one transaction, for CSV import
 * (the original's bulk `Enable-CsUser`).
 *
 * Every row is checked and every failing row is reported with its index, not
 * only the first. By default the import is all-or-nothing: one bad row and
 * nothing is written. With `partial`, the good rows are committed.
 *
 * Rows go in as multi-row inserts of {@link CHUNK} under a savepoint; a chunk
 * that fails anyway (a concurrent writer took an address) is retried row by
 * row, each under its own savepoint, so the transaction survives the failed
 * statement on PostgreSQL too.
 */
import { randomUUID } from 'node:crypto';
import type { ControlledTransaction, Insertable, Kysely } from 'kysely';
import type { Clock } from './columns.js';
import { StoreError, toStoreError } from './errors.js';
import type { Database, UsersTable } from './schema.js';
import { newUserRow, toUser, type NewUser, type User } from './user-record.js';

/** Rows per insert statement: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/** One row that could not be created. */
export interface ImportRowError {
  /** Index of the row in the input. */
  readonly index: number;
  /** The address as given. */
  readonly address: string;
  readonly error: StoreError;
}

/** What a bulk import did. */
export interface ImportResult {
  /** True when the transaction committed (always so when there were no errors). */
  readonly committed: boolean;
  /** Users created, in input order; empty when not committed. */
  readonly created: User[];
  readonly errors: ImportRowError[];
}

export interface ImportOptions {
  /** Commit the good rows even when some fail. Default false: all or nothing. */
  readonly partial?: boolean;
}

type Pending = { index: number; row: Insertable<UsersTable> };

export async function importUsers(
  db: Kysely<Database>,
  inputs: readonly NewUser[],
  now: Clock,
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (!Array.isArray(inputs)) throw new TypeError('inputs must be an array');
  const errors: ImportRowError[] = [];
  const fail = (index: number, error: StoreError) =>
    errors.push({ index, address: String(inputs[index]?.address ?? ''), error });

  // 1. Check each row and find duplicates within the batch.
  const at = now();
  const pending: Pending[] = [];
  const seen = new Map<string, number>();
  inputs.forEach((input, index) => {
    try {
      const row = newUserRow(input, randomUUID(), at);
      const first = seen.get(row.address);
      if (first !== undefined) throw new StoreError('conflict', `${row.address} appears twice (row ${first})`);
      seen.set(row.address, index);
      pending.push({ index, row });
    } catch (err) {
      if (err instanceof TypeError) fail(index, new StoreError('invalid', err.message, { cause: err }));
      else fail(index, toStoreError(err));
    }
  });

  let trx: ControlledTransaction<Database>;
  try {
    trx = await db.startTransaction().execute();
  } catch (err) {
    throw toStoreError(err, 'import users');
  }
  try {
    // 2. Against the database: domains must exist, addresses must be free.
    const ready = await checkAgainstDatabase(trx, pending, fail);
    // 3. Insert.
    const created: User[] = [];
    for (let i = 0; i < ready.length; i += CHUNK) {
      await insertChunk(trx, ready.slice(i, i + CHUNK), created, fail);
    }
    errors.sort((a, b) => a.index - b.index);
    if (errors.length > 0 && options.partial !== true) {
      await trx.rollback().execute();
      return { committed: false, created: [], errors };
    }
    await trx.commit().execute();
    created.sort((a, b) => (seen.get(a.address) ?? 0) - (seen.get(b.address) ?? 0));
    return { committed: true, created, errors };
  } catch (err) {
    await trx.rollback().execute().catch(() => undefined);
    throw toStoreError(err, 'import users');
  }
}

async function checkAgainstDatabase(
  trx: ControlledTransaction<Database>,
  pending: Pending[],
  fail: (index: number, error: StoreError) => void,
): Promise<Pending[]> {
  const domains = [...new Set(pending.map((p) => p.row.domain))];
  const known = new Set<string>();
  for (let i = 0; i < domains.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('domains')
      .select('name')
      .where('name', 'in', domains.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) known.add(r.name);
  }
  const taken = new Set<string>();
  for (let i = 0; i < pending.length; i += CHUNK) {
    const addresses = pending.slice(i, i + CHUNK).map((p) => p.row.address);
    const rows = await trx.selectFrom('users').select('address').where('address', 'in', addresses).execute();
    for (const r of rows) taken.add(r.address);
  }
  return pending.filter(({ index, row }) => {
    if (!known.has(row.domain)) fail(index, new StoreError('invalid', `no domain ${row.domain}`));
    else if (taken.has(row.address)) fail(index, new StoreError('conflict', `${row.address} exists`));
    else return true;
    return false;
  });
}

async function insertChunk(
  trx: ControlledTransaction<Database>,
  chunk: Pending[],
  created: User[],
  fail: (index: number, error: StoreError) => void,
): Promise<void> {
  if (chunk.length === 0) return;
  const sp = await trx.savepoint('chunk').execute();
  try {
    const rows = await sp
      .insertInto('users')
      .values(chunk.map((p) => p.row))
      .returningAll()
      .execute();
    await sp.releaseSavepoint('chunk').execute();
    created.push(...rows.map(toUser));
    return;
  } catch {
    await sp.rollbackToSavepoint('chunk').execute();
    await sp.releaseSavepoint('chunk').execute();
  }
  // Some row clashed with a concurrent writer: find which, one at a time.
  for (const { index, row } of chunk) {
    const one = await trx.savepoint('row').execute();
    try {
      const inserted = await one.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
      await one.releaseSavepoint('row').execute();
      created.push(toUser(inserted));
    } catch (err) {
      await one.rollbackToSavepoint('row').execute();
      await one.releaseSavepoint('row').execute();
      fail(index, toStoreError(err, `import ${row.address}`));
    }
  }
}
