/**
 * 0005 — presence state that survives a restart:
 *
 * presence_prompts: the original's "prompted subscribers" — who added a user
 * as a contact and was not yet acknowledged by that user (at most 200 per
 * user, presence policy; `contact-service.ts`). One row per (owner, watcher).
 *
 * presence_subscriptions: the durable shadow of presence subscriptions (services/presence,
 * `subscription-repo.ts`): what the notifier needs to go on sending NOTIFYs
 * in a subscription's dialog after a restart (RFC 6665 §4.2, RFC 3261 §12):
 * the dialog id (Call-ID and both tags), the URIs of both ends, the remote
 * target and route set, both CSeq numbers, where the subscriber is reached
 * (transport target), the event package and kind (single presence, contact
 * list, watcher information), and the expiry. DESIGN §4: soft state with a
 * durable shadow. Portable DDL only (see `../schema.ts`).
 *
 * - `local_seq_exact`: 1 when `local_seq` was written at an orderly stop
 *   (the next NOTIFY uses local_seq + 1); 0 while running, when NOTIFYs may
 *   have been sent since (a restart after a crash skips ahead, `repo`).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('presence_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('watcher', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('local_tag', 'text', (c) => c.notNull())
    .addColumn('remote_tag', 'text', (c) => c.notNull())
    .addColumn('local_uri', 'text', (c) => c.notNull())
    .addColumn('remote_uri', 'text', (c) => c.notNull())
    .addColumn('remote_target', 'text', (c) => c.notNull())
    .addColumn('route_set', 'text', (c) => c.notNull())
    .addColumn('local_contact', 'text')
    .addColumn('secure', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('local_seq', 'bigint')
    .addColumn('local_seq_exact', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('remote_seq', 'bigint')
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('presence_subscriptions_expires_idx').on('presence_subscriptions').column('expires_at').execute();
  await db.schema.createIndex('presence_subscriptions_watcher_idx').on('presence_subscriptions').column('watcher').execute();

  await db.schema
    .createTable('presence_prompts')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('watcher', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('presence_prompts_pk', ['owner', 'watcher'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['presence_prompts', 'presence_subscriptions']) await db.schema.dropTable(table).execute();
}
