/**
 * 0001 — the tables Standard Edition needs: domains, users, registrations,
 * config, topology.
 *
 * Portable DDL only (see `../schema.ts` for the rules): the same statements
 * run on SQLite and PostgreSQL. A migration is frozen once released; change
 * the schema with a new numbered file.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('domains')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // At most one default domain.
  await db.schema
    .createIndex('domains_one_default_uq')
    .on('domains')
    .column('is_default')
    .unique()
    .where(sql.ref('is_default'), '=', sql`true`)
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('address', 'text', (c) => c.notNull().unique())
    .addColumn('domain', 'text', (c) => c.notNull().references('domains.name'))
    .addColumn('display_name', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(sql`true`))
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('user').check(sql`role in ('user', 'admin')`))
    .addColumn('ha1_md5', 'text')
    .addColumn('ha1_sha256', 'text')
    .addColumn('ha1_sha512_256', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('phone', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_domain_idx').on('users').column('domain').execute();
  await db.schema.createIndex('users_phone_idx').on('users').column('phone').execute();

  await db.schema
    .createTable('registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('aor', 'text', (c) => c.notNull())
    .addColumn('binding_key', 'text', (c) => c.notNull())
    .addColumn('contact_uri', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text')
    .addColumn('reg_id', 'integer')
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('cseq', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('flow', 'text')
    .addColumn('gruu_pub', 'text')
    .addColumn('gruu_temp', 'text')
    .addColumn('user_agent', 'text')
    // double precision: PostgreSQL `real` would turn q=0.7 into 0.699999988.
    .addColumn('q', 'double precision')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
  // Leads with aor, so it also serves "all bindings of an AOR".
  await db.schema
    .createIndex('registrations_aor_binding_uq')
    .on('registrations')
    .columns(['aor', 'binding_key'])
    .unique()
    .execute();
  await db.schema.createIndex('registrations_expires_at_idx').on('registrations').column('expires_at').execute();
  await db.schema.createIndex('registrations_instance_idx').on('registrations').column('instance_id').execute();

  await db.schema
    .createTable('config')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('topology')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.references('topology.id'))
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('topology_kind_name_uq', ['kind', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['topology', 'config', 'registrations', 'users', 'domains']) {
    await db.schema.dropTable(table).execute();
  }
}
