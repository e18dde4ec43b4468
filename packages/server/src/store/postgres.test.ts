/**
 * The conformance suite on a real, throwaway PostgreSQL (a new database per
 * case), and what only the PostgreSQL driver promises. Without PostgreSQL
 * installed this file skips locally and fails under CI.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { postgresOrSkip } from '../testing/postgres.js';
import { openStore } from './open-store.js';
import { StoreError } from './errors.js';
import { storeConformance } from './store.conformance.js';

const server = await postgresOrSkip();

if ('skip' in server) {
  it('postgres store conformance', { skip: server.skip }, () => {});
} else {
  after(() => server.stop());

  storeConformance({
    driver: 'postgres',
    fresh: async () => {
      const connectionString = await server.createDatabase();
      return { open: (options) => openStore({ driver: 'postgres', connectionString, ...options }) };
    },
  });

  describe('postgres driver', () => {
    it('front ends starting at once migrate once', async () => {
      const connectionString = await server.createDatabase();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openStore({ driver: 'postgres', connectionString })),
      );
      try {
        const status = await stores[0].migrationStatus();
        assert.ok(status.every((m) => typeof m.executedAt === 'number'));
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('int8 parsing is the store pool only; pg global parsers are untouched', async () => {
      const connectionString = await server.createDatabase();
      const client = new pg.Client({ connectionString });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: unknown }>('select 9007199254740991::bigint as n');
        assert.equal(rows[0].n, '9007199254740991');
      } finally {
        await client.end();
      }
    });

    it('an unreachable server is unavailable, with bounded wait', async () => {
      const started = Date.now();
      await assert.rejects(
        openStore({
          driver: 'postgres',
          connectionString: 'postgres://postgres@127.0.0.1:1/none',
          pool: { connectionTimeoutMillis: 2000 },
        }),
        (err) => StoreError.is(err, 'unavailable'),
      );
      assert.ok(Date.now() - started < 5000);
    });

    it('import: a row taken by a concurrent transaction is reported, the rest commit (partial)', async () => {
      const connectionString = await server.createDatabase();
      const store = await openStore({ driver: 'postgres', connectionString });
      const other = new pg.Client({ connectionString });
      await other.connect();
      try {
        await store.domains.add('example.com');
        // Another writer holds an uncommitted row the import's pre-check cannot see.
        await other.query('begin');
        await other.query(
          `insert into users (id, address, domain, role, enabled, created_at, updated_at)
           values ('race', 'b@example.com', 'example.com', 'user', true, 1, 1)`,
        );
        const importing = store.users.createMany(
          [{ address: 'a@example.com' }, { address: 'b@example.com' }, { address: 'c@example.com' }],
          { partial: true },
        );
        await new Promise((r) => setTimeout(r, 300));
        await other.query('commit');
        const result = await importing;
        assert.deepEqual(
          result.created.map((u) => u.address),
          ['a@example.com', 'c@example.com'],
        );
        assert.deepEqual(
          result.errors.map((e) => [e.index, e.error.code]),
          [[1, 'conflict']],
        );
        assert.equal(await store.users.count(), 3);
      } finally {
        await other.end();
        await store.close();
      }
    });
  });
}
