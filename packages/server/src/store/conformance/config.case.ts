/**
 * Config: JSON values by key.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StoreHarness } from '../store.conformance.js';
import { manualClock, rejectsWith, withStore } from './support.js';

export function configCases(h: StoreHarness): void {
  it('config: set, overwrite, list by prefix, remove; values round-trip as JSON', async () => {
    const clock = manualClock();
    await withStore(
      h,
      async (store) => {
        assert.equal(await store.config.get('registrar.maxExpires'), undefined);
        await store.config.set('registrar.maxExpires', 3600);
        clock.advance(5);
        await store.config.set('registrar.maxExpires', 7200);
        const value = { realms: ['example.com'], nested: { on: true, none: null }, n: 1.5 };
        await store.config.set('auth.digest', value);
        assert.equal(await store.config.get('registrar.maxExpires'), 7200);
        assert.deepEqual(await store.config.get('auth.digest'), value);
        assert.deepEqual(await store.config.list('registrar.'), [
          { key: 'registrar.maxExpires', value: 7200, updatedAt: clock() },
        ]);
        assert.equal((await store.config.list()).length, 2);
        assert.equal(await store.config.remove('auth.digest'), true);
        assert.equal(await store.config.remove('auth.digest'), false);
        await rejectsWith(store.config.set('bad key', 1), 'invalid');
        await rejectsWith(store.config.set('undefined.value', undefined as unknown as null), 'invalid');
      },
      { now: clock },
    );
  });
}
