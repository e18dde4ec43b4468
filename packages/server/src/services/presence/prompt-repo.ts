/**
 * The original's "prompted subscribers" in the store (table
 * `presence_prompts` of migration 0005): who added a user as a contact and
 * was not yet acknowledged by that user. Rules (the 200 limit, when a
 * prompt is made or dropped) belong to `contact-service.ts`. Portable
 * queries only; failures leave as `StoreError`.
 */
import type { Kysely } from 'kysely';
import { type Database, type Store, guardStore, dbNumber } from '../../store/index.js';

export interface PresencePromptsTable {
  owner: string;
  watcher: string;
  created_at: number;
}

export interface Prompt {
  /** Who added the owner as a contact. */
  readonly watcher: string;
  readonly createdAt: number;
}

type Db = Kysely<Database & { presence_prompts: PresencePromptsTable }>;

const guard = guardStore;

const num = dbNumber;

export class PromptRepo {
  readonly #db: Db;

  constructor(store: Pick<Store, 'db'>) {
    this.#db = store.db.withTables<{ presence_prompts: PresencePromptsTable }>();
  }

  /** The owner's unacknowledged prompts, oldest first. */
  async list(owner: string, limit = 1000): Promise<Prompt[]> {
    return guard('list presence prompts', async () => {
      const rows = await this.#db.selectFrom('presence_prompts').select(['watcher', 'created_at']).where('owner', '=', owner).orderBy('created_at').orderBy('watcher').limit(limit).execute();
      return rows.map((r) => ({ watcher: r.watcher, createdAt: num(r.created_at) }));
    });
  }

  async count(owner: string): Promise<number> {
    return guard('count presence prompts', async () => {
      const r = await this.#db.selectFrom('presence_prompts').select((eb) => eb.fn.countAll().as('n')).where('owner', '=', owner).executeTakeFirstOrThrow();
      return num(r.n as number);
    });
  }

  async has(owner: string, watcher: string): Promise<boolean> {
    return guard('get presence prompt', async () => {
      const r = await this.#db.selectFrom('presence_prompts').select('watcher').where('owner', '=', owner).where('watcher', '=', watcher).executeTakeFirst();
      return r !== undefined;
    });
  }

  /** Adds a prompt; false when there was one already. */
  async add(owner: string, watcher: string, now: number): Promise<boolean> {
    return guard('add presence prompt', async () => {
      if (await this.has(owner, watcher)) return false;
      try {
        await this.#db.insertInto('presence_prompts').values({ owner, watcher, created_at: now }).execute();
        return true;
      } catch (e) {
        if (await this.has(owner, watcher)) return false; // made at the same moment by another request
        throw e;
      }
    });
  }

  /** Removes a prompt; the number removed (0 or 1). */
  async remove(owner: string, watcher: string): Promise<number> {
    return guard('remove presence prompt', async () => {
      const r = await this.#db.deleteFrom('presence_prompts').where('owner', '=', owner).where('watcher', '=', watcher).executeTakeFirst();
      return num(r.numDeletedRows);
    });
  }
}
