/**
 * Instant messages in the store (table `im_messages`, migration 0003): the
 * history of every one-to-one conversation and the queue of messages not
 * yet delivered.
 *
 * ```
 *   insert ──► pending ──a device took it (2xx)──► delivered
 *                 │
 *                 └──older than the pending lifetime──► missed
 * ```
 * A message every device refused is removed: its sender got the refusal,
 * so it was never acknowledged. `read_at` is set by the recipient
 * (REST `…/read`) and is independent of the status.
 *
 * Portable queries only (SQLite and PostgreSQL); failures leave as
 * `StoreError`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, type GroupWriter, type Store, guardStore } from '../../store/index.js';

export type ImStatus = 'delivered' | 'pending' | 'missed';

/** The row as stored (see `store/migrations/0003_im.ts`). */
export interface ImMessagesTable {
  id: string;
  conversation: string;
  from_address: string;
  to_address: string;
  content_type: string;
  body: string;
  sent_at: number;
  delivered_at: number | null;
  read_at: number | null;
  status: string;
  call_id: string;
}

export interface ImMessage {
  readonly id: string;
  readonly conversation: string;
  readonly from: string;
  readonly to: string;
  readonly contentType: string;
  readonly body: string;
  readonly sentAt: number;
  readonly deliveredAt: number | null;
  readonly readAt: number | null;
  readonly status: ImStatus;
  readonly callId: string;
}

export interface NewImMessage {
  readonly from: string;
  readonly to: string;
  readonly contentType: string;
  readonly body: string;
  readonly sentAt: number;
  readonly callId: string;
}

/** Where a history page ends: before a time, or before a message (time, then id). */
export type HistoryCursor = { readonly sentAt: number; readonly id?: string };

export interface ConversationSummary {
  /** The other party (the user themself for notes to self). */
  readonly peer: string;
  readonly last: ImMessage;
  /** Messages to the user not yet marked read. */
  readonly unread: number;
}

/** The key of the conversation between `a` and `b`: the sorted pair, space-separated (no address holds a space). */
export function conversationKey(a: string, b: string): string {
  return a <= b ? `${a} ${b}` : `${b} ${a}`;
}

/** The party of conversation `key` that is not `me`. */
export function peerOf(key: string, me: string): string {
  const [a, b] = key.split(' ');
  return a === me ? b : a;
}

type Db = Kysely<Database & { im_messages: ImMessagesTable }>;

const num = (v: number | string | bigint | null): number | null => (v === null ? null : typeof v === 'number' ? v : Number(v));

function toMessage(r: ImMessagesTable): ImMessage {
  return {
    id: r.id,
    conversation: r.conversation,
    from: r.from_address,
    to: r.to_address,
    contentType: r.content_type,
    body: r.body,
    sentAt: num(r.sent_at)!,
    deliveredAt: num(r.delivered_at),
    readAt: num(r.read_at),
    status: r.status as ImStatus,
    callId: r.call_id,
  };
}

const guard = guardStore;

/** Columns in insert order, for the SQLite group-commit path. */
const COLUMNS = ['id', 'conversation', 'from_address', 'to_address', 'content_type', 'body', 'sent_at', 'delivered_at', 'read_at', 'status', 'call_id'] as const;
const INSERT_SQL = `insert into "im_messages" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;
const SET_STATUS_SQL = `update "im_messages" set "status" = ?, "delivered_at" = coalesce(?, "delivered_at") where "id" = ? and "status" = 'pending'`;

export class ImRepo {
  readonly #db: Db;
  /** SQLite's group commit (the hot writes: insert, status changes); PostgreSQL goes through Kysely. */
  readonly #writer: GroupWriter | undefined;

  constructor(store: Pick<Store, 'db'> & Partial<Pick<Store, 'groupWriter'>>) {
    this.#db = store.db.withTables<{ im_messages: ImMessagesTable }>();
    this.#writer = store.groupWriter;
  }

  /** Stores a message as pending (not yet taken by a device). */
  async insert(m: NewImMessage): Promise<ImMessage> {
    const row: ImMessagesTable = {
      id: randomUUID(),
      conversation: conversationKey(m.from, m.to),
      from_address: m.from,
      to_address: m.to,
      content_type: m.contentType,
      body: m.body,
      sent_at: m.sentAt,
      delivered_at: null,
      read_at: null,
      status: 'pending',
      call_id: m.callId,
    };
    const w = this.#writer;
    if (w !== undefined) {
      await w.write('store message', { sql: INSERT_SQL, params: COLUMNS.map((c) => row[c]), returns: 'changes' });
    } else await guard('store message', () => this.#db.insertInto('im_messages').values(row).execute());
    return toMessage(row);
  }

  async get(id: string): Promise<ImMessage | undefined> {
    return guard('get message', async () => {
      const r = await this.#db.selectFrom('im_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toMessage(r);
    });
  }

  /** A device took the message. Only a pending one changes (a missed one stays missed). */
  async markDelivered(id: string, at: number): Promise<void> {
    const w = this.#writer;
    if (w !== undefined) {
      await w.write('mark message delivered', { sql: SET_STATUS_SQL, params: ['delivered', at, id], returns: 'changes' });
      return;
    }
    await guard('mark message delivered', () =>
      this.#db.updateTable('im_messages').set({ status: 'delivered', delivered_at: at }).where('id', '=', id).where('status', '=', 'pending').execute(),
    );
  }

  async markMissed(id: string): Promise<void> {
    const w = this.#writer;
    if (w !== undefined) {
      await w.write('mark message missed', { sql: SET_STATUS_SQL, params: ['missed', null, id], returns: 'changes' });
      return;
    }
    await guard('mark message missed', () =>
      this.#db.updateTable('im_messages').set({ status: 'missed' }).where('id', '=', id).where('status', '=', 'pending').execute(),
    );
  }

  /** Forgets a message nobody acknowledged. */
  async remove(id: string): Promise<void> {
    const w = this.#writer;
    if (w !== undefined) {
      await w.write('remove message', { sql: 'delete from "im_messages" where "id" = ?', params: [id], returns: 'changes' });
      return;
    }
    await guard('remove message', () => this.#db.deleteFrom('im_messages').where('id', '=', id).execute());
  }

  /** Pending messages to `to`, oldest first. */
  async pending(to: string, limit = 50): Promise<ImMessage[]> {
    return guard('list pending messages', async () => {
      const rows = await this.#db
        .selectFrom('im_messages')
        .selectAll()
        .where('status', '=', 'pending')
        .where('to_address', '=', to)
        .orderBy('sent_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toMessage);
    });
  }

  /** Every recipient with pending messages. */
  async pendingRecipients(): Promise<string[]> {
    return guard('list pending recipients', async () => {
      const rows = await this.#db.selectFrom('im_messages').select('to_address').distinct().where('status', '=', 'pending').execute();
      return rows.map((r) => r.to_address);
    });
  }

  /** Pending messages sent before `cutoff` become missed; returns them. */
  async expirePending(cutoff: number): Promise<ImMessage[]> {
    return guard('expire pending messages', async () => {
      const rows = await this.#db.selectFrom('im_messages').selectAll().where('status', '=', 'pending').where('sent_at', '<', cutoff).execute();
      if (rows.length === 0) return [];
      await this.#db
        .updateTable('im_messages')
        .set({ status: 'missed' })
        .where('status', '=', 'pending')
        .where('id', 'in', rows.map((r) => r.id))
        .execute();
      return rows.map((r) => toMessage({ ...r, status: 'missed' }));
    });
  }

  /** One page of the conversation of `me` and `peer`, newest first, before `cursor` when given. */
  async history(me: string, peer: string, o: { before?: HistoryCursor; limit: number }): Promise<ImMessage[]> {
    return guard('read history', async () => {
      let q = this.#db.selectFrom('im_messages').selectAll().where('conversation', '=', conversationKey(me, peer));
      const b = o.before;
      if (b)
        q = q.where((eb) =>
          b.id === undefined
            ? eb('sent_at', '<', b.sentAt)
            : eb.or([eb('sent_at', '<', b.sentAt), eb.and([eb('sent_at', '=', b.sentAt), eb('id', '<', b.id)])]),
        );
      const rows = await q.orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(o.limit).execute();
      return rows.map(toMessage);
    });
  }

  /** The conversations of `me`, latest activity first, with their last message and unread count. */
  async conversations(me: string, limit: number): Promise<ConversationSummary[]> {
    return guard('list conversations', async () => {
      const groups = await this.#db
        .selectFrom('im_messages')
        .select((eb) => [
          'conversation',
          eb.fn.max('sent_at').as('last_at'),
          eb.fn
            .sum<number | string>(eb.case().when(eb.and([eb('to_address', '=', me), eb('from_address', '!=', me), eb('read_at', 'is', null)])).then(1).else(0).end())
            .as('unread'),
        ])
        .where((eb) => eb.or([eb('from_address', '=', me), eb('to_address', '=', me)]))
        .groupBy('conversation')
        .orderBy('last_at', 'desc')
        .limit(limit)
        .execute();
      const out: ConversationSummary[] = [];
      for (const g of groups) {
        const last = await this.#db
          .selectFrom('im_messages')
          .selectAll()
          .where('conversation', '=', g.conversation)
          .orderBy('sent_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
        out.push({ peer: peerOf(g.conversation, me), last: toMessage(last), unread: num(g.unread) ?? 0 });
      }
      return out;
    });
  }

  /** Marks every message from `peer` to `me` read at `at`; returns how many changed. */
  async markRead(me: string, peer: string, at: number): Promise<number> {
    return guard('mark messages read', async () => {
      const r = await this.#db
        .updateTable('im_messages')
        .set({ read_at: at })
        .where('conversation', '=', conversationKey(me, peer))
        .where('to_address', '=', me)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    });
  }
}
