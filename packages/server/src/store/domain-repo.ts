/**
 * SIP domains this deployment serves (the original's `Get-CsSipDomain`,
 * `New-CsSipDomain`, `Set-CsSipDomain -IsDefault`, `Remove-CsSipDomain`).
 */
import type { Kysely, Selectable } from 'kysely';
import { normalizeDomain } from './address.js';
import { fromFlag, toFlag, toNumber, type Clock } from './columns.js';
import { guard, StoreError } from './errors.js';
import type { Database, DomainsTable } from './schema.js';
import { serialize } from './serialize.js';

/** A SIP domain. */
export interface Domain {
  /** Lowercase host name. */
  readonly name: string;
  /** The domain used when an address gives none; at most one is. */
  readonly isDefault: boolean;
  readonly createdAt: number;
}

/** What {@link DomainRepo.remove} did. */
export interface DomainRemoval {
  /** Users removed with the domain (only with `force`). */
  readonly usersRemoved: number;
}

export class DomainRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Clock;

  constructor(db: Kysely<Database>, now: Clock = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Adds a domain. The first domain of an empty store becomes the default,
   * and so does any added with `isDefault`.
   * @throws StoreError `invalid` (bad name), `conflict` (exists).
   */
  async add(name: string, options: { isDefault?: boolean } = {}): Promise<Domain> {
    const domain = normalizeDomain(name);
    return guard(`add domain ${domain}`, () =>
      this.#db.transaction().execute(async (trx) => {
        await serialize(trx, 'domains.default');
        const existingDefault = await trx
          .selectFrom('domains')
          .select('name')
          .where('is_default', '=', toFlag(true))
          .executeTakeFirst();
        const isDefault = options.isDefault === true || existingDefault === undefined;
        if (isDefault && existingDefault !== undefined) {
          await trx
            .updateTable('domains')
            .set({ is_default: toFlag(false) })
            .where('is_default', '=', toFlag(true))
            .execute();
        }
        const row = await trx
          .insertInto('domains')
          .values({ name: domain, is_default: toFlag(isDefault), created_at: this.#now() })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toDomain(row);
      }),
    );
  }

  /** The domain, or undefined. @throws StoreError `invalid` (bad name). */
  async get(name: string): Promise<Domain | undefined> {
    const domain = normalizeDomain(name);
    return guard('get domain', async () => {
      const row = await this.#db.selectFrom('domains').selectAll().where('name', '=', domain).executeTakeFirst();
      return row && toDomain(row);
    });
  }

  /** All domains, by name. */
  async list(): Promise<Domain[]> {
    return guard('list domains', async () => {
      const rows = await this.#db.selectFrom('domains').selectAll().orderBy('name').execute();
      return rows.map(toDomain);
    });
  }

  /** The default domain, or undefined when none is set. */
  async getDefault(): Promise<Domain | undefined> {
    return guard('get default domain', async () => {
      const row = await this.#db
        .selectFrom('domains')
        .selectAll()
        .where('is_default', '=', toFlag(true))
        .executeTakeFirst();
      return row && toDomain(row);
    });
  }

  /**
   * Makes `name` the one default domain.
   * @throws StoreError `not-found`, `invalid`.
   */
  async setDefault(name: string): Promise<Domain> {
    const domain = normalizeDomain(name);
    return guard(`set default domain ${domain}`, () =>
      this.#db.transaction().execute(async (trx) => {
        await serialize(trx, 'domains.default');
        const found = await trx.selectFrom('domains').select('name').where('name', '=', domain).executeTakeFirst();
        if (!found) throw new StoreError('not-found', `no domain ${domain}`);
        await trx
          .updateTable('domains')
          .set({ is_default: toFlag(false) })
          .where('is_default', '=', toFlag(true))
          .execute();
        const row = await trx
          .updateTable('domains')
          .set({ is_default: toFlag(true) })
          .where('name', '=', domain)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toDomain(row);
      }),
    );
  }

  /**
   * Removes a domain. Refuses while users of the domain exist unless `force`,
   * which removes them in the same transaction.
   * @throws StoreError `not-found`; `conflict` when users exist without force.
   */
  async remove(name: string, options: { force?: boolean } = {}): Promise<DomainRemoval> {
    const domain = normalizeDomain(name);
    return guard(`remove domain ${domain}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom('domains').select('name').where('name', '=', domain).executeTakeFirst();
        if (!found) throw new StoreError('not-found', `no domain ${domain}`);
        const { n } = await trx
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('domain', '=', domain)
          .executeTakeFirstOrThrow();
        const users = toNumber(n as number | string | bigint);
        if (users > 0 && options.force !== true) {
          throw new StoreError('conflict', `domain ${domain} still has ${users} user(s); remove them or use force`);
        }
        if (users > 0) await trx.deleteFrom('users').where('domain', '=', domain).execute();
        await trx.deleteFrom('domains').where('name', '=', domain).execute();
        return { usersRemoved: users };
      }),
    );
  }
}

function toDomain(row: Selectable<DomainsTable>): Domain {
  return { name: row.name, isDefault: fromFlag(row.is_default), createdAt: toNumber(row.created_at) };
}
