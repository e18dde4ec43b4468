/**
 * Migrations: applied on open, idempotent, optional, and durable state
 * survives a reopen.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { knownMigrations } from '../migrate.js';
import { StoreError } from '../errors.js';
import type { StoreHarness } from '../store.conformance.js';
import { rejectsWith, withStore } from './support.js';

export function migrationCases(h: StoreHarness): void {
  it('open applies every known migration', async () => {
    await withStore(h, async (store) => {
      assert.equal(store.driver, h.driver);
      const status = await store.migrationStatus();
      assert.deepEqual(
        status.map((m) => m.name),
        knownMigrations(),
      );
      for (const m of status) assert.equal(typeof m.executedAt, 'number', `${m.name} applied`);
    });
  });

  it('migrating again is a no-op, from the same store and from a new one', async () => {
    await withStore(h, async (store, target) => {
      assert.deepEqual(await store.migrate(), { applied: [] });
      await store.domains.add('example.com');
      const again = await target.open();
      try {
        assert.deepEqual(await again.migrate(), { applied: [] });
        assert.equal((await again.domains.get('example.com'))?.name, 'example.com');
      } finally {
        await again.close();
      }
    });
  });

  it('data survives close and reopen', async () => {
    const target = await h.fresh();
    const first = await target.open();
    await first.domains.add('example.com');
    await first.users.create({ address: 'alice@example.com', displayName: 'Alice' });
    await first.close();
    const second = await target.open();
    try {
      assert.equal((await second.users.getByAddress('alice@example.com'))?.displayName, 'Alice');
    } finally {
      await second.close();
    }
  });

  it('migrate: false leaves a fresh database unmigrated until migrate()', async () => {
    const target = await h.fresh();
    const store = await target.open({ migrate: false });
    try {
      const pending = await store.migrationStatus();
      assert.ok(pending.every((m) => m.executedAt === undefined));
      await rejectsWith(store.domains.list(), 'unavailable');
      assert.deepEqual(await store.migrate(), { applied: [...knownMigrations()] });
      assert.deepEqual(await store.domains.list(), []);
    } finally {
      await store.close();
    }
  });

  it('close is idempotent; use after close is unavailable', async () => {
    const target = await h.fresh();
    const store = await target.open();
    assert.equal(store.closed, false);
    const a = store.close();
    const b = store.close();
    assert.equal(a, b);
    await a;
    await store.close();
    assert.equal(store.closed, true);
    const err = await rejectsWith(store.domains.list(), 'unavailable');
    assert.ok(err instanceof StoreError);
  });
}
