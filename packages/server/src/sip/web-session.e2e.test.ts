/**
 * The web client's SIP WebSocket: opened with a signed-in session's cookie,
 * its requests need no digest (the session stands for the credentials, in the
 * user's own name only); without one, digest as usual; another site's page
 * is refused; signing out, or an administrator disabling the user, closes it.
 */
import '../http/api/test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { parseMessage, type SipResponse } from '@parley/sip';
import type { ParleyConfig } from '../config/index.js';
import { bootstrap, call, start, tempDir, testConfig } from '../http/api/test-kit.js';
import type { StartedServer } from '../standard-server.js';

const PW = { alice: 'Maple-River-42', bob: 'Birch-Cloud-42', admin: 'Oak-Harbor-4242' };
let dir: string;
let config: ParleyConfig;
let server: StartedServer;

before(async () => {
  dir = tempDir();
  config = testConfig(dir);
  await bootstrap(config, async (users) => {
    await users.addDomain('example.com');
    await users.addUser({ address: 'alice@example.com', password: PW.alice });
    await users.addUser({ address: 'bob@example.com', password: PW.bob });
    await users.addUser({ address: 'admin@example.com', password: PW.admin, role: 'admin' });
  });
  server = await start(config);
});

after(async () => {
  await server?.stop({ drainMs: 100 });
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(address: string, password: string): Promise<{ cookie: string; token: string }> {
  const r = await call(server, 'POST', '/api/v1/session', { json: { address, password } });
  assert.equal(r.status, 201, r.text);
  const cookie = String(r.headers['set-cookie']).split(';')[0];
  return { cookie, token: r.body.token as string };
}

/** A SIP-over-WSS client (RFC 7118) that sends requests and waits for their final answers. */
class WsUa {
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
  private readonly waiting = new Map<string, (r: SipResponse) => void>();
  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const m = parseMessage(data.toString());
      if ('status' in m && m.status >= 200) this.waiting.get(m.callId)?.(m as SipResponse);
    });
  }

  /** Opens it; resolves with the client, or the HTTP status that refused the upgrade. */
  static open(headers: Record<string, string>): Promise<WsUa | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${server.ports.https}/sip`, ['sip'], { ca: server.tls.ca, headers });
      const timer = setTimeout(() => reject(new Error('no upgrade answer')), 5000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new WsUa(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        res.resume();
        ws.terminate();
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  send(method: string, o: { from: string; to: string; uri?: string; body?: string; type?: string }): Promise<SipResponse> {
    const callId = randomBytes(8).toString('hex');
    const body = o.body ?? '';
    const text = [
      `${method} ${o.uri ?? `sip:${o.to}`} SIP/2.0`,
      `Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      'Max-Forwards: 70',
      `From: <sip:${o.from}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <sip:${o.to}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      ...(method === 'REGISTER' ? ['Contact: <sip:x7k2@df7jal23ls0d.invalid;transport=ws>;expires=300'] : []),
      ...(o.type ? [`Content-Type: ${o.type}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), 5000);
      this.waiting.set(callId, (r) => {
        clearTimeout(timer);
        this.waiting.delete(callId);
        resolve(r);
      });
      this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

const origin = () => `https://127.0.0.1:${server.ports.https}`;

test('a WebSocket opened with a session registers and sends in the user\'s name without a challenge, and only in that name', async () => {
  const { cookie } = await signIn('alice@example.com', PW.alice);
  const ua = await WsUa.open({ cookie, origin: origin() });
  assert.ok(ua instanceof WsUa);
  try {
    const reg = await ua.send('REGISTER', { from: 'alice@example.com', to: 'alice@example.com', uri: 'sip:example.com' });
    assert.equal(reg.status, 200);
    assert.equal(reg.contacts.length, 1);
    const bobsName = await ua.send('REGISTER', { from: 'bob@example.com', to: 'bob@example.com', uri: 'sip:example.com' });
    assert.equal(bobsName.status, 403, 'the session is alice\'s: she may not register bob (as with her digest credentials)');
    const msg = await ua.send('MESSAGE', { from: 'alice@example.com', to: 'bob@example.com', body: 'hi', type: 'text/plain' });
    assert.equal(msg.status, 202, 'no 407; bob is offline, so kept for later');
    const spoof = await ua.send('MESSAGE', { from: 'bob@example.com', to: 'alice@example.com', body: 'hi', type: 'text/plain' });
    assert.equal(spoof.status, 403, 'in another name: refused');
  } finally {
    ua.close();
  }
});

test('without a session the WebSocket is challenged as any SIP client; a bad or ended cookie is no session', async () => {
  const anon = await WsUa.open({ origin: origin() });
  assert.ok(anon instanceof WsUa);
  const bogus = await WsUa.open({ origin: origin(), cookie: `parley_session=${'x'.repeat(43)}` });
  assert.ok(bogus instanceof WsUa);
  try {
    for (const ua of [anon, bogus]) {
      const reg = await ua.send('REGISTER', { from: 'alice@example.com', to: 'alice@example.com', uri: 'sip:example.com' });
      assert.equal(reg.status, 401);
      assert.match(reg.get('www-authenticate') ?? '', /^Digest /);
    }
  } finally {
    anon.close();
    bogus.close();
  }
});

test('a page of another site cannot open it with the user\'s cookie (cross-site WebSocket hijacking): 403', async () => {
  const { cookie } = await signIn('alice@example.com', PW.alice);
  assert.equal(await WsUa.open({ cookie, origin: 'https://evil.example.net' }), 403);
  assert.equal(await WsUa.open({ cookie, origin: 'not a url' }), 403);
});

test('signing out closes the session\'s WebSockets, and only those', async () => {
  const one = await signIn('alice@example.com', PW.alice);
  const two = await signIn('alice@example.com', PW.alice);
  const a = await WsUa.open({ cookie: one.cookie, origin: origin() });
  const b = await WsUa.open({ cookie: two.cookie, origin: origin() });
  assert.ok(a instanceof WsUa && b instanceof WsUa);
  try {
    assert.equal((await a.send('REGISTER', { from: 'alice@example.com', to: 'alice@example.com', uri: 'sip:example.com' })).status, 200);
    const out = await call(server, 'DELETE', '/api/v1/session', { token: one.token });
    assert.equal(out.status, 204);
    const code = await Promise.race([a.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 3000))]);
    assert.notEqual(code, 'still open');
    assert.equal(b.ws.readyState, WebSocket.OPEN, 'the other session\'s socket stays');
    assert.equal((await b.send('REGISTER', { from: 'alice@example.com', to: 'alice@example.com', uri: 'sip:example.com' })).status, 200);
  } finally {
    a.close();
    b.close();
  }
});

test('an administrator disabling the user closes their WebSockets', async () => {
  const admin = await signIn('admin@example.com', PW.admin);
  const bob = await signIn('bob@example.com', PW.bob);
  const ua = await WsUa.open({ cookie: bob.cookie, origin: origin() });
  assert.ok(ua instanceof WsUa);
  try {
    assert.equal((await ua.send('REGISTER', { from: 'bob@example.com', to: 'bob@example.com', uri: 'sip:example.com' })).status, 200);
    const r = await call(server, 'PATCH', '/api/v1/admin/users/bob@example.com', { token: admin.token, json: { enabled: false } });
    assert.equal(r.status, 200, r.text);
    const code = await Promise.race([ua.closed, new Promise<string>((res) => setTimeout(() => res('still open'), 3000))]);
    assert.notEqual(code, 'still open');
  } finally {
    ua.close();
    await call(server, 'PATCH', '/api/v1/admin/users/bob@example.com', { token: admin.token, json: { enabled: true } });
  }
});
