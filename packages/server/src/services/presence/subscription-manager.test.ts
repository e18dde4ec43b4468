import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse, newBranch, newTag, parseMessage, type SipRequest } from '@parley/sip';
import { createUasDialog } from '@parley/sip/dialog';
import { VirtualClock } from '@parley/sip/transaction';
import type { ContactService } from './contact-service.js';
import { PresenceError } from './errors.js';
import { parsePidf } from './pidf-parse.js';
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

/** A manager whose users have contact lists (`lists`, read afresh on every query, as the store does) and relationships (`rels`, owner→watcher). */
function listSetup() {
  const clock = new VirtualClock(T0);
  const publications = new PublicationTable({ clock, onChange: () => undefined });
  const agent = new PresenceAgent({ publications, bindings: { lookup: () => [] }, clock, idle: { inactiveAfterMs: 1e9, awayAfterMs: 1e9 }, loadCard: async () => undefined });
  const lists = new Map<string, string[]>();
  const rels = new Map<string, string>();
  const relOf = (owner: string, watcher: string) => rels.get(`${owner}>${watcher}`) ?? 'colleagues';
  const contacts = {
    repo: { contacts: async (ownerId: string) => (lists.get(ownerId) ?? []).map((a) => ({ address: `${a}` })) },
    relationship: async (owner: string, watcher: string) => relOf(owner, watcher),
    relationshipsToward: async (watcher: string, owners: readonly string[]) => new Map(owners.map((o) => [o, relOf(o, watcher)])),
  } as unknown as ContactService;
  const sent: SipRequest[] = [];
  const manager = new SubscriptionManager({ agent, contacts, clock, channel: { send: (n, _t, done) => (sent.push(n), done('delivered')) } });
  const dialogSpec = (to: string) => {
    const req = subscribe(to);
    return { dialog: createUasDialog(req, createResponse(req, 200, { toTag: newTag() })), target: { protocol: 'udp' as const, host: '127.0.0.1', port: 40000 }, expiresAt: T0 + 600_000 };
  };
  const openList = async (address: string) => {
    const starter = await manager.openList({ id: address, address }, `sip:${address.replace('@', ';list=contacts@')}`, 'example.com');
    const sub = starter(dialogSpec(address));
    sub.start();
    return sub;
  };
  const openWinfo = (address: string) => {
    const sub = manager.openWinfo(address)(dialogSpec(address));
    sub.start();
    return sub;
  };
  const note = async (owner: string, text: string) => {
    const document = `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${owner}"><tuple id="t"><status><basic>open</basic></status><note>${text}</note></tuple></presence>`;
    await publications.publish({ owner, ifMatch: undefined, body: { document, state: parsePidf(document) }, expiresS: 3600, source: 'udp:10.0.0.1:5060' });
  };
  return { agent, manager, lists, rels, sent, openList, openWinfo, note };
}

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const DAVE = 'dave@example.com';
const watcherIds = (s: ReturnType<typeof listSetup>, owner: string) => [...s.manager.watchersOf(owner).keys()];

test('contact-list subscriptions: every contact knows its watchers (watcher information) as the lists come, change and go', async () => {
  const s = listSetup();
  s.lists.set(ALICE, [BOB, CAROL]);
  await s.note(BOB, 'at the desk'); // what a colleague sees and a blocked watcher does not
  const winfo = s.openWinfo(BOB);
  const winfoNotifies = () => s.sent.filter((n) => n.get('event') === 'presence.winfo').length;
  assert.equal(winfoNotifies(), 1);
  const phone = await s.openList(ALICE);
  const laptop = await s.openList(ALICE);
  assert.deepEqual(watcherIds(s, BOB), [phone.id, laptop.id], 'in the order they came');
  assert.deepEqual(watcherIds(s, CAROL), [phone.id, laptop.id]);
  assert.equal(winfoNotifies(), 3, 'bob hears of each new watcher');
  assert.equal(s.manager.categoriesOf(ALICE), 2);
  assert.equal(s.agent.watchedCount, 2);

  // The list changes: carol goes, dave comes; both subscriptions follow and resend the full state.
  s.lists.set(ALICE, [BOB, DAVE]);
  const before = s.sent.length;
  await s.manager.listChanged({ id: ALICE, address: ALICE });
  assert.deepEqual(watcherIds(s, CAROL), []);
  assert.deepEqual(watcherIds(s, DAVE), [phone.id, laptop.id]);
  const full = s.sent.slice(before).filter((n) => n.get('event') === 'presence');
  assert.equal(full.length, 2);
  for (const n of full) {
    const body = n.body.toString();
    assert.match(body, /fullState="true"/);
    assert.match(body, /<resource uri="sip:dave@example\.com">/);
    assert.doesNotMatch(body, /carol/);
  }

  // Bob blocks alice: her lists are told at once (a partial NOTIFY with bob only).
  s.rels.set(`${BOB}>${ALICE}`, 'blocked');
  const mark = s.sent.length;
  await s.manager.relationshipChanged(BOB, ALICE);
  const partial = s.sent.slice(mark).filter((n) => n.get('event') === 'presence');
  assert.equal(partial.length, 2);
  for (const n of partial) {
    assert.match(n.body.toString(), /fullState="false"/);
    assert.match(n.body.toString(), /<resource uri="sip:bob@example\.com">/);
    assert.doesNotMatch(n.body.toString(), /dave/);
  }

  phone.terminate('timeout');
  assert.deepEqual(watcherIds(s, BOB), [laptop.id]);
  laptop.terminate('timeout');
  assert.deepEqual(watcherIds(s, BOB), []);
  assert.equal(s.agent.watchedCount, 0, 'nobody watches anyone any more');
  assert.equal(s.manager.categoriesOf(ALICE), 0);
  assert.equal(winfoNotifies(), 5, 'bob heard of each watcher that went');
  winfo.terminate('timeout');
  assert.equal(s.manager.size, 0);
});
