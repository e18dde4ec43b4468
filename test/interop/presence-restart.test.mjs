/**
 * Acceptance (issue: IM and presence as the original does them, item 3):
 * presence subscriptions have a durable shadow. A watcher subscribed before
 * a restart of the real server (same data folder, same ports) is sent a
 * NOTIFY with the current state in the SAME dialog after the restart,
 * without subscribing again, keeps getting NOTIFYs, and may refresh the
 * subscription in that dialog. The Node side is a tiny UDP SIP UA.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startParley, REPO, removeDir, waitFor } from '../harness/index.mjs';

const { DigestClient } = await import(join(REPO, 'packages', 'sip', 'dist', 'digest', 'index.js'));

const DOMAIN = 'example.com';
const PW = 'Test-Password-42';
let parley;
let dataDir;

after(async () => {
  await parley?.stop();
  if (dataDir) removeDir(dataDir);
});

function rest(method, path, { token, json } = {}) {
  const body = json ? JSON.stringify(json) : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: parley.httpsPort,
        method,
        path: `/api/v1${path}`,
        ca: readFileSync(parley.caFile),
        servername: 'localhost',
        checkServerIdentity: () => undefined,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

function parseSip(buf) {
  const text = buf.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const first = head.shift();
  const headers = {};
  for (const l of head) {
    const i = l.indexOf(':');
    if (i > 0) (headers[l.slice(0, i).trim().toLowerCase()] ??= []).push(l.slice(i + 1).trim());
  }
  const short = { 'call-id': 'i', from: 'f', to: 't', via: 'v', 'content-type': 'c', contact: 'm' };
  const h = (k) => headers[k]?.[0] ?? headers[short[k]]?.[0];
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return { first, status: m ? +m[1] : null, method: m ? null : first.split(' ')[0], headers, h, body: text.slice(end + 4) };
}

class Ua {
  constructor(user) {
    this.user = user;
    this.aor = `sip:${user}@${DOMAIN}`;
    this.digest = new DigestClient({ username: user, password: PW });
    this.waiters = new Set();
    this.requests = [];
    this.cseq = 1;
  }
  async open() {
    this.sock = dgram.createSocket('udp4');
    await new Promise((r) => this.sock.bind(0, '127.0.0.1', r));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => {
      const m = parseSip(buf);
      if (m.method) {
        this.requests.push(m);
        const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((k) => (m.headers[k] ?? []).map((v) => `${k}: ${v}`));
        this.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'));
      }
      for (const w of this.waiters) w(m);
    });
    return this;
  }
  close() {
    this.sock?.close();
  }
  send(text) {
    this.sock.send(Buffer.from(text, 'utf8'), parley.sipPort, '127.0.0.1');
  }
  wait(pred, { timeoutMs = 10_000, what = 'message' } = {}) {
    return new Promise((resolve, reject) => {
      const w = (m) => {
        if (!pred(m)) return;
        clearTimeout(t);
        this.waiters.delete(w);
        resolve(m);
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.user}: no ${what} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
  async request(method, uri, { headers = [], body = '', contentType, callId, fromTag, to } = {}) {
    callId ??= randomBytes(8).toString('hex');
    fromTag ??= randomBytes(4).toString('hex');
    let auth = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const cseq = this.cseq++;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
        'Max-Forwards: 70',
        `From: <${this.aor}>;tag=${fromTag}`,
        `To: ${to ?? `<${uri}>`}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:${this.user}@127.0.0.1:${this.port};transport=udp>`,
        ...headers,
        ...auth,
        ...(body ? [`Content-Type: ${contentType}`] : []),
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ];
      const final = this.wait((m) => m.status >= 200 && m.h('call-id') === callId && m.h('cseq')?.startsWith(`${cseq} `), { what: `final answer to ${method}` });
      this.send(lines.join('\r\n'));
      const res = await final;
      if ((res.status === 401 || res.status === 407) && attempt === 0) {
        const hdr = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
        const out = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
        auth = this.digest.answer(res.headers[hdr], { method, uri, body }).map((v) => `${out}: ${v}`);
        continue;
      }
      return { res, callId, fromTag };
    }
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
