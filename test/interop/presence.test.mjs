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
import dgram from 'node:dgram';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startParley, importUsers, REPO, skipUnlessBinaries, startSipp, usersCsv, summarize, waitFor, Baresip } from '../harness/index.mjs';

const { DigestClient } = await import(join(REPO, 'packages', 'sip', 'dist', 'digest', 'index.js'));

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

// ---------- REST ----------
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
        headers: {
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function signIn(user) {
  const r = await rest('POST', '/session', { json: { address: `${user}@${DOMAIN}`, password: PW } });
  assert.ok(r.status === 200 || r.status === 201, `sign-in ${user}: ${r.status} ${r.text}`);
  return r.body.token;
}

// ---------- a minimal UDP SIP UA ----------
function parseSip(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const first = head.shift();
  const headers = {};
  for (const l of head) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    (headers[k] ??= []).push(l.slice(i + 1).trim());
  }
  const h = (k) => headers[k]?.[0] ?? headers[{ 'call-id': 'i', from: 'f', to: 't', via: 'v', 'content-type': 'c', 'content-length': 'l' }[k]]?.[0];
  const body = buf.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8');
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return { first, status: m ? +m[1] : null, method: m ? null : first.split(' ')[0], headers, h, body, raw: text };
}

class Ua {
  constructor(user) {
    this.user = user;
    this.aor = `sip:${user}@${DOMAIN}`;
    this.digest = new DigestClient({ username: user, password: PW });
    this.waiters = new Set();
    this.requests = [];
    this.log = [];
    this.cseq = 1;
  }
  async open() {
    this.sock = dgram.createSocket('udp4');
    await new Promise((r) => this.sock.bind(0, '127.0.0.1', r));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => this.onMessage(buf));
    return this;
  }
  close() {
    this.sock?.close();
  }
  send(text) {
    this.log.push(`>> ${text.split('\r\n')[0]}`);
    this.sock.send(Buffer.from(text, 'utf8'), parley.sipPort, '127.0.0.1');
  }
  onMessage(buf) {
    const m = parseSip(buf);
    this.log.push(`<< ${m.first}`);
    if (m.method) {
      this.requests.push(m);
      if (m.method !== 'ACK') {
        const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((k) => (m.headers[k] ?? []).map((v) => `${k}: ${v}`));
        this.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'));
      }
    }
    for (const w of this.waiters) w(m);
  }
  /** Wait for a message matching pred (a request already received counts). */
  wait(pred, { timeoutMs = 10_000, what = 'message', past = false } = {}) {
    if (past) {
      const hit = this.requests.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const w = (m) => {
        if (!pred(m)) return;
        clearTimeout(t);
        this.waiters.delete(w);
        resolve(m);
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.user}: no ${what} in ${timeoutMs} ms; saw:\n${this.log.slice(-20).join('\n')}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
  /** Send a request outside a dialog (or with given dialog headers); answers 401/407 once. */
  async request(method, uri, { headers = [], body = '', contentType, callId, fromTag, to } = {}) {
    callId ??= randomBytes(8).toString('hex');
    fromTag ??= randomBytes(4).toString('hex');
    let auth = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const cseq = this.cseq++;
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
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
  publish(pidf, expires = 600) {
    return this.request('PUBLISH', this.aor, { headers: ['Event: presence', `Expires: ${expires}`], body: pidf, contentType: 'application/pidf+xml' });
  }
  subscribe(uri, headers = []) {
    return this.request('SUBSCRIBE', uri, { headers: ['Event: presence', 'Expires: 600', ...headers] });
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
