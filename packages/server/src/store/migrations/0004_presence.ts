/**
 * 0004 — presence (services/presence): server-side contact lists with their
 * groups and privacy relationships, and the durable shadow of presence
 * publications (RFC 3903), so that a restart keeps them until they expire.
 *
 * - contact_groups: a user's groups, names unique per owner.
 * - contacts: one row per (owner, contact address); `relationship` is the
 *   privacy container the owner put the contact in (null: the default, by
 *   domain). Indexed by address for "who has X as a contact" (watcher info,
 *   relationship look-ups toward a watcher).
 * - presence_publications: one row per publication; `id` is stable, `etag`
 *   changes with every refresh or modification (RFC 3903 §4.1).
 *
 * Contacts and groups go with their owner (on delete cascade). Portable DDL
 * only (see `../schema.ts`).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contact_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('contact_groups_owner_name_uq', ['owner_id', 'name'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull().references('contact_groups.id'))
    .addColumn('relationship', 'text', (c) =>
      c.check(sql`relationship is null or relationship in ('friends-family', 'workgroup', 'colleagues', 'external', 'blocked')`),
    )
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('contacts_owner_address_uq', ['owner_id', 'address'])
    .execute();
  await db.schema.createIndex('contacts_address_idx').on('contacts').column('address').execute();
  await db.schema.createIndex('contacts_group_idx').on('contacts').column('group_id').execute();

  await db.schema
    .createTable('presence_publications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text')
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('presence_publications_owner_idx').on('presence_publications').column('owner').execute();
  await db.schema.createIndex('presence_publications_expires_idx').on('presence_publications').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['presence_publications', 'contacts', 'contact_groups']) await db.schema.dropTable(table).execute();
}
