/**
 * End to end: the real Standard Edition server with the IM service, devices
 * speaking SIP over UDP on loopback (`test-ua.ts`), history over HTTPS.
 */
import '../../http/api/test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { bootstrap, call, tempDir, testConfig } from '../../http/api/test-kit.js';
import { createLogger } from '../../observability/index.js';
import { startServer, withServices, type StartedServer } from '../../standard-server.js';
import { ImService } from './im-service.js';
import { TestUa } from './test-ua.js';

const PW = 'Maple-River-42';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const D = 'example.com';
const at = (u: string) => `${u}@${D}`;

let dir: string;
let server: StartedServer;
let im: ImService;
const uas: TestUa[] = [];

async function device(user: string, register = true): Promise<TestUa> {
  const ua = await TestUa.open({ user, domain: D, password: PW, serverPort: server.ports.sip });
  uas.push(ua);
  if (register) assert.equal((await ua.register()).status, 200);
  return ua;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function token(user: string): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/session', { json: { address: at(user), password: PW } });
  assert.equal(r.status, 201, r.text);
  return r.body.token as string;
}

before(async () => {
  dir = tempDir();
  const config = testConfig(dir, { PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000' });
  await bootstrap(config, async (users) => {
    await users.addDomain(D);
    for (const u of USERS) await users.addUser({ address: at(u), password: PW });
  });
  server = await startServer(config, {
    logger: createLogger({ level: 'silent' }),
    services: withServices({
      im: (ctx) => (im = new ImService(ctx, { pendingPollMs: 200, deliveryDeadlineMs: 1500, maxBodyBytes: 4096 })),
    }),
  });
});

after(async () => {
  for (const ua of uas) ua.close();
  await server?.stop({ drainMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

test("alice's MESSAGE reaches both of bob's devices; her other device gets a copy, the one she typed on does not", async () => {
  const [alice1, alice2, bob1, bob2] = [await device('alice'), await device('alice'), await device('bob'), await device('bob')];
  const r = await alice1.message(at('bob'), 'hello bob, on every device');
  assert.equal(r.status, 200);
  for (const bob of [bob1, bob2]) {
    const m = await bob.waitMessage('hello bob');
    assert.equal(m.from.uri.toString(), `sip:${at('alice')}`);
    assert.equal(m.uri.toString(), bob.contact);
    assert.equal(m.get('proxy-authorization'), undefined, 'credentials stay with the server');
  }
  const copy = await alice2.waitMessage('hello bob');
  assert.equal(copy.from.uri.toString(), `sip:${at('alice')}`, 'a copy is known by a From of its own');
  assert.equal(copy.to.uri.toString(), `sip:${at('bob')}`);
  assert.equal(copy.uri.toString(), alice2.contact);
  assert.ok(copy.get('date'));
  await sleep(300);
  assert.equal(alice1.messages('hello bob').length, 0);
  assert.equal(bob1.messages('hello bob').length, 1);

  // and back
  assert.equal((await bob2.message(at('alice'), 'hi alice')).status, 200);
  await alice1.waitMessage('hi alice');
  await alice2.waitMessage('hi alice');
  await bob1.waitMessage('hi alice'); // bob's other device
  for (const ua of [alice1, alice2, bob1, bob2]) assert.equal((await ua.register(0)).status, 200);
});

test('carol signed in nowhere: 202 Accepted; when she registers the message arrives with its Date', async () => {
  const alice = await device('alice');
  const sent = Date.now();
  const r = await alice.message(at('carol'), 'while you were out');
  assert.equal(r.status, 202);
  assert.equal((await alice.message(at('carol'), 'and a second one')).status, 202);
  await sleep(300);
  const carol = await device('carol');
  const first = await carol.waitMessage('while you were out');
  await carol.waitMessage('and a second one');
  const texts = carol.messages().map((m) => m.bodyText);
  assert.ok(texts.indexOf('while you were out') < texts.indexOf('and a second one'), 'oldest first');
  assert.equal(first.from.uri.toString(), `sip:${at('alice')}`);
  assert.equal(first.to.uri.toString(), `sip:${at('carol')}`);
  const date = Date.parse(first.get('date') ?? '');
  assert.ok(Math.abs(date - sent) < 5000, `Date ${first.get('date')} is when it was sent`);
  await sleep(100);
  const tok = await token('carol');
  const h = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages`, { token: tok });
  assert.equal(h.status, 200, h.text);
  assert.deepEqual(
    h.body.messages.map((m: { body: string; status: string; direction: string }) => [m.body, m.status, m.direction]),
    [
      ['and a second one', 'delivered', 'received'],
      ['while you were out', 'delivered', 'received'],
    ],
  );
  assert.equal((await alice.register(0)).status, 200);
  assert.equal((await carol.register(0)).status, 200);
});

test('deliverPending(aor) delivers at once when a device is back (the location hook)', async () => {
  const alice = await device('alice');
  assert.equal((await alice.message(at('frank'), 'for frank')).status, 202);
  const frank = await device('frank');
  await im.deliverPending(at('frank'));
  assert.equal(frank.messages('for frank').length, 1);
  assert.equal(await im.deliverPending(at('frank')), 0, 'nothing left');
  assert.equal((await alice.register(0)).status, 200);
  assert.equal((await frank.register(0)).status, 200);
});

test('typing notifications reach the devices, are never stored, and are not queued (480)', async () => {
  const alice = await device('alice');
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>';
  const type = 'application/im-iscomposing+xml';
  assert.equal((await alice.message(at('dave'), xml, { contentType: type })).status, 480);
  const dave = await device('dave');
  assert.equal((await alice.message(at('dave'), xml, { contentType: type })).status, 200);
  const got = await dave.waitMessage('isComposing');
  assert.equal(got.contentType, type);
  const h = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages`, { token: await token('dave') });
  assert.deepEqual(h.body.messages, []);
  assert.equal((await alice.register(0)).status, 200);
  assert.equal((await dave.register(0)).status, 200);
});

test('a silent device: 202 at the deadline, delivered when it answers a retransmission; a refusing one: its answer, nothing kept', async () => {
  const alice = await device('alice');
  const erin = await device('erin');
  erin.answerWith = undefined;
  const t0 = Date.now();
  assert.equal((await alice.message(at('erin'), 'are you there?')).status, 202);
  assert.ok(Date.now() - t0 >= 1400, 'answered at the deadline');
  erin.answerWith = 200; // answers the next UDP retransmission
  const tok = await token('erin');
  let status = '';
  for (let i = 0; i < 60 && status !== 'delivered'; i++) {
    await sleep(100);
    const h = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages?limit=1`, { token: tok });
    status = h.body.messages[0]?.status;
  }
  assert.equal(status, 'delivered');

  erin.answerWith = 415;
  const r = await alice.message(at('erin'), 'refused by every device');
  assert.equal(r.status, 415);
  const h = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages`, { token: tok });
  assert.deepEqual(h.body.messages.map((m: { body: string }) => m.body), ['are you there?']);
  assert.equal((await alice.register(0)).status, 200);
  erin.answerWith = 200;
  assert.equal((await erin.register(0)).status, 200);
});

test('a note to self goes to my other devices only; typed on my only device it is simply kept', async () => {
  const a1 = await device('alice');
  assert.equal((await a1.message(at('alice'), 'note on one device')).status, 200);
  const a2 = await device('alice');
  assert.equal((await a1.message(at('alice'), 'note on two devices')).status, 200);
  await a2.waitMessage('note on two devices');
  await sleep(200);
  assert.equal(a1.messages('note').length, 0);
  assert.equal(a2.messages('note on one device').length, 0);
  const h = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages`, { token: await token('alice') });
  assert.deepEqual(
    h.body.messages.map((m: { body: string; status: string }) => [m.body, m.status]),
    [
      ['note on two devices', 'delivered'],
      ['note on one device', 'delivered'],
    ],
  );
  for (const ua of [a1, a2]) assert.equal((await ua.register(0)).status, 200);
});

test('refusals: unknown user 404, spoofed From 403, too large 413, not UTF-8 415', async () => {
  const alice = await device('alice', false);
  assert.equal((await alice.message(at('nobody'), 'x')).status, 404);
  assert.equal((await alice.message(at('bob'), 'x', { from: at('bob') })).status, 403);
  assert.equal((await alice.message(at('bob'), 'y'.repeat(5000))).status, 413);
  const latin1 = await alice.message(at('bob'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), { contentType: 'text/plain;charset=ISO-8859-1' });
  assert.equal(latin1.status, 415);
  assert.match(latin1.get('accept') ?? '', /text\/plain/);
  const r = await alice.message(at('bob'), '\u00ff', { contentType: 'text/plain;charset=UTF-8' });
  assert.equal(r.status, 202, 'UTF-8 text is fine (bob is signed out: kept)');
});

test('history over REST: conversations with last message and unread count, paging, mark read', async () => {
  const bobTok = await token('bob');
  const list = await call(server, 'GET', '/api/v1/im/conversations', { token: bobTok });
  assert.equal(list.status, 200, list.text);
  const withAlice = list.body.conversations.find((c: { peer: string }) => c.peer === at('alice'));
  assert.ok(withAlice, list.text);
  assert.equal(withAlice.lastMessage.body, '\u00ff');
  assert.equal(withAlice.unread, 2); // 'hello bob…' and 'ÿ'; 'hi alice' was his own
  const page1 = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages?limit=2`, { token: bobTok });
  assert.equal(page1.body.messages.length, 2);
  assert.equal(typeof page1.body.next, 'string');
  const page2 = await call(server, 'GET', `/api/v1/im/conversations/sip:${at('alice')}/messages?limit=2&before=${page1.body.next}`, { token: bobTok });
  assert.deepEqual(page2.body.messages.map((m: { body: string }) => m.body), ['hello bob, on every device']);
  assert.equal(page2.body.next, null);
  const byTime = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages?before=2000-01-01T00:00:00Z`, { token: bobTok });
  assert.deepEqual(byTime.body.messages, []);
  const read = await call(server, 'POST', `/api/v1/im/conversations/${at('alice')}/read`, { token: bobTok });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.marked, 2);
  const again = await call(server, 'GET', '/api/v1/im/conversations', { token: bobTok });
  assert.equal(again.body.conversations.find((c: { peer: string }) => c.peer === at('alice')).unread, 0);

  assert.equal((await call(server, 'GET', '/api/v1/im/conversations')).status, 401);
  const bad = await call(server, 'GET', '/api/v1/im/conversations/not-an-address/messages', { token: bobTok });
  assert.equal(bad.status, 400);
  const unknown = await call(server, 'GET', `/api/v1/im/conversations/${at('alice')}/messages?before=no-such-id`, { token: bobTok });
  assert.equal(unknown.status, 404);
});
