/**
 * One group transaction of the SQLite store (`group-commit.ts`).
 */
import type SqliteDatabase from 'better-sqlite3';

/** One statement of a group transaction. */
export interface WriteOp {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** `changes`: the number of rows changed; `row`: the first row returned (RETURNING), or undefined. */
  readonly returns: 'changes' | 'row';
}

/** How one op ended: its value, or what it threw. */
export type OpOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Prepared statements by SQL text, for one connection. */
export class StatementCache {
  readonly #db: SqliteDatabase.Database;
  readonly #map = new Map<string, SqliteDatabase.Statement>();

  constructor(db: SqliteDatabase.Database) {
    this.#db = db;
  }

  get(sql: string): SqliteDatabase.Statement {
    let st = this.#map.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#map.set(sql, st);
    }
    return st;
  }
}

function runOp(cache: StatementCache, op: WriteOp): unknown {
  const st = cache.get(op.sql);
  return op.returns === 'row' ? st.get(...op.params) : st.run(...op.params).changes;
}

function failure(error: unknown): OpOutcome {
  return { ok: false, error };
}

/**
 * BEGIN IMMEDIATE; every op; COMMIT. If anything throws: ROLLBACK, then each
 * op alone in its own transaction, so that one bad op fails only itself.
 * Returns one outcome per op; an op is `ok` only once a COMMIT holding it
 * returned.
 */
export function runBatch(db: SqliteDatabase.Database, cache: StatementCache, ops: readonly WriteOp[]): OpOutcome[] {
  const values = new Array<unknown>(ops.length);
  try {
    cache.get('BEGIN IMMEDIATE').run();
    for (let i = 0; i < ops.length; i++) values[i] = runOp(cache, ops[i]);
    cache.get('COMMIT').run();
  } catch (err) {
    if (db.inTransaction) {
      try {
        cache.get('ROLLBACK').run();
      } catch {
        // the failure itself ended the transaction
      }
    }
    if (ops.length === 1) return [failure(err)];
    return ops.map((op) => runBatch(db, cache, [op])[0]);
  }
  return values.map((value) => ({ ok: true, value }));
}
