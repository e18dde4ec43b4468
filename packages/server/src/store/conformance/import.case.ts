/**
 * Bulk import: one transaction, every bad row reported, all or nothing
 * unless partial.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NewUser } from '../user-record.js';
import type { StoreHarness } from '../store.conformance.js';
import { withStore } from './support.js';

export function importCases(h: StoreHarness): void {
  it('import: all good rows are created, in input order', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      const rows: NewUser[] = Array.from({ length: 1203 }, (_, i) => ({
        address: `user${String(1203 - i).padStart(5, '0')}@example.com`,
        displayName: `User ${i}`,
      }));
      const result = await store.users.createMany(rows);
      assert.equal(result.committed, true);
      assert.deepEqual(result.errors, []);
      assert.equal(result.created.length, rows.length);
      assert.deepEqual(
        result.created.map((u) => u.address),
        rows.map((r) => r.address),
      );
      assert.equal(await store.users.count(), rows.length);
    });
  });

  it('import: one bad row and nothing is written; every bad row is reported', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await store.users.create({ address: 'taken@example.com' });
      const rows: NewUser[] = [
        { address: 'a@example.com' },
        { address: 'not an address' },
        { address: 'b@example.com' },
        { address: 'A@EXAMPLE.COM' },
        { address: 'taken@example.com' },
        { address: 'c@nowhere.example' },
        { address: 'd@example.com', role: 'boss' as 'admin' },
        { address: 'e@example.com' },
      ];
      const result = await store.users.createMany(rows);
      assert.equal(result.committed, false);
      assert.deepEqual(result.created, []);
      assert.deepEqual(
        result.errors.map((e) => [e.index, e.address, e.error.code]),
        [
          [1, 'not an address', 'invalid'],
          [3, 'A@EXAMPLE.COM', 'conflict'],
          [4, 'taken@example.com', 'conflict'],
          [5, 'c@nowhere.example', 'invalid'],
          [6, 'd@example.com', 'invalid'],
        ],
      );
      assert.equal(await store.users.count(), 1, 'the transaction rolled back');
      assert.equal(await store.users.getByAddress('a@example.com'), undefined);
    });
  });

  it('import: partial commits the good rows and reports the bad', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await store.users.create({ address: 'taken@example.com' });
      const result = await store.users.createMany(
        [{ address: 'a@example.com' }, { address: 'taken@example.com' }, { address: 'b@example.com' }],
        { partial: true },
      );
      assert.equal(result.committed, true);
      assert.deepEqual(
        result.created.map((u) => u.address),
        ['a@example.com', 'b@example.com'],
      );
      assert.deepEqual(
        result.errors.map((e) => [e.index, e.error.code]),
        [[1, 'conflict']],
      );
      assert.equal(await store.users.count(), 3);
    });
  });

  it('import: an empty batch commits nothing and fails nothing', async () => {
    await withStore(h, async (store) => {
      assert.deepEqual(await store.users.createMany([]), { committed: true, created: [], errors: [] });
    });
  });
}
