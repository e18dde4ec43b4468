/**
 * The registrar's durable shadow (DESIGN §4: soft state with a durable
 * shadow). The registrar keeps live bindings in memory and writes each change
 * here; at start-up it loads the live ones back. The store does not apply
 * REGISTER rules (CSeq ordering, expiry limits): the registrar does.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { toNumber, type Clock } from './columns.js';
import { guard } from './errors.js';
import { bindingKey, bindingRow, toRegistration, type BindingIdentity, type BindingInput, type Registration } from './registration-record.js';
import type { Database } from './schema.js';

export class RegistrationRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Clock;

  constructor(db: Kysely<Database>, now: Clock = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Writes a binding: inserts it, or replaces the one with the same AOR and
   * {@link bindingKey} (keeping its id). Atomic under concurrent writers.
   * @throws StoreError `invalid`
   */
  async upsert(binding: BindingInput): Promise<Registration> {
    const row = bindingRow(binding, this.#now());
    return guard(`register ${row.aor}`, async () => {
      const stored = await this.#db
        .insertInto('registrations')
        .values({ id: randomUUID(), ...row })
        .onConflict((oc) =>
          oc.columns(['aor', 'binding_key']).doUpdateSet((eb) => ({
            contact_uri: eb.ref('excluded.contact_uri'),
            instance_id: eb.ref('excluded.instance_id'),
            reg_id: eb.ref('excluded.reg_id'),
            call_id: eb.ref('excluded.call_id'),
            cseq: eb.ref('excluded.cseq'),
            expires_at: eb.ref('excluded.expires_at'),
            path: eb.ref('excluded.path'),
            flow: eb.ref('excluded.flow'),
            gruu_pub: eb.ref('excluded.gruu_pub'),
            gruu_temp: eb.ref('excluded.gruu_temp'),
            user_agent: eb.ref('excluded.user_agent'),
            q: eb.ref('excluded.q'),
            received_at: eb.ref('excluded.received_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRegistration(stored);
    });
  }

  /** Removes one binding; true when it existed. */
  async remove(aor: string, identity: BindingIdentity): Promise<boolean> {
    const key = bindingKey(identity);
    return guard(`unregister ${aor}`, async () => {
      const result = await this.#db
        .deleteFrom('registrations')
        .where('aor', '=', aor)
        .where('binding_key', '=', key)
        .executeTakeFirst();
      return toNumber(result.numDeletedRows) > 0;
    });
  }

  /** Removes a binding by id; true when it existed. */
  async removeById(id: string): Promise<boolean> {
    return guard('unregister', async () => {
      const result = await this.#db.deleteFrom('registrations').where('id', '=', id).executeTakeFirst();
      return toNumber(result.numDeletedRows) > 0;
    });
  }

  /** Removes every binding of an AOR (REGISTER with `Contact: *`, RFC 3261 §10.2.2); returns how many. */
  async removeAll(aor: string): Promise<number> {
    return guard(`unregister all of ${aor}`, async () => {
      const result = await this.#db.deleteFrom('registrations').where('aor', '=', aor).executeTakeFirst();
      return toNumber(result.numDeletedRows);
    });
  }

  /** Bindings of an AOR that expire after `now`, oldest first. */
  async listLive(aor: string, now: number = this.#now()): Promise<Registration[]> {
    return guard(`bindings of ${aor}`, async () => {
      const rows = await this.#db
        .selectFrom('registrations')
        .selectAll()
        .where('aor', '=', aor)
        .where('expires_at', '>', now)
        .orderBy('received_at')
        .orderBy('id')
        .execute();
      return rows.map(toRegistration);
    });
  }

  /** Every binding that expires after `now`, by AOR: what the registrar loads at start-up. */
  async loadLive(now: number = this.#now()): Promise<Registration[]> {
    return guard('load bindings', async () => {
      const rows = await this.#db
        .selectFrom('registrations')
        .selectAll()
        .where('expires_at', '>', now)
        .orderBy('aor')
        .orderBy('received_at')
        .orderBy('id')
        .execute();
      return rows.map(toRegistration);
    });
  }

  /** Deletes bindings that expired at or before `now`; returns how many. */
  async purgeExpired(now: number = this.#now()): Promise<number> {
    return guard('purge expired bindings', async () => {
      const result = await this.#db.deleteFrom('registrations').where('expires_at', '<=', now).executeTakeFirst();
      return toNumber(result.numDeletedRows);
    });
  }

  /** How many bindings are live at `now`. */
  async countLive(now: number = this.#now()): Promise<number> {
    return guard('count bindings', async () => {
      const { n } = await this.#db
        .selectFrom('registrations')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      return toNumber(n as number | string | bigint);
    });
  }
}
