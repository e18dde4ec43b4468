/**
 * The durable shadow of presence publications (table `presence_publications`
 * of migration 0004): written before a PUBLISH is answered, read back at
 * start-up, so that a restart keeps every publication until it expires
 * (DESIGN §4: soft state with a durable shadow). Portable queries only.
 */
import type { Kysely } from 'kysely';
import { type Database, type Store, guardStore, dbNumber } from '../../store/index.js';

export interface PresencePublicationsTable {
  id: string;
  owner: string;
  etag: string;
  source: string | null;
  document: string;
  published_at: number;
  expires_at: number;
}

export interface StoredPublication {
  readonly id: string;
  readonly owner: string;
  readonly etag: string;
  readonly source: string | undefined;
  readonly document: string;
  readonly publishedAt: number;
  readonly expiresAt: number;
}

type Db = Kysely<Database & { presence_publications: PresencePublicationsTable }>;

const guard = guardStore;

const num = dbNumber;

/** What the publication table needs from a store (tests may give an in-memory one). */
export interface PublicationStore {
  upsert(p: StoredPublication): Promise<void>;
  remove(id: string): Promise<void>;
  loadLive(now: number): Promise<StoredPublication[]>;
  purgeExpired(now: number): Promise<number>;
}

export class PublicationRepo implements PublicationStore {
  readonly #db: Db;

  constructor(store: Pick<Store, 'db'>) {
    this.#db = store.db.withTables<{ presence_publications: PresencePublicationsTable }>();
  }

  async upsert(p: StoredPublication): Promise<void> {
    await guard('store presence publication', async () => {
      const row = { owner: p.owner, etag: p.etag, source: p.source ?? null, document: p.document, published_at: p.publishedAt, expires_at: p.expiresAt };
      const r = await this.#db.updateTable('presence_publications').set(row).where('id', '=', p.id).executeTakeFirst();
      if (num(r.numUpdatedRows) === 0) await this.#db.insertInto('presence_publications').values({ id: p.id, ...row }).execute();
    });
  }

  async remove(id: string): Promise<void> {
    await guard('remove presence publication', async () => {
      await this.#db.deleteFrom('presence_publications').where('id', '=', id).execute();
    });
  }

  async loadLive(now: number): Promise<StoredPublication[]> {
    return guard('load presence publications', async () => {
      const rows = await this.#db.selectFrom('presence_publications').selectAll().where('expires_at', '>', now).execute();
      return rows.map((r) => ({
        id: r.id,
        owner: r.owner,
        etag: r.etag,
        source: r.source ?? undefined,
        document: r.document,
        publishedAt: num(r.published_at),
        expiresAt: num(r.expires_at),
      }));
    });
  }

  async purgeExpired(now: number): Promise<number> {
    return guard('purge presence publications', async () => {
      const r = await this.#db.deleteFrom('presence_publications').where('expires_at', '<=', now).executeTakeFirst();
      return num(r.numDeletedRows);
    });
  }
}
