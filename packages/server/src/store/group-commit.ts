/**
 * Group commit for the SQLite store: the hot writes (registrar bindings, IM
 * messages) of up to {@link MIN_COMMIT_INTERVAL_MS} go to the file in one
 * transaction.
 *
 * ```
 *   write(op) ──queue──► next turn, or 2 ms after the last commit ──► BEGIN IMMEDIATE; op1; op2; …; COMMIT
 *                                                                          │            ──► every promise resolves
 *                                                                          └─ throws ─► ROLLBACK, then each op alone
 *                                                                                       in its own transaction:
 *                                                                                       only the failing ones reject
 * ```
 *
 * An op's promise settles only after the COMMIT that holds it returned, so a
 * caller that answers after `await write(…)` never acknowledges anything the
 * file does not have (DESIGN §4: a crash loses nothing that was
 * acknowledged). With `synchronous=NORMAL` in WAL mode a commit survives a
 * crash of the process, as before; what changes is that one commit (one WAL
 * append) carries many writes instead of one, and that the statements are
 * prepared once and run on better-sqlite3 directly, without Kysely's query
 * building. Ops run in queue order, so two writes of the same row land in the
 * order they were asked for.
 *
 * The batches run on the event loop, on the store's own connection, while
 * Kysely's single connection is held (`db.connection()`), so a batch never
 * lands inside a transaction Kysely has open across awaits (an import, a
 * migration). (Running them in a worker thread with a connection of its own
 * was tried: the event loop spent as much posting batches and hearing back
 * as it saved, and a descheduled worker delayed every answer.)
 */
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import type { Database } from './schema.js';
import { runBatch, StatementCache, type OpOutcome, type WriteOp } from './write-batch.js';

export type { WriteOp } from './write-batch.js';

/** What a repository needs to write through a group commit. */
export interface GroupWriter {
  /**
   * Runs `op` in the next group transaction; resolves with its result (rows
   * changed, or the row returned) once that transaction committed.
   * @throws StoreError (`invalid`, `conflict`, `unavailable`: the op or the
   *   commit failed, nothing of it was written)
   */
  write(context: string, op: WriteOp & { readonly returns: 'changes' }): Promise<number>;
  write(context: string, op: WriteOp & { readonly returns: 'row' }): Promise<Record<string, unknown> | undefined>;
  /** A statement prepared once on the store's own connection (for reads: see {@link canReadNow}). */
  statement(sql: string): SqliteDatabase.Statement;
  /**
   * True when a read may run on the store's connection now: no transaction
   * is open on it (Kysely holds one across awaits during imports and
   * migrations; a read then would see its uncommitted rows). When false, read
   * through Kysely, which waits for it.
   */
  readonly canReadNow: boolean;
  /**
   * A number that changes whenever the file may have changed other than
   * through this writer: a write through Kysely in this process, or a commit
   * by another connection (`PRAGMA data_version`, looked at most every
   * {@link DATA_VERSION_POLL_MS}). Caches in front of the store keep entries
   * while it stays the same.
   */
  changeStamp(): number;
}

/** How often {@link GroupWriter.changeStamp} asks SQLite whether another connection wrote. */
export const DATA_VERSION_POLL_MS = 250;

/**
 * Least time between two commits, ms. A write after a quiet spell goes at the
 * end of its event-loop turn; under load the writes of up to this long share
 * a commit (BEGIN/COMMIT and the WAL append cost more than a small write).
 */
export const MIN_COMMIT_INTERVAL_MS = 2;

interface Job {
  readonly op: WriteOp;
  readonly context: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

function settle(job: Job, outcome: OpOutcome): void {
  if (outcome.ok) job.resolve(outcome.value);
  else job.reject(toStoreError(outcome.error, job.context));
}

/** The group commit on the event loop, on the store's own connection. */
export class SqliteGroupCommit implements GroupWriter {
  readonly #raw: SqliteDatabase.Database;
  readonly #kysely: Pick<Kysely<Database>, 'connection'>;
  readonly #reads: StatementCache;
  readonly #writes: StatementCache;
  #queue: Job[] = [];
  #scheduled = false;
  #lastCommitAt = -Infinity;
  /** Batches taken from the queue and not yet settled. */
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  readonly #kyselyWrites: { readonly count: number };
  readonly #clock: () => number;
  #dataVersion = -1;
  #dataVersionAt = -Infinity;
  #foreign = 0;
  /** Counters, for tests and metrics. */
  readonly stats = { transactions: 0, writes: 0 };

  /** `kyselyWrites`: the count of writes made through Kysely in this process. */
  constructor(
    raw: SqliteDatabase.Database,
    kysely: Pick<Kysely<Database>, 'connection'>,
    kyselyWrites: { readonly count: number } = { count: 0 },
    clock: () => number = Date.now,
  ) {
    this.#raw = raw;
    this.#kysely = kysely;
    this.#reads = new StatementCache(raw);
    this.#writes = new StatementCache(raw);
    this.#kyselyWrites = kyselyWrites;
    this.#clock = clock;
  }

  get canReadNow(): boolean {
    return !this.#closed && !this.#raw.inTransaction;
  }

  statement(sql: string): SqliteDatabase.Statement {
    return this.#reads.get(sql);
  }

  changeStamp(): number {
    const t = this.#clock();
    if (t - this.#dataVersionAt >= DATA_VERSION_POLL_MS && this.#raw.open) {
      this.#dataVersionAt = t;
      const v = this.statement('pragma data_version').pluck().get() as number;
      if (v !== this.#dataVersion) {
        this.#dataVersion = v;
        this.#foreign++;
      }
    }
    // Both counters only grow: their sum changes whenever either does.
    return this.#kyselyWrites.count + this.#foreign;
  }

  write(context: string, op: WriteOp & { readonly returns: 'changes' }): Promise<number>;
  write(context: string, op: WriteOp & { readonly returns: 'row' }): Promise<Record<string, unknown> | undefined>;
  write(context: string, op: WriteOp): Promise<unknown> {
    if (this.#closed) return Promise.reject(new StoreError('unavailable', `${context}: the store is closed`));
    return new Promise<unknown>((resolve, reject) => {
      this.#queue.push({ op, context, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        const wait = this.#lastCommitAt + MIN_COMMIT_INTERVAL_MS - performance.now();
        if (wait > 0) setTimeout(() => this.#flush(), wait);
        else setImmediate(() => this.#flush());
      }
    });
  }

  /** Writes everything queued now; resolves when every batch taken so far has settled. */
  async flush(): Promise<void> {
    if (this.#queue.length > 0) this.#flush();
    await Promise.all([...this.#inFlight]);
  }

  /** Flushes, then refuses further writes (before the file is closed). */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #flush(): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    if (jobs.length === 0) return;
    this.#queue = [];
    this.#lastCommitAt = performance.now();
    const batch = this.run(jobs).finally(() => this.#inFlight.delete(batch));
    this.#inFlight.add(batch);
  }

  /** Runs one batch; settles every job of it. Never rejects. */
  private run(jobs: Job[]): Promise<void> {
    return this.#kysely
      .connection()
      .execute(async () => {
        const outcomes = runBatch(this.#raw, this.#writes, jobs.map((j) => j.op));
        this.stats.transactions++;
        this.stats.writes += outcomes.length;
        for (let i = 0; i < jobs.length; i++) settle(jobs[i], outcomes[i]);
      })
      .catch((err: unknown) => {
        // The connection could not be had (store closed): nothing was written.
        for (const j of jobs) j.reject(toStoreError(err, j.context));
      });
  }
}
