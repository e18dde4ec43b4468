/**
 * Central configuration (the original's Central Management store settings):
 * one JSON value per dotted key, e.g. `registrar.maxExpires`. Typing and
 * defaults belong to the service that owns a key; the store only keeps it.
 */
import type { Kysely } from 'kysely';
import { toNumber, type Clock } from './columns.js';
import { guard, StoreError } from './errors.js';
import type { Database } from './schema.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One stored setting. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: JsonValue;
  readonly updatedAt: number;
}

const KEY = /^[A-Za-z0-9_.:-]{1,200}$/;

export class ConfigRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Clock;

  constructor(db: Kysely<Database>, now: Clock = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** The value of `key`, or undefined when unset. */
  async get(key: string): Promise<JsonValue | undefined> {
    checkKey(key);
    return guard(`get config ${key}`, async () => {
      const row = await this.#db.selectFrom('config').select('value').where('key', '=', key).executeTakeFirst();
      return row === undefined ? undefined : (JSON.parse(row.value) as JsonValue);
    });
  }

  /** Sets `key`, replacing any value. @throws StoreError `invalid` (bad key, not JSON). */
  async set(key: string, value: JsonValue): Promise<void> {
    checkKey(key);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      throw new StoreError('invalid', `config ${key} is not JSON`, { cause: err });
    }
    if (json === undefined) throw new StoreError('invalid', `config ${key} is not JSON`);
    const text = json;
    await guard(`set config ${key}`, async () => {
      const updated_at = this.#now();
      await this.#db
        .insertInto('config')
        .values({ key, value: text, updated_at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at }))
        .execute();
    });
  }

  /** Unsets `key`; true when it was set. */
  async remove(key: string): Promise<boolean> {
    checkKey(key);
    return guard(`remove config ${key}`, async () => {
      const result = await this.#db.deleteFrom('config').where('key', '=', key).executeTakeFirst();
      return toNumber(result.numDeletedRows) > 0;
    });
  }

  /** All settings whose key starts with `prefix`, by key. */
  async list(prefix = ''): Promise<ConfigEntry[]> {
    return guard('list config', async () => {
      const rows = await this.#db.selectFrom('config').selectAll().orderBy('key').execute();
      return rows
        .filter((r) => r.key.startsWith(prefix))
        .map((r) => ({ key: r.key, value: JSON.parse(r.value) as JsonValue, updatedAt: toNumber(r.updated_at) }));
    });
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) throw new StoreError('invalid', `bad config key: ${JSON.stringify(key)}`);
}
