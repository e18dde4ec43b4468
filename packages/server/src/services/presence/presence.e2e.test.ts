import '../../http/api/test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { multipartBoundary, parseMultipart, type SipRequest } from '@parley/sip';
import type { ParleyConfig } from '../../config/index.js';
import { bootstrap, call, tempDir, testConfig } from '../../http/api/test-kit.js';
import { createLogger } from '../../observability/index.js';
import { startServer, withServices, type StartedServer } from '../../standard-server.js';
import { NS, parsePidf } from './pidf-parse.js';
import { createPresenceService, type PresenceParts } from './presence-service.js';
import { TestUa } from './test-support/sip-ua.js';
import { parseXml, descendants } from './xml.js';

const PW = { alice: 'Maple-River-42', bob: 'Birch-Cloud-42', carol: 'Cedar-Stone-42', dave: 'Aspen-Field-42' };
let dir: string;
let config: ParleyConfig;
let server: StartedServer;
let parts: PresenceParts;
const uas: TestUa[] = [];
let alice: TestUa, bob: TestUa, carol: TestUa;
let bobToken: string, aliceToken: string;

const pidfOf = (r: SipRequest) => parsePidf(r.bodyText);
const availabilityOf = (r: SipRequest) => (r.contentType === 'application/pidf+xml' ? pidfOf(r).availability : undefined);
const BUSY = `<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
  xmlns:p="${NS.parley}" entity="sip:bob@example.com">
 <tuple id="desk"><status><basic>open</basic></status></tuple>
 <dm:person id="bob"><rpid:activities><rpid:busy/></rpid:activities><dm:note>Quarterly report</dm:note>
 <p:availability>6500</p:availability><p:location>Building 4</p:location></dm:person>
</presence>`;

async function startIt(): Promise<StartedServer> {
  return startServer(config, {
    logger: createLogger({ level: 'silent' }),
    services: withServices({ presence: createPresenceService({ maxSubscriptionsPerWatcher: 3, publish: { maxDocumentBytes: 4096 } }, (p) => (parts = p)) }),
  });
}

async function tokenOf(address: string, password: string): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/session', { json: { address, password } });
  assert.equal(r.status, 201, r.text);
  return r.body.token as string;
}

before(async () => {
  dir = tempDir();
  config = testConfig(dir);
  await bootstrap(config, async (users) => {
    await users.addDomain('example.com');
    await users.addUser({ address: 'alice@example.com', password: PW.alice, displayName: 'Alice Liddell' });
    await users.addUser({ address: 'bob@example.com', password: PW.bob, displayName: 'Bob Builder', phone: '+1 425 555 0101' });
    await users.addUser({ address: 'carol@example.com', password: PW.carol, displayName: 'Carol Danvers' });
    await users.addUser({ address: 'dave@example.com', password: PW.dave, displayName: 'Dave Bowman' });
  });
  server = await startIt();
  alice = await TestUa.open(server.ports.sip, 'alice', PW.alice);
  bob = await TestUa.open(server.ports.sip, 'bob', PW.bob);
  carol = await TestUa.open(server.ports.sip, 'carol', PW.carol);
  uas.push(alice, bob, carol);
  bobToken = await tokenOf('bob@example.com', PW.bob);
  aliceToken = await tokenOf('alice@example.com', PW.alice);
});

after(async () => {
  for (const u of uas) u.close();
  await server?.stop({ drainMs: 100 });
  rmSync(dir, { recursive: true, force: true });
});

test('alice watches bob: Offline, Available once he registers, Busy with his note within 50 ms of his PUBLISH', async (t) => {
  const sub = await alice.subscribe('sip:bob@example.com');
  assert.equal(sub.response.status, 200, 'after the 407');
  assert.equal(sub.response.get('expires'), '600');
  assert.ok(sub.response.contacts.length === 1);
  const first = await alice.notify();
  assert.match(first.request.get('subscription-state') ?? '', /^active;expires=(600|599)$/);
  assert.equal(first.request.get('event'), 'presence');
  assert.equal(pidfOf(first.request).basic, 'closed');
  assert.equal(availabilityOf(first.request), 18500);

  const registered = await bob.register();
  assert.equal(registered.status, 200);
  const online = await alice.notify((r) => availabilityOf(r) === 3500, first.index + 1);
  assert.equal(pidfOf(online.request).basic, 'open');
  const regLatency = online.at - bob.responseAt.get(registered)!;
  t.diagnostic(`NOTIFY ${regLatency.toFixed(2)} ms after the REGISTER's 200`);
  assert.ok(regLatency < 50, 'registrations are pushed, not polled');

  const published = await bob.publish({ body: BUSY, expires: 600 });
  assert.equal(published.status, 200, published.reason);
  assert.match(published.get('sip-etag') ?? '', /^\S{8,}$/);
  const busy = await alice.notify((r) => availabilityOf(r) === 6500, online.index + 1);
  const latency = busy.at - bob.responseAt.get(published)!;
  t.diagnostic(`NOTIFY ${latency.toFixed(2)} ms after the PUBLISH's 200`);
  assert.ok(latency < 50, `NOTIFY ${latency.toFixed(1)} ms after the 200`);
  const doc = pidfOf(busy.request);
  assert.equal(doc.note, 'Quarterly report');
  assert.deepEqual(doc.activities, ['busy']);
  assert.equal(doc.location, undefined, 'a colleague does not see the location');
});

test('a blocked watcher sees Offline; unblocking re-notifies at once', async () => {
  const block = await call(server, 'POST', '/api/v1/me/contacts', { token: bobToken, json: { address: 'carol@example.com', relationship: 'blocked' } });
  assert.equal(block.status, 201, block.text);
  const sub = await carol.subscribe('sip:bob@example.com');
  assert.equal(sub.response.status, 200);
  const first = await carol.notify();
  assert.equal(availabilityOf(first.request), 18500);
  assert.equal(pidfOf(first.request).note, undefined);
  const t = performance.now();
  const patch = await call(server, 'PATCH', '/api/v1/me/contacts/carol@example.com', { token: bobToken, json: { relationship: 'friends-family' } });
  assert.equal(patch.status, 200, patch.text);
  const seen = await carol.notify((r) => availabilityOf(r) === 6500, first.index + 1);
  assert.ok(seen.at - t < 500);
  assert.equal(pidfOf(seen.request).location, 'Building 4', 'friends and family see the location');
});

test('PUBLISH errors: 489, 412, 423, 415, 400, 403; refresh and removal', async () => {
  assert.equal((await bob.publish({ body: BUSY, event: 'dialog' })).status, 489);
  assert.equal((await bob.publish({ ifMatch: 'no-such-etag' })).status, 412);
  const brief = await bob.publish({ body: BUSY, expires: 10 });
  assert.equal(brief.status, 423);
  assert.equal(brief.get('min-expires'), '60');
  assert.equal((await bob.publish({ body: BUSY, contentType: 'text/plain' })).status, 415);
  assert.equal((await bob.publish({ body: '<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple>' })).status, 400);
  assert.equal((await bob.publish({})).status, 400, 'an initial PUBLISH needs a body');
  const huge = BUSY.replace('Quarterly report', 'x'.repeat(5000));
  assert.equal((await bob.publish({ body: huge })).status, 413);
  const created = await bob.publish({ body: BUSY.replace('Quarterly report', 'Second device') });
  const etag = created.get('sip-etag')!;
  const refreshed = await bob.publish({ ifMatch: etag, expires: 300 });
  assert.equal(refreshed.status, 200);
  assert.notEqual(refreshed.get('sip-etag'), etag);
  assert.equal((await bob.publish({ ifMatch: etag })).status, 412, 'the old tag is gone');
  const from = alice.notifies.length;
  const removed = await bob.publish({ ifMatch: refreshed.get('sip-etag'), expires: 0 });
  assert.equal(removed.status, 200);
  assert.equal(removed.get('expires'), '0');
  const back = await alice.notify((r) => pidfOf(r).note === 'Quarterly report', from);
  assert.equal(availabilityOf(back.request), 6500);
  const other = await TestUa.open(server.ports.sip, 'alice', PW.alice);
  uas.push(other);
  const foreign = await other.request('PUBLISH', 'sip:bob@example.com', 'pub-x', 1, (cseq, auth) =>
    [
      'PUBLISH sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${other.port};branch=z9hG4bK-${cseq}-x;rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=x1',
      'To: <sip:bob@example.com>',
      'Call-ID: pub-x',
      `CSeq: ${cseq} PUBLISH`,
      'Event: presence',
      ...auth,
      'Content-Type: application/pidf+xml',
      `Content-Length: ${Buffer.byteLength(BUSY)}`,
      '',
      BUSY,
    ].join('\r\n'),
  );
  assert.equal(foreign.status, 403, 'nobody publishes for someone else');
});

test('contact list, groups and directory over REST; the list as an RFC 4662 resource list', async () => {
  const add = await call(server, 'POST', '/api/v1/me/contacts', { token: aliceToken, json: { address: 'bob@example.com' } });
  assert.equal(add.status, 201, add.text);
  assert.equal(add.body.contact.displayName, 'Bob Builder');
  const grp = await call(server, 'POST', '/api/v1/me/groups', { token: aliceToken, json: { name: 'Team' } });
  assert.equal(grp.status, 201);
  const add2 = await call(server, 'POST', '/api/v1/me/contacts', { token: aliceToken, json: { address: 'carol@example.com', groupId: grp.body.group.id } });
  assert.equal(add2.status, 201);
  const dup = await call(server, 'POST', '/api/v1/me/contacts', { token: aliceToken, json: { address: 'bob@example.com' } });
  assert.equal(dup.status, 409);
  const list = await call(server, 'GET', '/api/v1/me/contacts', { token: aliceToken });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.groups.map((g: { name: string }) => g.name), ['Other Contacts', 'Team']);
  const bobEntry = list.body.contacts.find((c: { address: string }) => c.address === 'bob@example.com');
  assert.equal(bobEntry.presence.state, 'busy');
  assert.equal(bobEntry.presence.note, 'Quarterly report');
  const dir = await call(server, 'GET', '/api/v1/directory?q=bui', { token: aliceToken });
  assert.deepEqual(dir.body.users.map((u: { address: string }) => u.address), ['bob@example.com']);
  assert.equal((await call(server, 'GET', '/api/v1/me/contacts')).status, 401);
  const watchers = await call(server, 'GET', '/api/v1/me/watchers', { token: bobToken });
  assert.deepEqual(watchers.body.listedBy, ['alice@example.com']);

  const listUri = 'sip:alice;list=contacts@example.com';
  assert.equal((await alice.subscribe(listUri)).response.status, 421, 'eventlist is required');
  const from = alice.notifies.length;
  const sub = await alice.subscribe(listUri, { headers: ['Supported: eventlist', 'Accept: application/pidf+xml, application/rlmi+xml, multipart/related'] });
  assert.equal(sub.response.status, 200);
  const full = await alice.notify((r) => (r.contentType ?? '').startsWith('multipart/related'), from);
  const partsOf = (r: SipRequest) => parseMultipart(r.body, multipartBoundary(r.get('content-type')!)!);
  const [rlmi, ...docs] = partsOf(full.request);
  assert.equal(rlmi.contentType, 'application/rlmi+xml');
  const root = parseXml(rlmi.body.toString());
  assert.equal(root.attrs.get('fullState'), 'true');
  assert.deepEqual(descendants(root, 'urn:ietf:params:xml:ns:rlmi', 'resource').map((r) => r.attrs.get('uri')).sort(), ['sip:bob@example.com', 'sip:carol@example.com']);
  assert.equal(docs.length, 2);
  await bob.publish({ body: BUSY.replace('6500', '9500').replace('Quarterly report', 'Focus') });
  const partial = await alice.notify((r) => (r.contentType ?? '').startsWith('multipart/related'), full.index + 1);
  const [prlmi, ...pdocs] = partsOf(partial.request);
  const proot = parseXml(prlmi.body.toString());
  assert.equal(proot.attrs.get('fullState'), 'false');
  assert.equal(proot.attrs.get('version'), '1');
  assert.equal(pdocs.length, 1);
  assert.equal(parsePidf(pdocs[0].body.toString()).availability, 9500);
  // A contact added on another device: the list follows, full state again (RFC 4662 §4.5).
  assert.equal((await call(server, 'POST', '/api/v1/me/contacts', { token: aliceToken, json: { address: 'dave@example.com' } })).status, 201);
  const grown = await alice.notify((r) => (r.contentType ?? '').startsWith('multipart/related'), partial.index + 1);
  const groot = parseXml(partsOf(grown.request)[0].body.toString());
  assert.equal(groot.attrs.get('fullState'), 'true');
  assert.equal(descendants(groot, 'urn:ietf:params:xml:ns:rlmi', 'resource').length, 3);
});

test('watcher info tells bob who watches him', async () => {
  const sub = await bob.subscribe('sip:bob@example.com', { event: 'presence.winfo' });
  assert.equal(sub.response.status, 200);
  const n = await bob.notify((r) => r.get('event') === 'presence.winfo');
  const watchers = descendants(parseXml(n.request.bodyText), 'urn:ietf:params:xml:ns:watcherinfo', 'watcher').map((w) => w.text);
  assert.ok(watchers.includes('sip:alice@example.com'), watchers.join());
  assert.ok(watchers.includes('sip:carol@example.com'));
  assert.equal((await carol.subscribe('sip:bob@example.com', { event: 'presence.winfo' })).response.status, 403);
});

test('prompted subscribers over REST: GET /me/watchers lists who added me; POST …/ack acknowledges (204, then 404)', async () => {
  const daveToken = await tokenOf('dave@example.com', PW.dave);
  // bob does not list dave (yet): dave adding bob leaves bob a prompt
  assert.equal((await call(server, 'POST', '/api/v1/me/contacts', { token: daveToken, json: { address: 'bob@example.com' } })).status, 201);
  const w = await call(server, 'GET', '/api/v1/me/watchers', { token: bobToken });
  assert.equal(w.status, 200, w.text);
  assert.equal(w.body.promptLimit, 200);
  assert.ok(w.body.prompted.some((p: { address: string; since: string }) => p.address === 'dave@example.com' && !Number.isNaN(Date.parse(p.since))), w.text);
  assert.equal((await call(server, 'POST', '/api/v1/me/watchers/dave@example.com/ack', { token: bobToken })).status, 204);
  const again = await call(server, 'POST', '/api/v1/me/watchers/dave@example.com/ack', { token: bobToken });
  assert.equal(again.status, 404, again.text);
  assert.equal(again.body.error, 'not-found', again.text);
  const after = await call(server, 'GET', '/api/v1/me/watchers', { token: bobToken });
  assert.ok(!after.body.prompted.some((p: { address: string }) => p.address === 'dave@example.com'));
});

test('out of office over SIP and REST: a colleague sees the OOF note, an external-relationship watcher does not', async () => {
  const oof = BUSY.replace('<p:location>Building 4</p:location>', '<p:location>Building 4</p:location><p:oof>Back on Monday</p:oof>');
  assert.equal((await bob.publish({ body: oof })).status, 200);
  const r = await call(server, 'GET', '/api/v1/presence/bob@example.com', { token: aliceToken });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.presence.outOfOffice, true);
  assert.equal(r.body.presence.oofNote, 'Back on Monday');
  assert.equal((await call(server, 'POST', '/api/v1/me/contacts', { token: bobToken, json: { address: 'dave@example.com', relationship: 'external' } })).status, 201);
  const daveToken = await tokenOf('dave@example.com', PW.dave);
  const ext = await call(server, 'GET', '/api/v1/presence/bob@example.com', { token: daveToken });
  assert.equal(ext.body.presence.outOfOffice, false);
  assert.equal(ext.body.presence.oofNote, null);
  assert.equal((await bob.publish({ body: BUSY.replace('<p:location>Building 4</p:location>', '<p:location>Building 4</p:location><p:oof active="false"/>') })).status, 200);
  assert.equal((await call(server, 'GET', '/api/v1/presence/bob@example.com', { token: aliceToken })).body.presence.outOfOffice, false);
});

test('SUBSCRIBE errors: 404, 423, 406, the per-user limit (403), other domains', async () => {
  assert.equal((await alice.subscribe('sip:nobody@example.com')).response.status, 404);
  const brief = await alice.subscribe('sip:carol@example.com', { expires: 10 });
  assert.equal(brief.response.status, 423);
  assert.equal(brief.response.get('min-expires'), '60');
  assert.equal((await alice.subscribe('sip:carol@example.com', { headers: ['Accept: text/plain'] })).response.status, 406);
  assert.equal(parts.manager.countOf('alice@example.com'), 2);
  assert.equal((await alice.subscribe('sip:carol@example.com')).response.status, 200);
  const over = await alice.subscribe('sip:dave@example.com');
  assert.equal(over.response.status, 403);
  assert.equal(over.response.reason, 'Forbidden (at most 3 presence subscriptions per user, presence policy)');
  assert.equal((await alice.subscribe('sip:someone@other.org')).response.status, 403, 'no federation yet');
});

test('unsubscribe sends a terminated NOTIFY; a 481 to a NOTIFY ends the subscription', async () => {
  const d = await TestUa.open(server.ports.sip, 'dave', PW.dave);
  uas.push(d);
  const sub = await d.subscribe('sip:bob@example.com');
  assert.equal(sub.response.status, 200);
  await d.notify();
  const before = parts.manager.size;
  const res = await d.resubscribe(sub.dialog, 0);
  assert.equal(res.status, 200);
  const last = await d.notify((r) => /^terminated/.test(r.get('subscription-state') ?? ''));
  assert.equal(last.request.get('subscription-state'), 'terminated;reason=timeout');
  assert.equal(parts.manager.size, before - 1);
  assert.equal((await d.resubscribe(sub.dialog, 600)).status, 481);

  const sub2 = await d.subscribe('sip:bob@example.com');
  await d.notify(() => true, d.notifies.length - 1);
  d.notifyStatus = 481;
  const n = d.notifies.length;
  await bob.publish({ body: BUSY.replace('Quarterly report', 'Gone fishing') });
  await d.notify(() => true, n);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(parts.manager.byDialog(`${sub2.dialog.callId}`), undefined);
  assert.equal(parts.manager.size, before - 1);
});

test('publications survive a restart until they expire', async () => {
  await server.stop({ drainMs: 100 });
  server = await startIt();
  const token = await tokenOf('alice@example.com', PW.alice);
  const r = await call(server, 'GET', '/api/v1/presence/bob@example.com', { token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.presence.note, 'Gone fishing');
  assert.equal(r.body.presence.state, 'busy');
});
