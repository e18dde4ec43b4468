/**
 * Domains: add, list, default, remove.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StoreHarness } from '../store.conformance.js';
import { manualClock, rejectsWith, withStore } from './support.js';

export function domainCases(h: StoreHarness): void {
  it('domains: add normalises the name; the first one becomes default', async () => {
    const clock = manualClock();
    await withStore(
      h,
      async (store) => {
        const a = await store.domains.add('  Example.COM. ');
        assert.deepEqual(a, { name: 'example.com', isDefault: true, createdAt: clock() });
        const b = await store.domains.add('other.example');
        assert.equal(b.isDefault, false);
        assert.deepEqual(
          (await store.domains.list()).map((d) => d.name),
          ['example.com', 'other.example'],
        );
        assert.equal((await store.domains.get('EXAMPLE.com'))?.name, 'example.com');
        assert.equal(await store.domains.get('missing.example'), undefined);
      },
      { now: clock },
    );
  });

  it('domains: exactly one default, moved by setDefault and by add(isDefault)', async () => {
    await withStore(h, async (store) => {
      assert.equal(await store.domains.getDefault(), undefined);
      await store.domains.add('a.example');
      await store.domains.add('b.example');
      assert.equal((await store.domains.getDefault())?.name, 'a.example');
      assert.equal((await store.domains.setDefault('B.example')).isDefault, true);
      assert.equal((await store.domains.getDefault())?.name, 'b.example');
      await store.domains.add('c.example', { isDefault: true });
      const defaults = (await store.domains.list()).filter((d) => d.isDefault).map((d) => d.name);
      assert.deepEqual(defaults, ['c.example']);
      await rejectsWith(store.domains.setDefault('missing.example'), 'not-found');
      assert.equal((await store.domains.getDefault())?.name, 'c.example');
    });
  });

  it('domains: duplicate is conflict, bad name is invalid', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await rejectsWith(store.domains.add('EXAMPLE.COM'), 'conflict');
      for (const bad of ['', 'a..b', '-a.example', 'a_b.example', 'x'.repeat(64) + '.example', 'a b']) {
        await rejectsWith(store.domains.add(bad), 'invalid');
      }
      assert.equal((await store.domains.list()).length, 1);
    });
  });

  it('domains: remove refuses while users exist, unless force', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await store.domains.add('empty.example');
      await store.users.create({ address: 'alice@example.com' });
      await store.users.create({ address: 'bob@example.com' });
      await rejectsWith(store.domains.remove('example.com'), 'conflict');
      assert.equal(await store.users.count(), 2);
      assert.deepEqual(await store.domains.remove('empty.example'), { usersRemoved: 0 });
      assert.deepEqual(await store.domains.remove('example.com', { force: true }), { usersRemoved: 2 });
      assert.equal(await store.users.count(), 0);
      assert.deepEqual(await store.domains.list(), []);
      await rejectsWith(store.domains.remove('example.com'), 'not-found');
    });
  });
}
