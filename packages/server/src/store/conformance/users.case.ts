/**
 * Users: create, look up, list and search, change, remove.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Store } from '../open-store.js';
import type { NewUser } from '../user-record.js';
import type { StoreHarness } from '../store.conformance.js';
import { HA1, manualClock, rejectsWith, withStore } from './support.js';

async function seed(store: Store): Promise<void> {
  await store.domains.add('example.com');
  await store.domains.add('other.example');
  const users: NewUser[] = [
    { address: 'alice@example.com', displayName: 'Alice Liddell', phone: '+15550100' },
    { address: 'bob@example.com', displayName: 'Bob 100% Real', role: 'admin' },
    { address: 'carol@other.example', displayName: 'Carol', enabled: false, phone: '4711' },
    { address: 'dave_x@example.com', displayName: null },
  ];
  for (const u of users) await store.users.create(u);
}

export function userCases(h: StoreHarness): void {
  it('users: create stores every field; lookups ignore case and sip:', async () => {
    const clock = manualClock();
    await withStore(
      h,
      async (store) => {
        await store.domains.add('example.com');
        const created = await store.users.create({
          address: 'Alice@Example.COM',
          displayName: ' Alice ',
          role: 'admin',
          phone: '+1 (555) 0100',
          credentials: { ha1Md5: HA1.md5.toUpperCase(), ha1Sha256: HA1.sha256, ha1Sha512_256: HA1.sha512_256, passwordHash: '$scrypt$x' },
        });
        assert.match(created.id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(created, {
          id: created.id,
          address: 'alice@example.com',
          domain: 'example.com',
          displayName: 'Alice',
          enabled: true,
          role: 'admin',
          credentials: { ha1Md5: HA1.md5, ha1Sha256: HA1.sha256, ha1Sha512_256: HA1.sha512_256, passwordHash: '$scrypt$x' },
          phone: '+15550100',
          createdAt: clock(),
          updatedAt: clock(),
        });
        assert.deepEqual(await store.users.getByAddress('sip:ALICE@example.com'), created);
        assert.deepEqual(await store.users.getById(created.id), created);
        assert.equal(await store.users.getByAddress('nobody@example.com'), undefined);
        const plain = await store.users.create({ address: 'bob@example.com' });
        assert.equal(plain.role, 'user');
        assert.equal(plain.enabled, true);
        assert.deepEqual(plain.credentials, { ha1Md5: null, ha1Sha256: null, ha1Sha512_256: null, passwordHash: null });
      },
      { now: clock },
    );
  });

  it('users: same address in any case is conflict; bad input is invalid', async () => {
    await withStore(h, async (store) => {
      await store.domains.add('example.com');
      await store.users.create({ address: 'alice@example.com' });
      await rejectsWith(store.users.create({ address: 'ALICE@example.com' }), 'conflict');
      await rejectsWith(store.users.create({ address: 'x@unknown.example' }), 'invalid');
      await rejectsWith(store.users.create({ address: 'no-at-sign' }), 'invalid');
      await rejectsWith(store.users.create({ address: 'a b@example.com' }), 'invalid');
      await rejectsWith(store.users.create({ address: 'x@example.com', credentials: { ha1Md5: 'zz' } }), 'invalid');
      await rejectsWith(store.users.create({ address: 'x@example.com', credentials: { ha1Sha256: HA1.md5 } }), 'invalid');
      await rejectsWith(store.users.create({ address: 'x@example.com', role: 'root' as 'admin' }), 'invalid');
      await rejectsWith(store.users.create({ address: 'x@example.com', phone: 'call me' }), 'invalid');
      await assert.rejects(
        store.users.create({ address: 'x@example.com', password: 'secret' } as NewUser),
        TypeError,
      );
      assert.equal(await store.users.count(), 1);
    });
  });

  it('users: list pages by address; search is case-insensitive and literal', async () => {
    await withStore(h, async (store) => {
      await seed(store);
      const all = await store.users.list();
      assert.deepEqual(
        all.map((u) => u.address),
        ['alice@example.com', 'bob@example.com', 'carol@other.example', 'dave_x@example.com'].sort(),
      );
      const page1 = await store.users.list({ limit: 2 });
      const page2 = await store.users.list({ limit: 2, offset: 2 });
      assert.deepEqual([...page1, ...page2], all);
      assert.deepEqual(await store.users.list({ offset: 10 }), []);
      const addresses = async (search: string) => (await store.users.list({ search })).map((u) => u.address);
      assert.deepEqual(await addresses('LIDDELL'), ['alice@example.com']);
      assert.deepEqual(await addresses('%'), ['bob@example.com']);
      assert.deepEqual(await addresses('_'), ['dave_x@example.com']);
      assert.deepEqual(await addresses('555'), ['alice@example.com']);
      assert.deepEqual(await addresses('other.EXAMPLE'), ['carol@other.example']);
      assert.deepEqual(await addresses('nothing-like-this'), []);
      await rejectsWith(store.users.list({ limit: 0 }), 'invalid');
      await rejectsWith(store.users.list({ offset: -1 }), 'invalid');
    });
  });

  it('users: filters and count agree', async () => {
    await withStore(h, async (store) => {
      await seed(store);
      assert.equal(await store.users.count(), 4);
      assert.equal(await store.users.count({ domain: 'Example.com' }), 3);
      assert.equal(await store.users.count({ enabled: false }), 1);
      assert.equal(await store.users.count({ role: 'admin' }), 1);
      assert.equal(await store.users.count({ search: 'a', domain: 'example.com', enabled: true }), 3);
      const disabled = await store.users.list({ enabled: false });
      assert.deepEqual(
        disabled.map((u) => u.address),
        ['carol@other.example'],
      );
      assert.equal(typeof (await store.users.count()), 'number');
    });
  });

  it('users: setEnabled, setCredentials and update change fields and updatedAt', async () => {
    const clock = manualClock();
    await withStore(
      h,
      async (store) => {
        await seed(store);
        const before = await store.users.getByAddress('alice@example.com');
        clock.advance(1000);
        const disabled = await store.users.setEnabled('Alice@example.com', false);
        assert.equal(disabled.enabled, false);
        assert.equal(disabled.updatedAt, before!.createdAt + 1000);
        assert.equal(disabled.createdAt, before!.createdAt);
        const creds = await store.users.setCredentials('alice@example.com', { ha1Md5: HA1.md5, passwordHash: '$scrypt$y' });
        assert.deepEqual(creds.credentials, { ha1Md5: HA1.md5, ha1Sha256: null, ha1Sha512_256: null, passwordHash: '$scrypt$y' });
        const cleared = await store.users.setCredentials('alice@example.com', { ha1Md5: null });
        assert.equal(cleared.credentials.ha1Md5, null);
        assert.equal(cleared.credentials.passwordHash, '$scrypt$y');
        const updated = await store.users.update('alice@example.com', { displayName: 'Alice L.', role: 'admin', phone: null });
        assert.equal(updated.displayName, 'Alice L.');
        assert.equal(updated.role, 'admin');
        assert.equal(updated.phone, null);
        assert.equal(updated.enabled, false);
        await rejectsWith(store.users.setEnabled('nobody@example.com', true), 'not-found');
        await rejectsWith(store.users.update('nobody@example.com', { displayName: 'x' }), 'not-found');
        await rejectsWith(store.users.setCredentials('alice@example.com', { ha1Sha512_256: 'nothex' }), 'invalid');
      },
      { now: clock },
    );
  });

  it('users: remove deletes; removing an unknown user is not-found', async () => {
    await withStore(h, async (store) => {
      await seed(store);
      await store.users.remove('BOB@example.com');
      assert.equal(await store.users.getByAddress('bob@example.com'), undefined);
      assert.equal(await store.users.count(), 3);
      await rejectsWith(store.users.remove('bob@example.com'), 'not-found');
    });
  });
}
