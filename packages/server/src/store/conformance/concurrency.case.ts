/**
 * Concurrent writers lose nothing and break no invariant.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { StoreError } from '../errors.js';
import type { StoreHarness } from '../store.conformance.js';
import { binding } from './registrations.case.js';
import { withStore } from './support.js';

const NOW = Date.UTC(2030, 0, 1);

export function concurrencyCases(h: StoreHarness): void {
  it('concurrency: parallel creates all land; the same address lands once', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.users.create({ address: `u${i}@example.com` })));
      assert.equal(await store.users.count(), 50);
      const racers = await Promise.allSettled(
        Array.from({ length: 20 }, () => store.users.create({ address: 'same@example.com' })),
      );
      assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of racers) {
        if (r.status === 'rejected') assert.ok(StoreError.is(r.reason, 'conflict'), String(r.reason));
      }
    });
  });

  it('concurrency: parallel upserts keep one row per key and every distinct key', async () => {
    await withStore(h, async (store) => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.registrations.upsert(binding({ instanceId: `<urn:uuid:${i}>` }))),
      );
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.registrations.upsert(binding({ instanceId: '<urn:uuid:0>', cseq: i + 10 }))),
      );
      const live = await store.registrations.listLive(binding().aor, NOW);
      assert.equal(live.length, 50);
      assert.equal(new Set(results.map((r) => r.id)).size, 1, 'one row for the key');
      const cseq = live.find((b) => b.instanceId === '<urn:uuid:0>')?.cseq ?? 0;
      assert.ok(cseq >= 10 && cseq < 40, 'the row holds one of the writes');
    });
  });

  it('concurrency: interleaved transactions (imports, default switches, updates) lose nothing', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await store.users.create({ address: 'counter@example.com' });
      const jobs: Promise<unknown>[] = [];
      for (let batch = 0; batch < 5; batch++) {
        jobs.push(
          store.users.createMany(Array.from({ length: 40 }, (_, i) => ({ address: `b${batch}-${i}@example.com` }))),
        );
        jobs.push(store.domains.add(`d${batch}.example`, { isDefault: true }));
        jobs.push(store.users.setEnabled('counter@example.com', batch % 2 === 0));
        jobs.push(store.config.set(`test.key${batch}`, { batch }));
      }
      await Promise.all(jobs);
      assert.equal(await store.users.count(), 1 + 5 * 40);
      const defaults = (await store.domains.list()).filter((d) => d.isDefault);
      assert.equal(defaults.length, 1);
      assert.equal((await store.config.list('test.')).length, 5);
    });
  });

  it('concurrency: two stores on one database see each other and lose nothing', async () => {
    await withStore(h, async (a, target) => {
      await a.domains.add('example.com');
      const b = await target.open();
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).users.create({ address: `x${i}@example.com` }),
          ),
        );
        assert.equal(await a.users.count(), 40);
        assert.equal(await b.users.count(), 40);
      } finally {
        await b.close();
      }
    });
  });
}
