/**
 * Sign-in sessions in the store (table `sessions`, migration 0002), keyed by
 * the SHA-256 of the bearer token: the token itself is never stored, so a
 * copy of the database signs nobody in. Being in the store, a session is
 * accepted by every front end of a pool and outlives a restart.
 *
 * Portable queries only (SQLite and PostgreSQL), as in the store's own
 * repositories; failures leave as `StoreError`.
 */
import type { Kysely } from 'kysely';
import { type Database, type Store, guardStore, dbNumber } from '../../store/index.js';

/** The row as stored (see `store/migrations/0002_sessions.ts`). */
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  address: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  user_agent: string | null;
  remote_address: string | null;
}

/** A session as the API sees it. */
export interface Session {
  readonly tokenHash: string;
  readonly userId: string;
  readonly address: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastSeenAt: number;
  readonly userAgent: string | null;
  readonly remoteAddress: string | null;
}

type Db = Kysely<Database & { sessions: SessionsTable }>;

const guard = guardStore;

const num = dbNumber;

function toSession(row: SessionsTable): Session {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    address: row.address,
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
    lastSeenAt: num(row.last_seen_at),
    userAgent: row.user_agent,
    remoteAddress: row.remote_address,
  };
}

export class SessionRepo {
  readonly #db: Db;

  constructor(store: Pick<Store, 'db'>) {
    this.#db = store.db.withTables<{ sessions: SessionsTable }>();
  }

  async create(s: Session): Promise<void> {
    await guard('create session', async () => {
      await this.#db
        .insertInto('sessions')
        .values({
          token_hash: s.tokenHash,
          user_id: s.userId,
          address: s.address,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
          last_seen_at: s.lastSeenAt,
          user_agent: s.userAgent,
          remote_address: s.remoteAddress,
        })
        .execute();
    });
  }

  /** The session with this token hash, if it has not expired at `now`. */
  async getLive(tokenHash: string, now: number): Promise<Session | undefined> {
    return guard('get session', async () => {
      const row = await this.#db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row && toSession(row);
    });
  }

  /** Slides the session: seen at `now`, expiring at `expiresAt`. */
  async touch(tokenHash: string, now: number, expiresAt: number): Promise<void> {
    await guard('refresh session', async () => {
      await this.#db
        .updateTable('sessions')
        .set({ last_seen_at: now, expires_at: expiresAt })
        .where('token_hash', '=', tokenHash)
        .execute();
    });
  }

  async remove(tokenHash: string): Promise<void> {
    await guard('remove session', async () => {
      await this.#db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    });
  }

  /** Signs a user out everywhere, but for the session `except` (the caller's own). Returns the removed sessions' keys. */
  async removeUser(userId: string, except?: string): Promise<string[]> {
    return guard('remove sessions of user', async () => {
      let q = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
      if (except !== undefined) q = q.where('token_hash', '!=', except);
      const rows = await q.returning('token_hash').execute();
      return rows.map((r) => r.token_hash);
    });
  }

  /** Deletes sessions that expired at or before `now`. */
  async purgeExpired(now: number): Promise<number> {
    return guard('purge expired sessions', async () => {
      const r = await this.#db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return num(r.numDeletedRows);
    });
  }
}
