/**
 * "In a call" from the calls Parley routes (issue: Instant messaging and
 * presence as the original does them): standard SIP phones publish no
 * activity, yet their users' watchers see them In a call while a call
 * routed by the proxy lasts, and back as they were once it ends.
 */
import '../../http/api/test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { SipRequest } from '@parley/sip';
import type { ParleyConfig } from '../../config/index.js';
import { bootstrap, call, tempDir, testConfig } from '../../http/api/test-kit.js';
import { createLogger } from '../../observability/index.js';
import { startServer, type StartedServer } from '../../standard-server.js';
import { parsePidf } from './pidf-parse.js';
import { CallUa } from './test-support/call-ua.js';
import { TestUa } from './test-support/sip-ua.js';

const PW = { alice: 'Maple-River-42', bob: 'Birch-Cloud-42', carol: 'Cedar-Stone-42', dave: 'Aspen-Field-42' };
let dir: string;
let config: ParleyConfig;
let server: StartedServer;
let alice: CallUa, bob: CallUa, bobMobile: CallUa, dave: CallUa;
let carol: TestUa;
let carolToken: string;

/** The presentity a NOTIFY is about, and what it says. */
const about = (r: SipRequest) => {
  if (r.contentType !== 'application/pidf+xml') return undefined;
  const doc = parsePidf(r.bodyText);
  return { entity: doc.entity, availability: doc.availability, activities: doc.activities };
};
const says = (who: string, availability: number, activity?: string) => (r: SipRequest) => {
  const a = about(r);
  return a !== undefined && a.entity === `sip:${who}@example.com` && a.availability === availability && (activity === undefined || a.activities.includes(activity));
};

async function presenceOf(address: string): Promise<{ availability: number; activity: string | undefined }> {
  const r = await call(server, 'GET', `/api/v1/presence/${address}`, { token: carolToken });
  assert.equal(r.status, 200, r.text);
  return r.body.presence as { availability: number; activity: string | undefined };
}

before(async () => {
  dir = tempDir();
  config = testConfig(dir);
  await bootstrap(config, async (users) => {
    await users.addDomain('example.com');
    await users.addUser({ address: 'alice@example.com', password: PW.alice, displayName: 'Alice Liddell' });
    await users.addUser({ address: 'bob@example.com', password: PW.bob, displayName: 'Bob Builder' });
    await users.addUser({ address: 'carol@example.com', password: PW.carol, displayName: 'Carol Danvers' });
    await users.addUser({ address: 'dave@example.com', password: PW.dave, displayName: 'Dave Bowman' });
  });
  server = await startServer(config, { logger: createLogger({ level: 'silent' }) });
  alice = await CallUa.open(server.ports.sip, 'alice', PW.alice);
  bob = await CallUa.open(server.ports.sip, 'bob', PW.bob);
  bobMobile = await CallUa.open(server.ports.sip, 'bob', PW.bob);
  dave = await CallUa.open(server.ports.sip, 'dave', PW.dave);
  carol = await TestUa.open(server.ports.sip, 'carol', PW.carol);
  for (const ua of [alice, bob, dave]) assert.equal((await ua.register()).status, 200);
  const r = await call(server, 'POST', '/api/v1/session', { json: { address: 'carol@example.com', password: PW.carol } });
  assert.equal(r.status, 201, r.text);
  carolToken = r.body.token as string;
});

after(async () => {
  for (const u of [alice, bob, bobMobile, dave, carol]) u?.close();
  await server?.stop({ drainMs: 100 });
  rmSync(dir, { recursive: true, force: true });
});

test('alice calls bob: carol sees both In a call within 50 ms of the 200; a re-INVITE changes nothing; bob hangs up: both Available again', async (t) => {
  assert.equal((await carol.subscribe('sip:bob@example.com')).response.status, 200);
  assert.equal((await carol.subscribe('sip:alice@example.com')).response.status, 200);
  await carol.notify(says('bob', 3500));
  await carol.notify(says('alice', 3500));
  const from = carol.notifies.length;

  const { response, dialog } = await alice.call('sip:bob@example.com');
  assert.equal(response.status, 200);
  assert.ok(dialog);
  const bobBusy = await carol.notify(says('bob', 6500, 'on-the-phone'), from);
  const aliceBusy = await carol.notify(says('alice', 6500, 'on-the-phone'), from);
  const answered = bob.answeredAt.get(dialog.callId)!;
  const latency = Math.max(bobBusy.at, aliceBusy.at) - answered;
  t.diagnostic(`NOTIFYs ${latency.toFixed(2)} ms after bob's 200`);
  assert.ok(latency < 50, `NOTIFY ${latency.toFixed(1)} ms after the 200`);
  const rest = await presenceOf('bob@example.com');
  assert.equal(rest.availability, 6500);
  assert.equal(rest.activity, 'on-the-phone');

  // A re-INVITE (hold, a codec change) is no second call: one BYE ends it.
  const reinvite = await alice.send(dialog, 'INVITE');
  assert.equal(reinvite.status, 200);
  await new Promise((r) => setTimeout(r, 100));

  const bobSide = bob.taken.get(dialog.callId)!;
  const afterCall = carol.notifies.length;
  const hungUp = performance.now();
  const bye = await bob.hangUp(bobSide); // the callee hangs up: From and To tags the other way round
  assert.equal(bye.status, 200);
  assert.ok(alice.received.some((r) => r.method === 'BYE' && r.callId === dialog.callId), 'the BYE went through Parley to alice');
  const bobBack = await carol.notify(says('bob', 3500), afterCall);
  const aliceBack = await carol.notify(says('alice', 3500), afterCall);
  // The call ends as its BYE's 200 passes the proxy, before it reaches bob: measured from the BYE.
  const byeLatency = Math.max(bobBack.at, aliceBack.at) - hungUp;
  t.diagnostic(`NOTIFYs ${byeLatency.toFixed(2)} ms after bob sent the BYE (its 200 came back after ${(bob.responseAt.get(bye)! - hungUp).toFixed(2)} ms)`);
  assert.ok(byeLatency < 50, `NOTIFY ${byeLatency.toFixed(1)} ms after the BYE`);
  assert.ok(!about(bobBack.request)!.activities.includes('on-the-phone'));
  assert.equal((await presenceOf('bob@example.com')).availability, 3500);
});

test('bob on two devices: the one that answers counts, the one still ringing is CANCELled; a refused call never shows', async () => {
  assert.equal((await bobMobile.register()).status, 200);
  bobMobile.onInvite = 'ring';
  try {
    const start = carol.notifies.length;
    const { response, dialog } = await alice.call('sip:bob@example.com');
    assert.equal(response.status, 200);
    assert.ok(dialog);
    await carol.notify(says('bob', 6500, 'on-the-phone'), start);
    await bobMobile.waitRequest((r) => r.method === 'CANCEL' && r.callId === dialog.callId);
    assert.equal((await presenceOf('bob@example.com')).availability, 6500);
    const during = carol.notifies.length;
    assert.equal((await alice.hangUp(dialog)).status, 200); // the caller hangs up this time
    await carol.notify(says('bob', 3500), during);
    await carol.notify(says('alice', 3500), during);

    // Both of bob's devices refuse: no call, no NOTIFY, and bob stays Available.
    bob.onInvite = 486;
    bobMobile.onInvite = 486;
    const quiet = carol.notifies.length;
    const refused = await alice.call('sip:bob@example.com');
    assert.equal(refused.response.status, 486);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(carol.notifies.slice(quiet).filter(({ request }) => about(request)?.availability === 6500).length, 0);
    assert.equal((await presenceOf('bob@example.com')).availability, 3500);
  } finally {
    bob.onInvite = 'answer';
    bobMobile.onInvite = 'answer';
    await bobMobile.register(0);
  }
});

test('two calls at once: bob stays In a call until the last one ends', async () => {
  const start = carol.notifies.length;
  const first = await alice.call('sip:bob@example.com');
  const second = await dave.call('sip:bob@example.com');
  assert.equal(first.response.status, 200);
  assert.equal(second.response.status, 200);
  await carol.notify(says('bob', 6500, 'on-the-phone'), start);
  assert.equal((await alice.hangUp(first.dialog!)).status, 200);
  await carol.notify(says('alice', 3500), start);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await presenceOf('bob@example.com')).availability, 6500, 'still in the call with dave');
  const oneLeft = carol.notifies.length;
  assert.equal((await dave.hangUp(second.dialog!)).status, 200);
  await carol.notify(says('bob', 3500), oneLeft);
});

test('the BYE itself ends the call: the other phone has vanished and never answers it, yet watchers hear at once', async (t) => {
  const erin = await CallUa.open(server.ports.sip, 'dave', PW.dave); // dave's second phone, about to die
  try {
    assert.equal((await erin.register()).status, 200);
    dave.onInvite = 486; // only the second phone takes the call
    assert.equal((await carol.subscribe('sip:dave@example.com')).response.status, 200);
    const start = carol.notifies.length;
    const placed = await alice.call('sip:dave@example.com');
    assert.equal(placed.response.status, 200);
    await carol.notify(says('dave', 6500, 'on-the-phone'), start);
    erin.close(); // pulled from the wall: no 200 to the BYE will come, only Timer F's 408 after 32 s
    const during = carol.notifies.length;
    const hungUp = performance.now();
    void alice.hangUp(placed.dialog!).catch(() => undefined);
    const back = await carol.notify(says('dave', 3500), during, 2000);
    t.diagnostic(`dave Available ${(back.at - hungUp).toFixed(2)} ms after alice's BYE`);
    assert.ok(back.at - hungUp < 50);
  } finally {
    dave.onInvite = 'answer';
    try {
      erin.close();
    } catch {
      /* closed already */
    }
  }
});
