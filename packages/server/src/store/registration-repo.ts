/**
 * The registrar's durable shadow (DESIGN §4: soft state with a durable
 * shadow). The registrar keeps live bindings in memory and writes each change
 * here; at start-up it loads the live ones back. The store does not apply
 * REGISTER rules (CSeq ordering, expiry limits): the registrar does.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isInteger, toNumber, type Clock } from './columns.js';
import { guard, StoreError } from './errors.js';
import type { GroupWriter } from './group-commit.js';
import { bindingKey, bindingRow, toRegistration, type BindingIdentity, type BindingInput, type Registration } from './registration-record.js';
import type { Database } from './schema.js';

/** The columns of a row in insert order (the SQLite group-commit path binds them positionally). */
const COLUMNS = [
  'id',
  'aor',
  'binding_key',
  'contact_uri',
  'instance_id',
  'reg_id',
  'call_id',
  'cseq',
  'expires_at',
  'path',
  'flow',
  'gruu_pub',
  'gruu_temp',
  'user_agent',
  'q',
  'received_at',
] as const;

/** The SQLite text of {@link RegistrationRepo.upsert}: what Kysely builds, prepared once. */
const UPSERT_SQL =
  `insert into "registrations" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) ` +
  `on conflict ("aor", "binding_key") do update set ${COLUMNS.slice(3)
    .map((c) => `"${c}" = "excluded"."${c}"`)
    .join(', ')} returning "id"`;

/** The SQLite text of {@link RegistrationRepo.refresh}. */
const REFRESH_SQL = 'update "registrations" set "call_id" = ?, "cseq" = ?, "expires_at" = ?, "received_at" = ? where "id" = ?';

/** A copy of `s` that shares no memory with the string it was cut from (V8 keeps a slice's parent alive). */
function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export class RegistrationRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Clock;
  readonly #writer: GroupWriter | undefined;

  /** `writer`: SQLite's group commit; without it (PostgreSQL) every write is its own Kysely query. */
  constructor(db: Kysely<Database>, now: Clock = Date.now, writer?: GroupWriter) {
    this.#db = db;
    this.#now = now;
    this.#writer = writer;
  }

  /** A write through the group commit (SQLite) or Kysely (PostgreSQL). */
  #changes(context: string, sql: string, params: unknown[], portable: () => Promise<number>): Promise<number> {
    const w = this.#writer;
    if (w === undefined) return guard(context, portable);
    return w.write(context, { sql, params, returns: 'changes' });
  }

  /**
   * Writes a binding: inserts it, or replaces the one with the same AOR and
   * {@link bindingKey} (keeping its id). Atomic under concurrent writers.
   * @throws StoreError `invalid`
   */
  async upsert(binding: BindingInput): Promise<Registration> {
    const row = bindingRow(binding, this.#now());
    const w = this.#writer;
    if (w !== undefined) {
      const full = { id: randomUUID(), ...row };
      const params = COLUMNS.map((c) => full[c] ?? null);
      const stored = await w.write(`register ${row.aor}`, { sql: UPSERT_SQL, params, returns: 'row' });
      const id = (stored as { id: string }).id;
      // The registrar keeps the record for the binding's life: its texts are
      // copied, not left as slices of the REGISTER they were parsed from
      // (which would keep that whole message alive).
      return toRegistration({
        ...full,
        id,
        aor: own(full.aor),
        contact_uri: own(full.contact_uri),
        instance_id: full.instance_id == null ? null : own(full.instance_id),
        call_id: own(full.call_id),
        gruu_pub: full.gruu_pub == null ? null : own(full.gruu_pub),
        gruu_temp: full.gruu_temp == null ? null : own(full.gruu_temp),
        user_agent: full.user_agent == null ? null : own(full.user_agent),
      } as Parameters<typeof toRegistration>[0]);
    }
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

  /**
   * A refresh of a stored binding that changed nothing but its Call-ID, CSeq
   * and times (the usual REGISTER: same device and flow, RFC 3261 §10.2.4;
   * a UA that restarts, or SIPp, takes a new Call-ID): updates those four
   * columns of row `id`, cheaper than
   * {@link upsert} (on SQLite about half the time). False when the row is
   * gone (the caller upserts instead).
   * @throws StoreError `invalid`
   */
  async refresh(id: string, callId: string, cseq: number, expiresAt: number, receivedAt: number = this.#now()): Promise<boolean> {
    if (typeof callId !== 'string' || callId.length === 0) throw new StoreError('invalid', 'callId must be non-empty text');
    if (!isInteger(cseq) || cseq < 0 || cseq >= 2 ** 31) throw new StoreError('invalid', 'cseq must be 0..2^31-1');
    if (!isInteger(expiresAt) || !isInteger(receivedAt)) throw new StoreError('invalid', 'expiresAt and receivedAt must be integer ms epochs');
    const n = await this.#changes('refresh binding', REFRESH_SQL, [callId, cseq, expiresAt, receivedAt, id], async () => {
      const result = await this.#db
        .updateTable('registrations')
        .set({ call_id: callId, cseq, expires_at: expiresAt, received_at: receivedAt })
        .where('id', '=', id)
        .executeTakeFirst();
      return toNumber(result.numUpdatedRows);
    });
    return n > 0;
  }

  /** Removes one binding; true when it existed. */
  async remove(aor: string, identity: BindingIdentity): Promise<boolean> {
    const key = bindingKey(identity);
    const n = await this.#changes(`unregister ${aor}`, 'delete from "registrations" where "aor" = ? and "binding_key" = ?', [aor, key], async () => {
      const result = await this.#db
        .deleteFrom('registrations')
        .where('aor', '=', aor)
        .where('binding_key', '=', key)
        .executeTakeFirst();
      return toNumber(result.numDeletedRows);
    });
    return n > 0;
  }

  /** Removes a binding by id; true when it existed. */
  async removeById(id: string): Promise<boolean> {
    const n = await this.#changes('unregister', 'delete from "registrations" where "id" = ?', [id], async () => {
      const result = await this.#db.deleteFrom('registrations').where('id', '=', id).executeTakeFirst();
      return toNumber(result.numDeletedRows);
    });
    return n > 0;
  }

  /** Removes every binding of an AOR (REGISTER with `Contact: *`, RFC 3261 §10.2.2); returns how many. */
  async removeAll(aor: string): Promise<number> {
    return this.#changes(`unregister all of ${aor}`, 'delete from "registrations" where "aor" = ?', [aor], async () => {
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
    return this.#changes('purge expired bindings', 'delete from "registrations" where "expires_at" <= ?', [now], async () => {
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
