/**
 * 0003 — instant messages (`services/im/`): the history of one-to-one IM
 * (RFC 3428 MESSAGE) and the queue of messages kept for recipients who were
 * signed in nowhere (status `pending`, RFC 3428 §7 "202 Accepted").
 *
 * One row per message, written before the sender gets 200 or 202, so an
 * acknowledged message survives a crash. `conversation` is the sorted pair
 * of the two addresses ('a@x b@y'), the key of history paging. Messages
 * between users are kept when a user is removed (no foreign key): the other
 * party's history stays whole. Typing notifications (RFC 3994) are never
 * stored.
 *
 * Portable DDL only (see `../schema.ts`).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('im_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('read_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('delivered', 'pending', 'missed')`))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .execute();
  // History of a conversation, newest first (id breaks ties within one ms).
  await db.schema.createIndex('im_messages_conversation_idx').on('im_messages').columns(['conversation', 'sent_at', 'id']).execute();
  // Pending messages: every recipient with some (start-up), one recipient's oldest first, expiry.
  await db.schema.createIndex('im_messages_pending_idx').on('im_messages').columns(['status', 'to_address', 'sent_at']).execute();
  // A user's conversations and unread counts: messages sent by them, messages to them.
  await db.schema.createIndex('im_messages_from_idx').on('im_messages').columns(['from_address', 'sent_at']).execute();
  await db.schema.createIndex('im_messages_to_idx').on('im_messages').columns(['to_address', 'read_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('im_messages').execute();
}
