/**
 * Acceptance (issue: presence): SIMPLE presence through a real Parley.
 *  1a. PUBLISH by one user reaches a SIPp watcher as a NOTIFY with the new state.
 *  1b. A resource-list SUBSCRIBE to a 50-contact list gives one multipart/related
 *      NOTIFY whose RLMI holds all 50 resources (one PIDF each).
 *  1c. A watcher the owner blocks (REST) is notified Offline at once.
 *  2.  Two baresip phones: MESSAGE through Parley; presence SUBSCRIBE/NOTIFY.
 * The Node side is a tiny UDP SIP UA (digest by packages/sip's DigestClient).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startParley, importUsers, skipUnlessBinaries, startSipp, usersCsv, summarize, waitFor, Baresip } from '../harness/index.mjs';
import { restClient, UdpUa } from '../harness/sip-ua.mjs';


const skip = skipUnlessBinaries('sipp');
const DOMAIN = 'example.com';
const PW = 'Test-Password-42';
let parley;

before(async () => {
  if (skip) return;
  parley = await startParley();
  for (const u of ['alice', 'bob', 'carol', 'dave', 'boss', 'erin', 'frank']) {
    parley.cli(['user', 'add', `${u}@${DOMAIN}`, '--password', PW]);
  }
  importUsers(parley.dataDir, { count: 50, prefix: 'member', password: PW });
});
after(async () => parley?.stop());

// ---------- REST and a minimal UDP SIP UA (test/harness/sip-ua.mjs) ----------
const rest = restClient(() => parley);

async function signIn(user) {
  const r = await rest('POST', '/session', { json: { address: `${user}@${DOMAIN}`, password: PW } });
  assert.ok(r.status === 200 || r.status === 201, `sign-in ${user}: ${r.status} ${r.text}`);
  return r.body.token;
}

class Ua extends UdpUa {
  constructor(user) {
    super(user, { domain: DOMAIN, password: PW, server: () => parley });
  }
}

const pidf = (user, { basic = 'open', activity, note, availability } = {}) => `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="urn:parley:params:xml:ns:pidf:presence" entity="sip:${user}@${DOMAIN}">
 <tuple id="t1"><status><basic>${basic}</basic></status></tuple>
 <dm:person id="p1">${activity ? `<rpid:activities><rpid:${activity}/></rpid:activities>` : ''}${note ? `<dm:note>${note}</dm:note>` : ''}${availability ? `<p:availability>${availability}</p:availability>` : ''}</dm:person>
</presence>`;

async function withUas(users, fn) {
  const uas = [];
  try {
    for (const u of users) uas.push(await new Ua(u).open());
    return await fn(...uas);
  } finally {
    for (const ua of uas) ua.close();
  }
}

describe('presence through Parley (SIP)', { skip }, () => {
  test('1a: PUBLISH busy/"in a meeting" by alice reaches a SIPp watcher (bob) as a NOTIFY', { timeout: 60_000 }, async () => {
    const bobToken = await signIn('bob');
    const aliceToken = await signIn('alice');
    // bob lists alice (so the subscription is a plain colleague watch)
    const add = await rest('POST', '/me/contacts', { token: bobToken, json: { address: `alice@${DOMAIN}` } });
    assert.equal(add.status, 201, add.text);
    const sipp = await startSipp({
      scenario: 'presence-subscriber',
      remote: `127.0.0.1:${parley.sipPort}`,
      injectCsv: usersCsv({ users: [{ user: 'bob', password: PW }], domain: DOMAIN, target: 'alice' }),
      calls: 1,
      timeoutSec: 30,
      recvTimeoutMs: 20_000,
      traceMsg: true,
    });
    try {
      // bounded wait until Parley counts bob among alice's watchers
      await waitFor(
        async () => {
          const w = await rest('GET', '/me/watchers', { token: aliceToken });
          return w.body?.watching?.some((a) => a.startsWith('bob@')) || !sipp.isRunning();
        },
        { timeoutMs: 10_000, intervalMs: 200, what: 'bob watching alice' },
      );
      await withUas(['alice'], async (alice) => {
        const { res } = await alice.publish(pidf('alice', { activity: 'busy', note: 'in a meeting', availability: 6500 }));
        assert.equal(res.status, 200, res.raw);
        assert.ok(res.h('sip-etag'), 'PUBLISH 200 carries SIP-ETag');
      });
      const r = await sipp.done;
      assert.equal(r.successful, 1, `${summarize(r)}\n${r.outputTail}\n${(r.messages ?? '').slice(-6000)}`);
      assert.equal(r.failed, 0, summarize(r));
      assert.match(r.messages, /SIP\/2\.0 407/, 'the first SUBSCRIBE was challenged');
      assert.match(r.messages, /in a meeting/);
    } finally {
      await sipp.stop();
    }
  });

  test('1b: a resource-list SUBSCRIBE to a 50-contact list returns one multipart/related RLMI NOTIFY with all 50', { timeout: 60_000 }, async () => {
    const token = await signIn('boss');
    for (let i = 0; i < 50; i++) {
      const r = await rest('POST', '/me/contacts', { token, json: { address: `member${i}@${DOMAIN}` } });
      assert.equal(r.status, 201, r.text);
    }
    await withUas(['boss'], async (boss) => {
      const listUri = `sip:boss;list=contacts@${DOMAIN}`;
      const notify = boss.wait((m) => m.method === 'NOTIFY', { what: 'list NOTIFY', timeoutMs: 15_000 });
      const { res } = await boss.subscribe(listUri, ['Supported: eventlist', 'Accept: application/pidf+xml, application/rlmi+xml, multipart/related']);
      assert.equal(res.status, 200, res.raw);
      assert.match(res.h('require') ?? '', /eventlist/);
      const n = await notify;
      const ct = n.h('content-type') ?? '';
      assert.match(ct, /^multipart\/related/i, ct);
      assert.match(ct, /type="?application\/rlmi\+xml/i, ct);
      const boundary = /boundary="?([^";]+)"?/i.exec(ct)[1];
      const parts = n.body.split(`--${boundary}`).slice(1, -1);
      assert.equal(parts.length, 51, 'RLMI + 50 PIDF parts');
      const rlmi = parts[0];
      assert.match(rlmi, /application\/rlmi\+xml/i);
      assert.match(rlmi, /fullState="true"/);
      const resources = [...rlmi.matchAll(/<resource\b[^>]*uri="([^"]+)"/g)].map((m) => m[1]);
      assert.equal(resources.length, 50, rlmi.slice(0, 2000));
      for (let i = 0; i < 50; i++) assert.ok(resources.includes(`sip:member${i}@${DOMAIN}`), `member${i} in RLMI`);
      assert.equal(parts.slice(1).filter((p) => /application\/pidf\+xml/i.test(p)).length, 50);
      assert.equal(boss.requests.filter((m) => m.method === 'NOTIFY').length, 1, 'one NOTIFY, not one per contact');
    });
  });

  test('1c: a watcher the owner blocks receives Offline at once', { timeout: 60_000 }, async () => {
    const daveToken = await signIn('dave');
    await withUas(['dave', 'carol'], async (dave, carol) => {
      const pub = await dave.publish(pidf('dave', { availability: 3500, note: 'at my desk' }));
      assert.equal(pub.res.status, 200, pub.res.raw);
      const first = carol.wait((m) => m.method === 'NOTIFY', { what: 'initial NOTIFY' });
      const { res } = await carol.subscribe(`sip:dave@${DOMAIN}`, ['Accept: application/pidf+xml']);
      assert.equal(res.status, 200, res.raw);
      const n1 = await first;
      assert.match(n1.body, /<basic>open<\/basic>/, n1.body);
      assert.match(n1.body, /at my desk/);
      const next = carol.wait((m) => m.method === 'NOTIFY', { what: 'NOTIFY after the block' });
      const block = await rest('POST', '/me/contacts', { token: daveToken, json: { address: `carol@${DOMAIN}`, relationship: 'blocked' } });
      assert.equal(block.status, 201, block.text);
      const n2 = await next;
      assert.match(n2.body, /<basic>closed<\/basic>/, n2.body);
      assert.doesNotMatch(n2.body, /<basic>open<\/basic>/);
      assert.doesNotMatch(n2.body, /at my desk/, 'a blocked watcher sees no note');
      const av = /<p:availability>(\d+)</.exec(n2.body)?.[1] ?? /availability>(\d+)</.exec(n2.body)?.[1];
      if (av) assert.equal(av, '18500', n2.body);
    });
  });
});

describe('two baresip softphones through Parley', { skip: skip || skipUnlessBinaries('baresip') }, () => {
  const phone = (user, other) =>
    new Baresip({ user, password: PW, domain: DOMAIN, proxy: `127.0.0.1:${parley.sipPort}`, transport: 'udp', presence: [`sip:${other}@${DOMAIN}`], pubint: 60 });

  test('2: MESSAGE reaches the other phone; each sees the other Online (presence.so SUBSCRIBE/NOTIFY), and Offline once it quits', { timeout: 60_000 }, async () => {
    const erin = phone('erin', 'frank');
    const frank = phone('frank', 'erin');
    try {
      await erin.start();
      // frank is not signed in yet: erin's subscription shows him Offline
      await erin.waitContactPresence(`sip:frank@${DOMAIN}`, /^Offline$/, { timeoutMs: 10_000 });
      await frank.start();
      await erin.waitContactPresence(`sip:frank@${DOMAIN}`, /^Online$/, { timeoutMs: 10_000 });
      await frank.waitContactPresence(`sip:erin@${DOMAIN}`, /^Online$/, { timeoutMs: 10_000 });
      await erin.sendMessage(`sip:frank@${DOMAIN}`, 'presence says you are in');
      assert.equal((await frank.waitMessage({ text: 'presence says you are in' })).from, `sip:erin@${DOMAIN}`);
      await frank.sendMessage(`sip:erin@${DOMAIN}`, 'so I am');
      await erin.waitMessage({ text: 'so I am', from: 'frank' });
      // frank quits (un-REGISTERs): erin is told at once
      await frank.stop();
      await erin.waitContactPresence(`sip:frank@${DOMAIN}`, /^Offline$/, { timeoutMs: 10_000 });
    } finally {
      await erin.stop();
      await frank.stop();
    }
  });
});
