/**
 * Do Not Disturb on IM (message-handler.ts step 6, presence/presence-gate.ts):
 * the real server with IM and presence; bob's state is set through the
 * presence service's publication table, relationships through its contact
 * service, devices speak SIP over UDP (`test-ua.ts`).
 */
import '../../http/api/test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { bootstrap, tempDir, testConfig } from '../../http/api/test-kit.js';
import { createLogger } from '../../observability/index.js';
import { startServer, withServices, type StartedServer } from '../../standard-server.js';
import { createPresenceService, type PresenceParts } from '../presence/index.js';
import { parsePidf } from '../presence/pidf-parse.js';
import { ImService } from './im-service.js';
import { ISCOMPOSING } from './message-handler.js';
import { TestUa } from './test-ua.js';

const PW = 'Maple-River-42';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const D = 'example.com';
const at = (u: string) => `${u}@${D}`;

let dir: string;
let server: StartedServer;
let im: ImService;
let parts: PresenceParts;
const uas: TestUa[] = [];

async function device(user: string): Promise<TestUa> {
  const ua = await TestUa.open({ user, domain: D, password: PW, serverPort: server.ports.sip });
  uas.push(ua);
  assert.equal((await ua.register()).status, 200);
  return ua;
}

const doc = (user: string, person: string) =>
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="urn:parley:params:xml:ns:pidf:presence" entity="sip:${at(user)}"><tuple id="t"><status><basic>open</basic></status></tuple><dm:person id="p">${person}</dm:person></presence>`;

let etag: string | undefined;
async function setState(user: string, person: string): Promise<void> {
  const document = doc(user, person);
  const out = await parts.publications.publish({ owner: at(user), ifMatch: etag, body: { document, state: parsePidf(document) }, expiresS: 600, source: undefined });
  etag = out.kind === 'removed' ? undefined : out.publication.etag;
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
      im: (ctx) => (im = new ImService(ctx, { pendingPollMs: 200, deliveryDeadlineMs: 1500 })),
      presence: createPresenceService({}, (p) => (parts = p)),
    }),
  });
  const bob = (await server.store.users.getByAddress(at('bob')))!;
  await parts.contacts.addContact(bob, { address: at('carol'), relationship: 'workgroup' });
  await parts.contacts.addContact(bob, { address: at('dave'), relationship: 'friends-family' });
  await parts.contacts.addContact(bob, { address: at('erin'), relationship: 'blocked' });
});

after(async () => {
  for (const ua of uas) ua.close();
  await server?.stop({ drainMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

test('Do Not Disturb: only Workgroup gets through; others 480 + Warning, nothing stored; a blocked sender learns nothing more', async () => {
  const bob = await device('bob');
  const [alice, carol, dave, erin] = await Promise.all(['alice', 'carol', 'dave', 'erin'].map(device));
  await setState('bob', '<p:availability>9500</p:availability>');
  assert.equal(parts.agent.stateOf(at('bob')).availability, 9500);

  const r1 = await alice.message(at('bob'), 'a colleague interrupts');
  assert.equal(r1.status, 480, `${r1.status} ${r1.reason}`);
  assert.match(r1.reason, /Do Not Disturb/);
  assert.match(r1.get('warning') ?? '', /^399 \S+ "Do Not Disturb"$/);
  const typing = await alice.message(at('bob'), '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>', { contentType: ISCOMPOSING });
  assert.equal(typing.status, 480, 'typing notifications are held back too');
  const r2 = await dave.message(at('bob'), 'friends and family may not interrupt');
  assert.equal(r2.status, 480);
  const r3 = await erin.message(at('bob'), 'blocked');
  assert.equal(r3.status, 480);
  assert.equal(r3.get('warning'), undefined, 'a blocked sender is not told the recipient is Do Not Disturb');
  assert.doesNotMatch(r3.reason, /Disturb/);

  const ok = await carol.message(at('bob'), 'workgroup gets through');
  assert.equal(ok.status, 200);
  await bob.waitMessage('workgroup gets through');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(bob.messages('interrupt').length, 0, 'nothing from non-workgroup senders reached bob');
  assert.equal(bob.received.filter((m) => m.contentType === ISCOMPOSING).length, 0);
  const history = await im.repo.history(at('alice'), at('bob'), { limit: 10 });
  assert.equal(history.length, 0, 'a held-back message is not kept');

  // Presenting behaves as Do Not Disturb.
  await setState('bob', '<rpid:activities><rpid:presentation/></rpid:activities>');
  assert.equal((await alice.message(at('bob'), 'during the keynote')).status, 480);
  // Back to Available: everyone gets through again.
  await setState('bob', '<p:availability>3500</p:availability>');
  assert.equal((await alice.message(at('bob'), 'after the keynote')).status, 200);
  await bob.waitMessage('after the keynote');
  // A note to self is never held back.
  await setState('bob', '<p:availability>9500</p:availability>');
  const second = await device('bob');
  assert.equal((await bob.message(at('bob'), 'note to self while DND')).status, 200);
  await second.waitMessage('note to self while DND');
});
