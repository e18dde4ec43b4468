/**
 * The durable shadow of presence subscriptions (table
 * `presence_subscriptions` of migration 0005): enough of each dialog
 * (RFC 3261 §12.1: Call-ID, tags, URIs, remote target, route set, CSeq
 * numbers) and of the subscription (RFC 6665: event, kind, resource,
 * expiry, where the subscriber is reached) for a restarted server to go on
 * sending NOTIFYs in the same dialog until the subscription expires or is
 * refreshed (DESIGN §4: everything that survives a restart in the original
 * survives one here).
 *
 * When rows are written (write-behind: never on the path of a NOTIFY):
 * accepted (after the 200), refreshed, terminated (deleted), and at an
 * orderly stop (each live subscription's exact local CSeq).
 */
import type { Kysely } from 'kysely';
import { type Database, type Store, guardStore, dbNumber } from '../../store/index.js';

export interface PresenceSubscriptionsTable {
  id: string;
  kind: string;
  event: string;
  watcher: string;
  resource: string;
  domain: string;
  call_id: string;
  local_tag: string;
  remote_tag: string;
  local_uri: string;
  remote_uri: string;
  remote_target: string;
  route_set: string;
  local_contact: string | null;
  secure: number;
  local_seq: number | null;
  local_seq_exact: number;
  remote_seq: number | null;
  target: string;
  expires_at: number;
}

export type SubscriptionKind = 'presence' | 'list' | 'winfo';

/** A transport target as stored: an address, or a flow that was (with what it was, to reach the device anew). */
export type StoredTarget =
  | { readonly protocol: string; readonly host: string; readonly port: number }
  | { readonly flowId: string; readonly protocol: string };

export interface StoredSubscription {
  readonly id: string;
  readonly kind: SubscriptionKind;
  readonly event: string;
  /** The subscriber's address. */
  readonly watcher: string;
  /** The presentity (presence, winfo) or the list owner's address (list). */
  readonly resource: string;
  readonly domain: string;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly localContact: string | undefined;
  readonly secure: boolean;
  readonly localSeq: number | undefined;
  /** True when localSeq was written at an orderly stop. */
  readonly localSeqExact: boolean;
  readonly remoteSeq: number | undefined;
  readonly target: StoredTarget;
  readonly expiresAt: number;
}

/** What the subscription manager needs from a store (tests may give an in-memory one). */
export interface SubscriptionStore {
  upsert(s: StoredSubscription): Promise<void>;
  /** Each subscription's exact local CSeq at an orderly stop, in one transaction. */
  saveSeqs(seqs: ReadonlyArray<{ id: string; localSeq: number | undefined }>): Promise<void>;
  remove(id: string): Promise<void>;
  loadLive(now: number): Promise<StoredSubscription[]>;
  purgeExpired(now: number): Promise<number>;
}

type Db = Kysely<Database & { presence_subscriptions: PresenceSubscriptionsTable }>;

const guard = guardStore;

const num = dbNumber;
const opt = (v: number | string | bigint | null): number | undefined => (v === null ? undefined : num(v));

export class SubscriptionRepo implements SubscriptionStore {
  readonly #db: Db;

  constructor(store: Pick<Store, 'db'>) {
    this.#db = store.db.withTables<{ presence_subscriptions: PresenceSubscriptionsTable }>();
  }

  async upsert(s: StoredSubscription): Promise<void> {
    await guard('store presence subscription', async () => {
      const row = {
        kind: s.kind,
        event: s.event,
        watcher: s.watcher,
        resource: s.resource,
        domain: s.domain,
        call_id: s.callId,
        local_tag: s.localTag,
        remote_tag: s.remoteTag,
        local_uri: s.localUri,
        remote_uri: s.remoteUri,
        remote_target: s.remoteTarget,
        route_set: JSON.stringify(s.routeSet),
        local_contact: s.localContact ?? null,
        secure: s.secure ? 1 : 0,
        local_seq: s.localSeq ?? null,
        local_seq_exact: s.localSeqExact ? 1 : 0,
        remote_seq: s.remoteSeq ?? null,
        target: JSON.stringify(s.target),
        expires_at: s.expiresAt,
      };
      const r = await this.#db.updateTable('presence_subscriptions').set(row).where('id', '=', s.id).executeTakeFirst();
      if (num(r.numUpdatedRows) === 0) await this.#db.insertInto('presence_subscriptions').values({ id: s.id, ...row }).execute();
    });
  }

  async saveSeqs(seqs: ReadonlyArray<{ id: string; localSeq: number | undefined }>): Promise<void> {
    if (seqs.length === 0) return;
    await guard('store presence subscription CSeqs', async () =>
      this.#db.transaction().execute(async (trx) => {
        for (const s of seqs) {
          await trx.updateTable('presence_subscriptions').set({ local_seq: s.localSeq ?? null, local_seq_exact: 1 }).where('id', '=', s.id).execute();
        }
      }),
    );
  }

  async remove(id: string): Promise<void> {
    await guard('remove presence subscription', async () => {
      await this.#db.deleteFrom('presence_subscriptions').where('id', '=', id).execute();
    });
  }

  async loadLive(now: number): Promise<StoredSubscription[]> {
    return guard('load presence subscriptions', async () => {
      const rows = await this.#db.selectFrom('presence_subscriptions').selectAll().where('expires_at', '>', now).execute();
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind as SubscriptionKind,
        event: r.event,
        watcher: r.watcher,
        resource: r.resource,
        domain: r.domain,
        callId: r.call_id,
        localTag: r.local_tag,
        remoteTag: r.remote_tag,
        localUri: r.local_uri,
        remoteUri: r.remote_uri,
        remoteTarget: r.remote_target,
        routeSet: JSON.parse(r.route_set) as string[],
        localContact: r.local_contact ?? undefined,
        secure: num(r.secure) === 1,
        localSeq: opt(r.local_seq),
        localSeqExact: num(r.local_seq_exact) === 1,
        remoteSeq: opt(r.remote_seq),
        target: JSON.parse(r.target) as StoredTarget,
        expiresAt: num(r.expires_at),
      }));
    });
  }

  async purgeExpired(now: number): Promise<number> {
    return guard('purge presence subscriptions', async () => {
      const r = await this.#db.deleteFrom('presence_subscriptions').where('expires_at', '<=', now).executeTakeFirst();
      return num(r.numDeletedRows);
    });
  }
}
