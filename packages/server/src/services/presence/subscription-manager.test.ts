import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse, newBranch, newTag, parseMessage, type SipRequest } from '@parley/sip';
import { createUasDialog } from '@parley/sip/dialog';
import { VirtualClock } from '@parley/sip/transaction';
import type { ContactService } from './contact-service.js';
import { PresenceError } from './errors.js';
import { PresenceAgent } from './presence-agent.js';
import { PublicationTable } from './publications.js';
import { SubscriptionManager } from './subscription-manager.js';
import type { StoredSubscription, SubscriptionStore } from './subscription-repo.js';

const T0 = 1_700_000_000_000;

function subscribe(to: string): SipRequest {
  return parseMessage(
    [
      `SUBSCRIBE sip:${to} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:40000;branch=${newBranch()}`,
      'Max-Forwards: 70',
      `From: <sip:alice@example.com>;tag=${newTag()}`,
      `To: <sip:${to}>`,
      `Call-ID: ${newTag()}`,
      'CSeq: 7 SUBSCRIBE',
      'Contact: <sip:alice@127.0.0.1:40000>',
      'Event: presence',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ).validate() as SipRequest;
}

function setup(o: { store?: SubscriptionStore; maxCategories?: number } = {}) {
  const clock = new VirtualClock(T0);
  const publications = new PublicationTable({ clock, onChange: () => undefined });
  const agent = new PresenceAgent({ publications, bindings: { lookup: () => [] }, clock, idle: { inactiveAfterMs: 1e9, awayAfterMs: 1e9 }, loadCard: async () => undefined });
  const contacts = { relationship: async () => 'colleagues' } as unknown as ContactService;
  const sent: SipRequest[] = [];
  const manager = new SubscriptionManager({
    agent,
    contacts,
    clock,
    channel: { send: (n, _t, done) => (sent.push(n), done('delivered')) },
    maxCategoriesPerWatcher: o.maxCategories,
    store: o.store,
  });
  const open = async (owner: string) => {
    const req = subscribe(owner);
    const starter = await manager.openPresence('alice@example.com', owner);
    const sub = starter({ dialog: createUasDialog(req, createResponse(req, 200, { toTag: newTag() })), target: { protocol: 'udp', host: '127.0.0.1', port: 40000 }, expiresAt: T0 + 600_000 });
    sub.start();
    return sub;
  };
  return { manager, open, sent, clock };
}

test('the category subscription limit (1,000 by default) counts distinct presentities per watcher: 403 category-limit past it', async () => {
  const s = setup({ maxCategories: 2 });
  await s.open('bob@example.com');
  await s.open('bob@example.com'); // the same presentity again (another device): no new category
  const carol = await s.open('carol@example.com');
  assert.equal(s.manager.categoriesOf('alice@example.com'), 2);
  await assert.rejects(s.manager.openPresence('alice@example.com', 'dave@example.com'), (e: unknown) => e instanceof PresenceError && e.code === 'category-limit' && e.sipStatus === 403);
  carol.terminate('timeout');
  assert.equal(s.manager.categoriesOf('alice@example.com'), 1);
  await s.open('dave@example.com');
});

test('with a store: accepted subscriptions get a shadow, close suspends them (no NOTIFY) and saves the exact CSeq, restore resumes them', async () => {
  const rows = new Map<string, StoredSubscription>();
  const store: SubscriptionStore = {
    upsert: async (r) => void rows.set(r.id, r),
    saveSeqs: async (seqs) => {
      for (const x of seqs) rows.set(x.id, { ...rows.get(x.id)!, localSeq: x.localSeq, localSeqExact: true });
    },
    remove: async (id) => void rows.delete(id),
    loadLive: async (now) => [...rows.values()].filter((r) => r.expiresAt > now),
    purgeExpired: async () => 0,
  };
  const a = setup({ store });
  const sub = await a.open('bob@example.com');
  await new Promise((r) => setImmediate(r));
  assert.equal(rows.size, 1);
  const row = rows.get(sub.id)!;
  assert.equal(row.kind, 'presence');
  assert.equal(row.resource, 'bob@example.com');
  assert.equal(row.remoteSeq, 7);
  assert.deepEqual(row.target, { protocol: 'udp', host: '127.0.0.1', port: 40000 });
  const seq = sub.dialog.localSeq!;
  const before = a.sent.length;
  await a.manager.close();
  assert.equal(a.sent.length, before, 'no terminated NOTIFY at a stop with a store');
  assert.equal(rows.get(sub.id)!.localSeq, seq);
  assert.equal(rows.get(sub.id)!.localSeqExact, true);

  const b = setup({ store });
  assert.equal(await b.manager.restore(), 1);
  assert.equal(b.sent.length, 1, 'a NOTIFY with the full state at once');
  const n = b.sent[0];
  assert.equal(n.callId, sub.dialog.id.callId);
  assert.equal(n.from.tag, sub.dialog.id.localTag);
  assert.equal(n.cseq.seq, seq + 1, 'the next CSeq of the dialog');
  assert.match(n.get('subscription-state') ?? '', /^active;expires=600$/);
  const resumed = b.manager.byDialog(sub.dialog.key)!;
  resumed.terminate('timeout');
  assert.equal(rows.size, 0, 'an ended subscription loses its shadow');
});
