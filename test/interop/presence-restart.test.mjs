/**
 * Acceptance (issue: IM and presence as the original does them, item 3):
 * presence subscriptions have a durable shadow. A watcher subscribed before
 * a restart of the real server (same data folder, same ports) is sent a
 * NOTIFY with the current state in the SAME dialog after the restart,
 * without subscribing again, keeps getting NOTIFYs, and may refresh the
 * subscription in that dialog. The Node side is the harness's UDP SIP UA.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startParley, removeDir, waitFor } from '../harness/index.mjs';
import { restClient, UdpUa } from '../harness/sip-ua.mjs';

const DOMAIN = 'example.com';
const PW = 'Test-Password-42';
let parley;
let dataDir;

after(async () => {
  await parley?.stop();
  if (dataDir) removeDir(dataDir);
});

const rest = restClient(() => parley);

class Ua extends UdpUa {
  constructor(user) {
    super(user, { domain: DOMAIN, password: PW, server: () => parley });
  }
}

const pidf = (user, note) => `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="sip:${user}@${DOMAIN}">
 <tuple id="t1"><status><basic>open</basic></status></tuple>
 <dm:person id="p1"><dm:note>${note}</dm:note></dm:person>
</presence>`;

const seqOf = (m) => Number(m.h('cseq').split(' ')[0]);

test('presence subscriptions survive a restart: same dialogs, full state at once, later changes, in-dialog refresh', { timeout: 120_000 }, async () => {
  parley = await startParley();
  dataDir = parley.dataDir;
  for (const u of ['alice', 'bob']) parley.cli(['user', 'add', `${u}@${DOMAIN}`, '--password', PW]);
  const bobToken = (await rest('POST', '/session', { json: { address: `bob@${DOMAIN}`, password: PW } })).body.token;
  assert.equal((await rest('POST', '/me/contacts', { token: bobToken, json: { address: `alice@${DOMAIN}` } })).status, 201);

  const alice = await new Ua('alice').open();
  const bob = await new Ua('bob').open();
  try {
    assert.equal((await alice.request('PUBLISH', alice.aor, { headers: ['Event: presence', 'Expires: 3600'], body: pidf('alice', 'before the restart'), contentType: 'application/pidf+xml' })).res.status, 200);

    // bob: one subscription to alice, one to his contact list (RFC 4662)
    const single = await bob.request('SUBSCRIBE', alice.aor, { headers: ['Event: presence', 'Expires: 3600'] });
    assert.equal(single.res.status, 200);
    const listUri = `sip:bob;list=contacts@${DOMAIN}`;
    const list = await bob.request('SUBSCRIBE', listUri, { headers: ['Event: presence', 'Expires: 3600', 'Supported: eventlist', 'Accept: application/pidf+xml, application/rlmi+xml, multipart/related'] });
    assert.equal(list.res.status, 200);
    const notifiesOf = (callId) => bob.requests.filter((m) => m.method === 'NOTIFY' && m.h('call-id') === callId);
    await waitFor(() => notifiesOf(single.callId).length > 0 && notifiesOf(list.callId).length > 0, { timeoutMs: 10_000, what: 'first NOTIFYs' });
    assert.match(notifiesOf(single.callId)[0].body, /before the restart/);
    const lastBefore = { single: seqOf(notifiesOf(single.callId).at(-1)), list: seqOf(notifiesOf(list.callId).at(-1)) };
    const serverTag = /tag=([^;>\s]+)/.exec(single.res.h('to'))[1];

    // restart on the same data and ports
    const ports = { sipPort: parley.sipPort, sipsPort: parley.sipsPort, httpsPort: parley.httpsPort };
    await parley.stop({ keepData: true });
    const terminatedAtStop = bob.requests.filter((m) => m.method === 'NOTIFY' && /terminated/i.test(m.h('subscription-state') ?? ''));
    assert.equal(terminatedAtStop.length, 0, 'a stop with a durable shadow does not end the subscriptions');
    const resumedSingle = bob.wait((m) => m.method === 'NOTIFY' && m.h('call-id') === single.callId, { what: 'NOTIFY after the restart (single)', timeoutMs: 30_000 });
    const resumedList = bob.wait((m) => m.method === 'NOTIFY' && m.h('call-id') === list.callId, { what: 'NOTIFY after the restart (list)', timeoutMs: 30_000 });
    parley = await startParley({ dataDir, ...ports, logLevel: process.env.PARLEY_TEST_LOG ?? 'warn' });

    const n1 = await resumedSingle;
    assert.match(n1.h('subscription-state'), /^active/i);
    assert.match(n1.body, /before the restart/, 'the publication survived too; the full state is sent');
    assert.ok(seqOf(n1) > lastBefore.single, `CSeq goes on increasing in the dialog (${seqOf(n1)} > ${lastBefore.single})`);
    assert.equal(/tag=([^;>\s]+)/.exec(n1.h('from'))[1], serverTag, 'same dialog: the notifier keeps its tag');
    assert.equal(/tag=([^;>\s]+)/.exec(n1.h('to'))[1], single.fromTag);
    const n2 = await resumedList;
    assert.match(n2.h('content-type'), /^multipart\/related/i);
    assert.match(n2.body, /fullState="true"/);
    assert.ok(seqOf(n2) > lastBefore.list);

    // a change after the restart reaches both subscriptions
    const changed = bob.wait((m) => m.method === 'NOTIFY' && m.h('call-id') === single.callId && /after the restart/.test(m.body), { what: 'NOTIFY of a change after the restart' });
    const changedList = bob.wait((m) => m.method === 'NOTIFY' && m.h('call-id') === list.callId && /after the restart/.test(m.body), { what: 'list NOTIFY of a change after the restart' });
    assert.equal((await alice.request('PUBLISH', alice.aor, { headers: ['Event: presence', 'Expires: 3600'], body: pidf('alice', 'after the restart'), contentType: 'application/pidf+xml' })).res.status, 200);
    await changed;
    await changedList;

    // the subscriber refreshes in the same dialog (RFC 6665 §4.1.2.1): 200, not 481
    const contact = /<([^>]+)>/.exec(single.res.h('contact'))[1];
    const refresh = await bob.request('SUBSCRIBE', contact, {
      callId: single.callId,
      fromTag: single.fromTag,
      to: `<${alice.aor}>;tag=${serverTag}`,
      headers: ['Event: presence', 'Expires: 600'],
    });
    assert.equal(refresh.res.status, 200, refresh.res.first);
  } finally {
    alice.close();
    bob.close();
  }
});
