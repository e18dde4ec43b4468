import './test-env.js';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { UserService } from '../../services/users/index.js';
import { openStore, type Store } from '../../store/index.js';
import { postgresOrSkip } from '../../testing/postgres.js';
import { tempStore } from '../../testing/sqlite.js';
import { SessionAuth } from './session-auth.js';
import { SessionRepo, type Session } from './session-repo.js';

/** Opens stores on one database; `cleanup` removes it. */
interface Target {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

function session(tokenHash: string, userId: string, expiresAt: number): Session {
  return { tokenHash, userId, address: 'alice@example.com', createdAt: T0, expiresAt, lastSeenAt: T0, userAgent: null, remoteAddress: '192.0.2.1' };
}

/** The same cases on every store driver (as the store's own conformance suite). */
function sessionCases(fresh: () => Promise<Target>): void {
  it('create, read while live, slide, remove, purge; a user\'s other sessions end', async () => {
    const t = await fresh();
    const store = await t.open();
    try {
      const users = new UserService(store);
      await users.addDomain('example.com');
      const { user } = await users.addUser({ address: 'alice@example.com', password: 'Maple-River-42' });
      const repo = new SessionRepo(store);
      await repo.create(session('a'.repeat(64), user.id, T0 + 1000));
      await repo.create(session('b'.repeat(64), user.id, T0 + 1000));
      await repo.create(session('c'.repeat(64), user.id, T0 + 10));
      assert.equal((await repo.getLive('a'.repeat(64), T0))?.address, 'alice@example.com');
      assert.equal(await repo.getLive('c'.repeat(64), T0 + 10), undefined, 'expired at its expiry');
      await repo.touch('a'.repeat(64), T0 + 500, T0 + 5000);
      const slid = await repo.getLive('a'.repeat(64), T0 + 2000);
      assert.deepEqual([slid?.lastSeenAt, slid?.expiresAt], [T0 + 500, T0 + 5000]);
      assert.equal(await repo.purgeExpired(T0 + 100), 1);
      assert.deepEqual(await repo.removeUser(user.id, 'a'.repeat(64)), ['b'.repeat(64)]);
      assert.ok(await repo.getLive('a'.repeat(64), T0));
      await repo.remove('a'.repeat(64));
      assert.equal(await repo.getLive('a'.repeat(64), T0), undefined);
      await repo.create(session('d'.repeat(64), user.id, T0 + 1000));
      await users.removeUser('alice@example.com');
      assert.equal(await repo.getLive('d'.repeat(64), T0), undefined, 'gone with the user');
    } finally {
      await store.close();
      await t.cleanup();
    }
  });

  it('a session opened on one front end is accepted by another on the same store', async () => {
    const t = await fresh();
    const [a, b] = [await t.open(), await t.open()];
    try {
      const users = new UserService(a);
      await users.addDomain('example.com');
      await users.addUser({ address: 'alice@example.com', password: 'Maple-River-42' });
      const { token } = await new SessionAuth(a, new SessionRepo(a)).signIn('alice@example.com', 'Maple-River-42', { ip: '192.0.2.1' });
      const request = { headers: { authorization: `Bearer ${token}` } } as unknown as FastifyRequest;
      const p = await new SessionAuth(b, new SessionRepo(b)).authenticate(request);
      assert.equal(p.user.address, 'alice@example.com');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await t.cleanup();
    }
  });
}

describe('sessions on SQLite', () => {
  sessionCases(async () => {
    const t = await tempStore();
    const file = `${t.dir}/parley.db`;
    await t.store.close();
    return { open: () => openStore({ driver: 'sqlite', file }), cleanup: t.cleanup };
  });
});

const pg = await postgresOrSkip();
if ('skip' in pg) {
  it('sessions on PostgreSQL', { skip: pg.skip }, () => {});
} else {
  after(() => pg.stop());
  describe('sessions on PostgreSQL', () => {
    sessionCases(async () => {
      const connectionString = await pg.createDatabase();
      return { open: () => openStore({ driver: 'postgres', connectionString }), cleanup: async () => undefined };
    });
  });
}
