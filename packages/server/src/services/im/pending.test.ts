/**
 * The pending queue without a network: what survives a restart and what
 * expires. (Delivery itself is tested end to end in im-service.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../observability/index.js';
import { tempStore } from '../../testing/sqlite.js';
import { LocationService } from '../registrar/index.js';
import { Courier } from './delivery.js';
import { ImRepo } from './im-repo.js';
import { PendingQueue } from './pending.js';

const DAY = 24 * 60 * 60 * 1000;

async function setup() {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const t = await tempStore(now);
  const repo = new ImRepo(t.store);
  const location = new LocationService(t.store, now);
  const logger = createLogger({ level: 'silent' });
  // No device is registered, so the courier is never asked to send.
  const courier = new Courier({
    transactions: undefined as never,
    bindingTarget: () => undefined,
    local: () => ({ host: '127.0.0.1', ports: { udp: 5060 } }),
    protocolOf: () => 'udp',
    logger,
  });
  const queue = () => new PendingQueue({ repo, courier, location, logger, now, ttlMs: 7 * DAY, pollMs: 60_000, sweepMs: 60_000 });
  return { ...t, repo, queue, now, advance: (ms: number) => (clock += ms) };
}

const msg = (to: string, sentAt: number) => ({ from: 'alice@x.com', to, contentType: 'text/plain', body: 'hi', sentAt, callId: `c${sentAt}` });

test('a restarted queue knows who waits; with no device nothing is sent and nothing is lost', async () => {
  const s = await setup();
  try {
    const m = await s.repo.insert(msg('bob@x.com', s.now()));
    const q = s.queue();
    await q.start();
    try {
      assert.equal(q.isWaiting('bob@x.com'), true);
      assert.equal(q.isWaiting('carol@x.com'), false);
      assert.equal(await q.deliverPending('bob@x.com'), 0);
      assert.equal(await q.deliverPending('carol@x.com'), 0);
      assert.equal((await s.repo.get(m.id))?.status, 'pending');
    } finally {
      q.close();
      q.close(); // idempotent
    }
  } finally {
    await s.cleanup();
  }
});

test('messages pending past the lifetime (7 days) become missed and are counted; the recipient stops waiting', async () => {
  const s = await setup();
  try {
    const old = await s.repo.insert(msg('bob@x.com', s.now()));
    s.advance(6 * DAY);
    const recent = await s.repo.insert(msg('bob@x.com', s.now()));
    const q = s.queue();
    await q.start();
    try {
      assert.equal(await q.sweep(), 0);
      s.advance(DAY + 1);
      assert.equal(await q.sweep(), 1);
      assert.equal((await s.repo.get(old.id))?.status, 'missed');
      assert.equal((await s.repo.get(recent.id))?.status, 'pending');
      assert.deepEqual(q.stats, { waiting: 1, delivered: 0, missed: 1 });
      s.advance(6 * DAY);
      assert.equal(await q.sweep(), 1);
      assert.deepEqual(q.stats, { waiting: 0, delivered: 0, missed: 2 });
    } finally {
      q.close();
    }
  } finally {
    await s.cleanup();
  }
});
