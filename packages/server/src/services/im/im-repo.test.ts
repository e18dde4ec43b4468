/**
 * ImRepo on both stores (the same cases, after Hono's conformance habit):
 * SQLite always, PostgreSQL when its binaries are installed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresOrSkip } from '../../testing/postgres.js';
import { tempStore } from '../../testing/sqlite.js';
import { openStore } from '../../store/index.js';
import { conversationKey, ImRepo } from './im-repo.js';

const T0 = 1_700_000_000_000;

type Setup = () => Promise<{ repo: ImRepo; cleanup(): Promise<void> }>;

const sqlite: Setup = async () => {
  const t = await tempStore(() => T0);
  return { repo: new ImRepo(t.store), cleanup: t.cleanup };
};

const pgServer = await postgresOrSkip();
if (!('skip' in pgServer)) after(() => pgServer.stop());
const postgres: Setup | undefined =
  'skip' in pgServer
    ? undefined
    : async () => {
        const store = await openStore({ driver: 'postgres', connectionString: await pgServer.createDatabase(), now: () => T0 });
        return { repo: new ImRepo(store), cleanup: () => store.close() };
      };

const msg = (from: string, to: string, sentAt: number, body = `${from}→${to}@${sentAt}`) => ({
  from,
  to,
  contentType: 'text/plain;charset=UTF-8',
  body,
  sentAt,
  callId: `c-${sentAt}`,
});

function cases(setup: Setup): void {
  test('a conversation has one key whoever writes first', () => {
    assert.equal(conversationKey('bob@x.com', 'alice@x.com'), conversationKey('alice@x.com', 'bob@x.com'));
    assert.equal(conversationKey('alice@x.com', 'bob@x.com'), 'alice@x.com bob@x.com');
  });

  test('a stored message is pending until a device takes it; delivered keeps its time', async () => {
    const s = await setup();
    try {
      const m = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0));
      assert.equal(m.status, 'pending');
      assert.deepEqual((await s.repo.pending('bob@x.com')).map((p) => p.id), [m.id]);
      assert.deepEqual(await s.repo.pendingRecipients(), ['bob@x.com']);
      await s.repo.markDelivered(m.id, T0 + 5);
      const got = await s.repo.get(m.id);
      assert.equal(got?.status, 'delivered');
      assert.equal(got?.deliveredAt, T0 + 5);
      assert.equal(got?.body, m.body);
      assert.equal(got?.contentType, 'text/plain;charset=UTF-8');
      assert.deepEqual(await s.repo.pending('bob@x.com'), []);
      // a missed message stays missed
      const late = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 1));
      await s.repo.markMissed(late.id);
      await s.repo.markDelivered(late.id, T0 + 9);
      assert.equal((await s.repo.get(late.id))?.status, 'missed');
    } finally {
      await s.cleanup();
    }
  });

  test('pending messages come oldest first; expired ones become missed', async () => {
    const s = await setup();
    try {
      const a = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 20));
      const b = await s.repo.insert(msg('carol@x.com', 'bob@x.com', T0 + 10));
      const c = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 30));
      const d = await s.repo.insert(msg('bob@x.com', 'alice@x.com', T0 + 5));
      assert.deepEqual((await s.repo.pending('bob@x.com')).map((m) => m.id), [b.id, a.id, c.id]);
      assert.deepEqual((await s.repo.pendingRecipients()).sort(), ['alice@x.com', 'bob@x.com']);
      const expired = await s.repo.expirePending(T0 + 21);
      assert.deepEqual(expired.map((m) => m.id).sort(), [a.id, b.id, d.id].sort());
      assert.ok(expired.every((m) => m.status === 'missed'));
      assert.deepEqual(await s.repo.pending('alice@x.com'), []);
      assert.deepEqual((await s.repo.pending('bob@x.com')).map((m) => m.id), [c.id]);
      assert.equal((await s.repo.get(b.id))?.status, 'missed');
    } finally {
      await s.cleanup();
    }
  });

  test('history pages newest first, by time or by message cursor, ties broken by id', async () => {
    const s = await setup();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await s.repo.insert(msg(i % 2 ? 'alice@x.com' : 'bob@x.com', i % 2 ? 'bob@x.com' : 'alice@x.com', T0 + i))).id);
      // two in the same millisecond
      const same1 = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 10, 'same-1'));
      const same2 = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 10, 'same-2'));
      await s.repo.insert(msg('alice@x.com', 'carol@x.com', T0 + 3));

      const all = await s.repo.history('alice@x.com', 'bob@x.com', { limit: 100 });
      assert.equal(all.length, 7);
      assert.deepEqual(all.slice(2).map((m) => m.id), [...ids].reverse());
      assert.deepEqual(new Set(all.slice(0, 2).map((m) => m.id)), new Set([same1.id, same2.id]));

      // page through two at a time by cursor: every message exactly once
      const seen: string[] = [];
      let before: { sentAt: number; id: string } | undefined;
      for (;;) {
        const page = await s.repo.history('bob@x.com', 'alice@x.com', { before, limit: 2 });
        seen.push(...page.map((m) => m.id));
        if (page.length < 2) break;
        const last = page[page.length - 1];
        before = { sentAt: last.sentAt, id: last.id };
      }
      assert.deepEqual(seen, all.map((m) => m.id));

      const older = await s.repo.history('alice@x.com', 'bob@x.com', { before: { sentAt: T0 + 3 }, limit: 100 });
      assert.deepEqual(older.map((m) => m.sentAt), [T0 + 2, T0 + 1, T0]);
    } finally {
      await s.cleanup();
    }
  });

  test('conversations: latest first, last message, unread only for messages received; read marks them', async () => {
    const s = await setup();
    try {
      await s.repo.insert(msg('bob@x.com', 'alice@x.com', T0 + 1));
      await s.repo.insert(msg('bob@x.com', 'alice@x.com', T0 + 2));
      await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0 + 3, 'reply'));
      await s.repo.insert(msg('carol@x.com', 'alice@x.com', T0 + 5, 'hi from carol'));
      await s.repo.insert(msg('alice@x.com', 'alice@x.com', T0 + 0, 'note to self'));

      const list = await s.repo.conversations('alice@x.com', 10);
      assert.deepEqual(
        list.map((c) => [c.peer, c.last.body, c.unread]),
        [
          ['carol@x.com', 'hi from carol', 1],
          ['bob@x.com', 'reply', 2],
          ['alice@x.com', 'note to self', 0],
        ],
      );
      assert.deepEqual((await s.repo.conversations('bob@x.com', 10)).map((c) => [c.peer, c.unread]), [['alice@x.com', 1]]);
      assert.equal(await s.repo.markRead('alice@x.com', 'bob@x.com', T0 + 100), 2);
      assert.equal(await s.repo.markRead('alice@x.com', 'bob@x.com', T0 + 200), 0);
      const after = await s.repo.conversations('alice@x.com', 1);
      assert.deepEqual(after.map((c) => [c.peer, c.unread]), [['carol@x.com', 1]]);
      const bob = await s.repo.history('alice@x.com', 'bob@x.com', { limit: 10 });
      assert.deepEqual(bob.map((m) => m.readAt), [null, T0 + 100, T0 + 100]);
    } finally {
      await s.cleanup();
    }
  });

  test('remove forgets a message nobody acknowledged', async () => {
    const s = await setup();
    try {
      const m = await s.repo.insert(msg('alice@x.com', 'bob@x.com', T0));
      await s.repo.remove(m.id);
      assert.equal(await s.repo.get(m.id), undefined);
      assert.deepEqual(await s.repo.pendingRecipients(), []);
    } finally {
      await s.cleanup();
    }
  });
}

describe('ImRepo on SQLite', () => cases(sqlite));
if (postgres) describe('ImRepo on PostgreSQL', () => cases(postgres));
else test('ImRepo on PostgreSQL', { skip: (pgServer as { skip: string }).skip }, () => {});
