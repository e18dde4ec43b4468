/**
 * The SQLite group commit: writes of one turn share one transaction, every
 * promise settles only after that transaction's COMMIT, and a failure rejects
 * only what was not written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { StoreError } from './errors.js';
import { openStore, type Store } from './open-store.js';
import { binding } from './conformance/registrations.case.js';

const NOW = Date.UTC(2030, 0, 1);
const root = mkdtempSync(join(tmpdir(), 'parley-group-commit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

async function fresh(busyTimeoutMs?: number): Promise<{ store: Store; file: string }> {
  const file = join(root, `db${++files}`, 'parley.db');
  const store = await openStore({ driver: 'sqlite', file, now: () => NOW, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
  return { store, file };
}

/** Rows of `registrations` as another connection (another process) sees them. */
function rowsSeenByOthers(file: string): number {
  const other = new SqliteDatabase(file, { readonly: true });
  try {
    return (other.prepare('select count(*) as n from registrations').get() as { n: number }).n;
  } finally {
    other.close();
  }
}

describe('sqlite group commit', () => {
  it('writes of one turn share one transaction; each promise resolves after the COMMIT', async () => {
    const { store, file } = await fresh();
    try {
      const w = store.groupWriter!;
      assert.ok(w, 'the SQLite store has a group writer');
      const before = { ...(w as unknown as { stats: { transactions: number; writes: number } }).stats };
      const seenAtResolve: number[] = [];
      const writes = Array.from({ length: 20 }, (_, i) =>
        store.registrations.upsert(binding({ instanceId: `<urn:uuid:${i}>` })).then((r) => {
          seenAtResolve.push(rowsSeenByOthers(file));
          return r;
        }),
      );
      // Nothing is on the file before the turn ends.
      assert.equal(rowsSeenByOthers(file), 0);
      const rows = await Promise.all(writes);
      assert.equal(new Set(rows.map((r) => r.id)).size, 20);
      // Every caller heard back only once all 20 were committed.
      assert.deepEqual(seenAtResolve, Array(20).fill(20));
      const after = (w as unknown as { stats: { transactions: number; writes: number } }).stats;
      assert.equal(after.transactions - before.transactions, 1);
      assert.equal(after.writes - before.writes, 20);
    } finally {
      await store.close();
    }
  });

  it('keeps the order of writes to the same row and returns the kept id', async () => {
    const { store } = await fresh();
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.registrations.upsert(binding({ cseq: i + 1 }))));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      const [live] = await store.registrations.listLive(binding().aor, NOW);
      assert.equal(live.cseq, 10);
      assert.deepEqual(live, results[9]);
    } finally {
      await store.close();
    }
  });

  it('one failing write rejects alone; the others of its batch land', async () => {
    const { store, file } = await fresh();
    try {
      const w = store.groupWriter!;
      const good = [store.registrations.upsert(binding({ instanceId: '<urn:uuid:a>' })), store.registrations.upsert(binding({ instanceId: '<urn:uuid:b>' }))];
      const bad = w.write('bad write', { sql: 'insert into registrations (id) values (null)', params: [], returns: 'changes' });
      const [a, b, c] = await Promise.allSettled([...good, bad]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'fulfilled');
      assert.equal(c.status, 'rejected');
      assert.ok(StoreError.is((c as PromiseRejectedResult).reason, 'invalid'), String((c as PromiseRejectedResult).reason));
      assert.equal(rowsSeenByOthers(file), 2);
    } finally {
      await store.close();
    }
  });

  it('a commit that fails (file locked by another process) rejects every write of it: nothing acknowledged, nothing written', async () => {
    const { store, file } = await fresh(20);
    const other = new SqliteDatabase(file);
    try {
      other.prepare('begin immediate').run();
      const results = await Promise.allSettled([
        store.registrations.upsert(binding({ instanceId: '<urn:uuid:a>' })),
        store.registrations.upsert(binding({ instanceId: '<urn:uuid:b>' })),
      ]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(StoreError.is((r as PromiseRejectedResult).reason, 'unavailable'), String((r as PromiseRejectedResult).reason));
      }
      other.prepare('rollback').run();
      assert.equal(rowsSeenByOthers(file), 0);
      // The writer is usable again once the lock is gone.
      await store.registrations.upsert(binding());
      assert.equal(rowsSeenByOthers(file), 1);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('waits for a Kysely transaction open across awaits instead of writing inside it', async () => {
    const { store, file } = await fresh();
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const trx = store.db.transaction().execute(async (t) => {
        await t.insertInto('domains').values({ name: 'example.com', is_default: 1, created_at: NOW } as never).execute();
        await held;
        throw new Error('roll back');
      });
      const write = store.registrations.upsert(binding());
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(rowsSeenByOthers(file), 0, 'not written inside the open transaction');
      release();
      await assert.rejects(trx, /roll back/);
      await write;
      assert.equal(rowsSeenByOthers(file), 1, 'written after it, and not rolled back with it');
    } finally {
      await store.close();
    }
  });

  it('close() lands queued writes first; writes after close fail unavailable', async () => {
    const { store, file } = await fresh();
    const queued = store.registrations.upsert(binding());
    await store.close();
    await queued;
    assert.equal(rowsSeenByOthers(file), 1);
    await assert.rejects(store.registrations.upsert(binding({ cseq: 2 })), (e: unknown) => StoreError.is(e, 'unavailable'));
  });
});


describe('sqlite background checkpoint', () => {
  it('moves committed pages into the file from a worker, with the automatic checkpoint off; close stops it', async () => {
    const file = join(root, `db${++files}`, 'parley.db');
    const store = await openStore({ driver: 'sqlite', file, now: () => NOW, backgroundCheckpoint: true, checkpointIntervalMs: 50 });
    try {
      const { rows } = await sql.raw<{ wal_autocheckpoint: number }>('pragma wal_autocheckpoint').execute(store.db);
      assert.equal(rows[0].wal_autocheckpoint, 0);
      const before = statSync(file).size;
      await Promise.all(Array.from({ length: 500 }, (_, i) => store.registrations.upsert(binding({ instanceId: `<urn:uuid:${i}>`, userAgent: 'x'.repeat(200) }))));
      assert.equal(statSync(file).size, before, 'the commit itself leaves the pages in the WAL');
      const deadline = Date.now() + 5000;
      while (statSync(file).size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(statSync(file).size > before, 'the worker copied them into the file');
    } finally {
      await store.close();
    }
    // Everything is there for the next opener.
    assert.equal(rowsSeenByOthers(file), 500);
  });
});
