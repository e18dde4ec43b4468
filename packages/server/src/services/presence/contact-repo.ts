/**
 * Contact lists in the store (tables `contact_groups`, `contacts` of
 * migration 0004). Portable queries only (SQLite and PostgreSQL), as in the
 * store's own repositories; failures leave as `StoreError`. Rules (limits,
 * defaults, what a relationship may be) belong to `contact-service.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, type Store, guardStore, dbNumber } from '../../store/index.js';
import type { Relationship } from './privacy.js';

/** Rows as stored (see `store/migrations/0004_presence.ts`). */
export interface ContactGroupsTable {
  id: string;
  owner_id: string;
  name: string;
  position: number;
  created_at: number;
}

export interface ContactsTable {
  id: string;
  owner_id: string;
  address: string;
  group_id: string;
  relationship: string | null;
  created_at: number;
  updated_at: number;
}

export interface ContactGroup {
  readonly id: string;
  readonly name: string;
  readonly position: number;
  readonly createdAt: number;
}

export interface Contact {
  readonly id: string;
  readonly address: string;
  readonly groupId: string;
  /** null: the default relationship (by domain). */
  readonly relationship: Relationship | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

type Db = Kysely<Database & { contact_groups: ContactGroupsTable; contacts: ContactsTable }>;

const guard = guardStore;

const num = dbNumber;

const toGroup = (r: ContactGroupsTable): ContactGroup => ({ id: r.id, name: r.name, position: num(r.position), createdAt: num(r.created_at) });
const toContact = (r: ContactsTable): Contact => ({
  id: r.id,
  address: r.address,
  groupId: r.group_id,
  relationship: r.relationship as Relationship | null,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export class ContactRepo {
  readonly #db: Db;

  constructor(
    store: Pick<Store, 'db'>,
    private readonly now: () => number,
  ) {
    this.#db = store.db.withTables<{ contact_groups: ContactGroupsTable; contacts: ContactsTable }>();
  }

  async groups(ownerId: string): Promise<ContactGroup[]> {
    return guard('list contact groups', async () => {
      const rows = await this.#db.selectFrom('contact_groups').selectAll().where('owner_id', '=', ownerId).orderBy('position').orderBy('created_at').execute();
      return rows.map(toGroup);
    });
  }

  async createGroup(ownerId: string, name: string, position: number): Promise<ContactGroup> {
    return guard(`create contact group`, async () => {
      const row: ContactGroupsTable = { id: randomUUID(), owner_id: ownerId, name, position, created_at: this.now() };
      await this.#db.insertInto('contact_groups').values(row).execute();
      return toGroup(row);
    });
  }

  async renameGroup(ownerId: string, id: string, name: string): Promise<number> {
    return guard('rename contact group', async () => {
      const r = await this.#db.updateTable('contact_groups').set({ name }).where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return num(r.numUpdatedRows);
    });
  }

  /** Moves the group's contacts to `moveTo`, then removes it, in one transaction. */
  async removeGroup(ownerId: string, id: string, moveTo: string): Promise<number> {
    return guard('remove contact group', async () =>
      this.#db.transaction().execute(async (trx) => {
        await trx.updateTable('contacts').set({ group_id: moveTo, updated_at: this.now() }).where('owner_id', '=', ownerId).where('group_id', '=', id).execute();
        const r = await trx.deleteFrom('contact_groups').where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
        return num(r.numDeletedRows);
      }),
    );
  }

  async contacts(ownerId: string): Promise<Contact[]> {
    return guard('list contacts', async () => {
      const rows = await this.#db.selectFrom('contacts').selectAll().where('owner_id', '=', ownerId).orderBy('address').execute();
      return rows.map(toContact);
    });
  }

  async count(ownerId: string): Promise<number> {
    return guard('count contacts', async () => {
      const r = await this.#db.selectFrom('contacts').select((eb) => eb.fn.countAll().as('n')).where('owner_id', '=', ownerId).executeTakeFirstOrThrow();
      return num(r.n as number);
    });
  }

  async get(ownerId: string, address: string): Promise<Contact | undefined> {
    return guard('get contact', async () => {
      const row = await this.#db.selectFrom('contacts').selectAll().where('owner_id', '=', ownerId).where('address', '=', address).executeTakeFirst();
      return row && toContact(row);
    });
  }

  async add(ownerId: string, c: { address: string; groupId: string; relationship: Relationship | null }): Promise<Contact> {
    return guard('add contact', async () => {
      const t = this.now();
      const row: ContactsTable = { id: randomUUID(), owner_id: ownerId, address: c.address, group_id: c.groupId, relationship: c.relationship, created_at: t, updated_at: t };
      await this.#db.insertInto('contacts').values(row).execute();
      return toContact(row);
    });
  }

  async update(ownerId: string, address: string, patch: { groupId?: string; relationship?: Relationship | null }): Promise<Contact | undefined> {
    return guard('update contact', async () => {
      await this.#db
        .updateTable('contacts')
        .set({
          updated_at: this.now(),
          ...(patch.groupId !== undefined ? { group_id: patch.groupId } : {}),
          ...(patch.relationship !== undefined ? { relationship: patch.relationship } : {}),
        })
        .where('owner_id', '=', ownerId)
        .where('address', '=', address)
        .execute();
      const row = await this.#db.selectFrom('contacts').selectAll().where('owner_id', '=', ownerId).where('address', '=', address).executeTakeFirst();
      return row && toContact(row);
    });
  }

  async remove(ownerId: string, address: string): Promise<number> {
    return guard('remove contact', async () => {
      const r = await this.#db.deleteFrom('contacts').where('owner_id', '=', ownerId).where('address', '=', address).executeTakeFirst();
      return num(r.numDeletedRows);
    });
  }

  /**
   * How each of `owners` (addresses) placed `watcher` in their list: the
   * explicit relationship, or null when listed without one. Owners that do
   * not list the watcher are absent from the map.
   */
  async relationshipsToward(watcher: string, owners: readonly string[]): Promise<Map<string, Relationship | null>> {
    const out = new Map<string, Relationship | null>();
    if (owners.length === 0) return out;
    return guard('relationships toward a watcher', async () => {
      for (let i = 0; i < owners.length; i += 500) {
        const rows = await this.#db
          .selectFrom('contacts')
          .innerJoin('users', 'users.id', 'contacts.owner_id')
          .select(['users.address as owner', 'contacts.relationship as relationship'])
          .where('contacts.address', '=', watcher)
          .where('users.address', 'in', owners.slice(i, i + 500))
          .execute();
        for (const r of rows) out.set(r.owner, r.relationship as Relationship | null);
      }
      return out;
    });
  }

  /** Addresses of the users that list `address` as a contact (watcher information). */
  async listedBy(address: string, limit = 1000): Promise<string[]> {
    return guard('who lists a contact', async () => {
      const rows = await this.#db
        .selectFrom('contacts')
        .innerJoin('users', 'users.id', 'contacts.owner_id')
        .select('users.address as owner')
        .where('contacts.address', '=', address)
        .orderBy('users.address')
        .limit(limit)
        .execute();
      return rows.map((r) => r.owner);
    });
  }
}
