/**
 * Users (the original's `Enable-CsUser`, `Get-CsUser`, `Set-CsUser`,
 * `Disable-CsUser`). Lookups return undefined for an unknown user, which is
 * routine for a registrar; changes to an unknown user throw `not-found`.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, type Updateable } from 'kysely';
import { normalizeAddress, normalizeDomain } from './address.js';
import { toFlag, toNumber, type Clock } from './columns.js';
import { guard, StoreError, toStoreError } from './errors.js';
import type { GroupWriter } from './group-commit.js';
import type { Database, UsersTable } from './schema.js';
import { importUsers, type ImportOptions, type ImportResult } from './user-import.js';
import {
  checkPhone,
  checkRole,
  credentialColumns,
  newUserRow,
  optionalText,
  toUser,
  type NewUser,
  type User,
  type UserCredentials,
  type UserPatch,
} from './user-record.js';

/** Which users {@link UserRepo.list} and {@link UserRepo.count} see. */
export interface UserFilter {
  /** Case-insensitive substring of address, display name or phone. */
  readonly search?: string;
  readonly domain?: string;
  readonly enabled?: boolean;
  readonly role?: 'user' | 'admin';
}

/** A page of {@link UserRepo.list}, ordered by address. */
export interface UserPage extends UserFilter {
  /** Default 100, at most {@link MAX_PAGE}. */
  readonly limit?: number;
  readonly offset?: number;
}

export const MAX_PAGE = 10_000;

export class UserRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Clock;
  /** SQLite: lookups by address run as one prepared statement, without Kysely (the SIP hot path). */
  readonly #writer: GroupWriter | undefined;

  constructor(db: Kysely<Database>, now: Clock = Date.now, writer?: GroupWriter) {
    this.#db = db;
    this.#now = now;
    this.#writer = writer;
  }

  /**
   * Creates a user in an existing domain.
   * @throws StoreError `invalid` (bad field, unknown domain), `conflict` (address taken).
   */
  async create(input: NewUser): Promise<User> {
    const row = newUserRow(input, randomUUID(), this.#now());
    return guard(`create user ${row.address}`, async () => {
      const domain = await this.#db.selectFrom('domains').select('name').where('name', '=', row.domain).executeTakeFirst();
      if (!domain) throw new StoreError('invalid', `no domain ${row.domain}`);
      const inserted = await this.#db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
      return toUser(inserted);
    });
  }

  /**
   * Creates many users in one transaction, reporting every failing row; see
   * `user-import.ts`. All or nothing unless `partial`.
   */
  async createMany(inputs: readonly NewUser[], options?: ImportOptions): Promise<ImportResult> {
    return importUsers(this.#db, inputs, this.#now, options);
  }

  /**
   * A number that changes whenever users may have changed (SQLite: see
   * `GroupWriter.changeStamp`), or undefined when the driver cannot tell
   * (PostgreSQL: other front ends write): then caches must expire entries by
   * time alone.
   */
  changeStamp(): number | undefined {
    return this.#writer?.changeStamp();
  }

  /** The user with this address (any case, `sip:` allowed), or undefined. */
  async getByAddress(address: string): Promise<User | undefined> {
    const key = normalizeAddress(address);
    const w = this.#writer;
    if (w !== undefined && w.canReadNow) {
      let row: Selectable<UsersTable> | undefined;
      try {
        row = w.statement('select * from "users" where "address" = ?').get(key) as Selectable<UsersTable> | undefined;
      } catch (err) {
        throw toStoreError(err, 'get user');
      }
      return row && toUser(row);
    }
    return guard('get user', async () => {
      const row = await this.#db.selectFrom('users').selectAll().where('address', '=', key).executeTakeFirst();
      return row && toUser(row);
    });
  }

  /** The user with this id, or undefined. */
  async getById(id: string): Promise<User | undefined> {
    return guard('get user', async () => {
      const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    });
  }

  /** A page of users, by address. */
  async list(page: UserPage = {}): Promise<User[]> {
    const limit = page.limit ?? 100;
    const offset = page.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new StoreError('invalid', `limit must be 1..${MAX_PAGE}`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0) throw new StoreError('invalid', 'offset must be >= 0');
    const where = filter(page);
    return guard('list users', async () => {
      const rows = await this.#db
        .selectFrom('users')
        .selectAll()
        .where(where)
        .orderBy('address')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(toUser);
    });
  }

  /** How many users match. */
  async count(f: UserFilter = {}): Promise<number> {
    const where = filter(f);
    return guard('count users', async () => {
      const { n } = await this.#db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where(where)
        .executeTakeFirstOrThrow();
      return toNumber(n as number | string | bigint);
    });
  }

  /** Changes display name, role or phone. @throws StoreError `not-found`, `invalid`. */
  async update(address: string, patch: UserPatch): Promise<User> {
    const set: Updateable<UsersTable> = {};
    if (patch.displayName !== undefined) set.display_name = optionalText('displayName', patch.displayName);
    if (patch.role !== undefined) set.role = checkRole(patch.role);
    if (patch.phone !== undefined) set.phone = checkPhone(patch.phone);
    return this.#change(address, set);
  }

  /** Enables or disables sign-in. @throws StoreError `not-found`. */
  async setEnabled(address: string, enabled: boolean): Promise<User> {
    if (typeof enabled !== 'boolean') throw new TypeError('enabled must be a boolean');
    return this.#change(address, { enabled: toFlag(enabled) });
  }

  /**
   * Replaces the given credential fields (a password change sets all four;
   * null clears one). @throws StoreError `not-found`, `invalid`.
   */
  async setCredentials(address: string, credentials: Partial<UserCredentials>): Promise<User> {
    if ('password' in credentials) throw new TypeError('the store takes no clear password; pass derived credentials');
    return this.#change(address, credentialColumns(credentials));
  }

  /** Removes a user. @throws StoreError `not-found`. */
  async remove(address: string): Promise<void> {
    const key = normalizeAddress(address);
    await guard(`remove user ${key}`, async () => {
      const result = await this.#db.deleteFrom('users').where('address', '=', key).executeTakeFirst();
      if (toNumber(result.numDeletedRows) === 0) throw new StoreError('not-found', `no user ${key}`);
    });
  }

  async #change(address: string, set: Updateable<UsersTable>): Promise<User> {
    const key = normalizeAddress(address);
    return guard(`update user ${key}`, async () => {
      const row = await this.#db
        .updateTable('users')
        .set({ ...set, updated_at: this.#now() })
        .where('address', '=', key)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new StoreError('not-found', `no user ${key}`);
      return toUser(row);
    });
  }
}

/** The WHERE of a filter; search is portable (lower() + LIKE … ESCAPE). */
function filter(f: UserFilter): (eb: ExpressionBuilder<Database, 'users'>) => Expression<SqlBool> {
  const domain = f.domain === undefined ? undefined : normalizeDomain(f.domain);
  const role = f.role === undefined ? undefined : checkRole(f.role);
  const search = f.search?.trim().toLowerCase();
  return (eb) => {
    const parts: Expression<SqlBool>[] = [];
    if (domain !== undefined) parts.push(eb('domain', '=', domain));
    if (f.enabled !== undefined) parts.push(eb('enabled', '=', toFlag(f.enabled)));
    if (role !== undefined) parts.push(eb('role', '=', role));
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const like = (column: 'address' | 'display_name' | 'phone') =>
        sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
      parts.push(eb.or([like('address'), like('display_name'), like('phone')]));
    }
    return eb.and(parts);
  };
}
