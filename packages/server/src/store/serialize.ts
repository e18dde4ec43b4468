/**
 * Serialising transactions that keep an invariant no index can hold alone
 * (e.g. "one default domain" while defaults move).
 *
 * SQLite needs nothing: transactions begin IMMEDIATE and so run one at a
 * time. PostgreSQL at READ COMMITTED lets two such transactions interleave,
 * so there the transaction takes a transaction-scoped advisory lock named by
 * `topic` — the one dialect branch of the repositories.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** Waits until no other transaction holds `topic`; released at commit or rollback. */
export async function serialize<DB>(trx: Kysely<DB>, topic: string): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`select pg_advisory_xact_lock(hashtext(${`parley:${topic}`}))`.execute(trx);
  }
}
