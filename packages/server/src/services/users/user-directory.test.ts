import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { tempStore } from '../../testing/sqlite.js';
import { UserDirectory } from './user-directory.js';
import { UserService } from './user-service.js';

async function setup() {
  const t = await tempStore();
  const users = new UserService(t.store);
  await users.addDomain('example.com');
  await users.addUser({ address: 'alice@example.com', password: 'Correct-Horse-9' });
  let clock = 1_700_000_000_000;
  let reads = 0;
  const getByAddress = t.store.users.getByAddress.bind(t.store.users);
  t.store.users.getByAddress = (a: string) => {
    reads++;
    return getByAddress(a);
  };
  const directory = new UserDirectory(t.store, 2000, 100, () => clock);
  return { ...t, users, directory, reads: () => reads, advance: (ms: number) => (clock += ms) };
}

test('SQLite: past the TTL an entry is kept without a read while nothing was written', async () => {
  const s = await setup();
  try {
    assert.equal((await s.directory.get('alice@example.com'))?.enabled, true);
    assert.equal(await s.directory.get('nobody@example.com'), undefined);
    assert.equal(s.reads(), 2);
    s.advance(30_000);
    assert.equal((await s.directory.get('alice@example.com'))?.enabled, true);
    assert.equal(await s.directory.get('nobody@example.com'), undefined);
    assert.equal(s.reads(), 2, 'no read: the store says nothing changed');
    s.advance(31_000);
    await s.directory.get('alice@example.com');
    assert.equal(s.reads(), 3, 'read again past the longest age');
  } finally {
    await s.cleanup();
  }
});

test('SQLite: a change made in this process is seen once the TTL is past', async () => {
  const s = await setup();
  try {
    await s.directory.get('alice@example.com');
    await s.users.setEnabled('alice@example.com', false);
    s.advance(2500);
    assert.equal((await s.directory.get('alice@example.com'))?.enabled, false);
    await s.users.addUser({ address: 'bob@example.com', password: 'Correct-Horse-9' });
    assert.equal(await s.directory.get('carol@example.com'), undefined);
    s.advance(2500);
    assert.ok(await s.directory.get('bob@example.com'));
  } finally {
    await s.cleanup();
  }
});

test('SQLite: a change made by another process (the CLI) is seen too', async () => {
  const s = await setup();
  try {
    await s.directory.get('alice@example.com');
    const cli = new SqliteDatabase(join(s.dir, 'parley.db'));
    try {
      cli.prepare('update users set enabled = 0 where address = ?').run('alice@example.com');
    } finally {
      cli.close();
    }
    await new Promise((r) => setTimeout(r, 300)); // the data_version poll
    s.advance(2500);
    assert.equal((await s.directory.get('alice@example.com'))?.enabled, false);
  } finally {
    await s.cleanup();
  }
});

test('without a change stamp (PostgreSQL) entries expire by time alone', async () => {
  const s = await setup();
  try {
    s.store.users.changeStamp = () => undefined;
    await s.directory.get('alice@example.com');
    s.advance(2500);
    await s.directory.get('alice@example.com');
    assert.equal(s.reads(), 2);
  } finally {
    await s.cleanup();
  }
});
