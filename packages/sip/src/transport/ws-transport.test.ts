/**
 * WebSocket specifics (RFC 7118): the `sip` subprotocol, one message per
 * frame, sharing the web API's HTTPS port, payload limit, ping keep-alive.
 * Peers are `ws` clients — only the wire is faked.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { get as httpsGet } from 'node:https';
import { WebSocket } from 'ws';
import { harness, makeCertificate, sipRequest, sipResponse, sleep, until, within, type TestCertificate } from './test-support.js';

let cert: TestCertificate;
before(() => {
  cert = makeCertificate();
});

/** Opens a raw ws client; resolves when open or with the HTTP status that refused it. */
function rawWs(url: string, protocols: string[], options: WebSocket.ClientOptions = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode });
        res.resume();
        ws.terminate();
      });
      ws.once('error', (e) => reject(e));
    }),
    3000,
    `ws ${url}`,
  );
}

const wsClosed = (ws: WebSocket): Promise<number> =>
  within(new Promise<number>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve(0) : ws.once('close', (code) => resolve(code)))), 3000, 'ws close');

describe('ws transport', () => {
  it('refuses an upgrade that does not offer the "sip" subprotocol (RFC 7118 §4.1)', async () => {
    const server = harness();
    try {
      const port = await server.tm.listen({ protocol: 'ws', host: '127.0.0.1', port: 0, ws: { path: '/sip' } });
      assert.equal((await rawWs(`ws://127.0.0.1:${port}/sip`, [])).status, 400);
      assert.equal((await rawWs(`ws://127.0.0.1:${port}/sip`, ['xmpp'])).status, 400);
      assert.equal((await rawWs(`ws://127.0.0.1:${port}/other`, ['sip'])).status, 404);
      assert.equal(server.tm.stats().connectionsRejected, 3);
      const { ws } = await rawWs(`ws://127.0.0.1:${port}/sip`, ['xmpp', 'sip']);
      assert.equal(ws?.protocol, 'sip');
      await server.opened.next(2000, 'the one accepted flow');
      assert.equal(server.opened.length, 0);
      ws?.terminate();
    } finally {
      await server.tm.close();
    }
  });

  it('carries one SIP message per frame, text or binary, and answers UTF-8 with text frames (RFC 7118 §5)', async () => {
    const server = harness();
    try {
      const port = await server.tm.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
      const { ws } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip']);
      assert.ok(ws);
      const frames: Array<{ text: string; binary: boolean }> = [];
      ws.on('message', (data, isBinary) => frames.push({ text: data.toString(), binary: isBinary }));
      // No stream framing on WebSocket: no Content-Length needed, CRLFs are content.
      ws.send('MESSAGE sip:b SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nhello');
      ws.send(Buffer.from(sipRequest('OPTIONS')), { binary: true });
      const a = await server.messages.next(2000);
      const b = await server.messages.next(2000);
      assert.ok(a.data.toString().endsWith('hello'));
      assert.ok(b.data.toString().startsWith('OPTIONS'));
      assert.equal(a.flow.id, b.flow.id);
      await server.tm.send(sipResponse(), { flowId: a.flow.id });
      await server.tm.send(Buffer.concat([Buffer.from('SIP/2.0 200 OK\r\nl: 1\r\n\r\n'), Buffer.from([0xff])]), { flowId: a.flow.id });
      await until(() => frames.length === 2, 2000, 'two frames');
      assert.deepEqual(frames.map((f) => f.binary), [false, true]);
      // CRLF keep-alives inside WebSocket messages (as SIP.js sends them): ping answered, never delivered.
      ws.send('\r\n\r\n');
      await until(() => frames.length === 3, 2000, 'CRLF pong');
      assert.deepEqual(frames[2], { text: '\r\n', binary: false });
      ws.send('\r\n');
      await sleep(30);
      assert.equal(server.messages.length, 0);
      assert.equal(server.tm.stats().keepAlivesIn, 1);
      ws.terminate();
      assert.equal((await server.closedFlows.next(2000)).reason.code, 'closed');
    } finally {
      await server.tm.close();
    }
  });

  it('closes a flow whose message exceeds the payload limit, and refuses to send one', async () => {
    const server = harness({ framer: { maxHeaderBytes: 1024, maxBodyBytes: 1024 } });
    try {
      const port = await server.tm.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
      const { ws: good } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip']);
      const { ws: big } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip']);
      assert.ok(good && big);
      good.send(sipRequest());
      const { flow } = await server.messages.next(2000);
      big.send('x'.repeat(2049));
      assert.equal(await wsClosed(big), 1009);
      assert.equal((await server.closedFlows.next(2000)).reason.code, 'too-big');
      assert.equal(server.tm.stats().oversizedDrops, 1);
      await assert.rejects(server.tm.send('x'.repeat(2049), { flowId: flow.id }), { code: 'too-big' });
      good.send(sipRequest());
      assert.equal((await server.messages.next(2000)).flow.id, flow.id, 'the other flow is untouched');
      good.terminate();
    } finally {
      await server.tm.close();
    }
  });

  it('pings with WebSocket ping frames and closes a peer that stops answering', async () => {
    const server = harness({ wsPingIntervalMs: 80 });
    try {
      const port = await server.tm.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
      const { ws: alive } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip']);
      const { ws: mute } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip'], { autoPong: false });
      assert.ok(alive && mute);
      let pings = 0;
      alive.on('ping', () => pings++);
      const gone = await server.closedFlows.next(2000, 'mute peer closed');
      assert.equal(gone.reason.code, 'unreachable');
      await wsClosed(mute);
      await sleep(250);
      assert.ok(pings >= 2, `the answering peer was pinged (${pings})`);
      assert.equal(alive.readyState, WebSocket.OPEN);
      alive.terminate();
    } finally {
      await server.tm.close();
    }
  });

  it('applies the per-source connection limit to upgrades (503)', async () => {
    const server = harness({ maxConnectionsPerIp: 1 });
    try {
      const port = await server.tm.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
      const { ws } = await rawWs(`ws://127.0.0.1:${port}/`, ['sip']);
      assert.equal((await rawWs(`ws://127.0.0.1:${port}/`, ['sip'])).status, 503);
      assert.equal(server.tm.stats().connectionsRejected, 1);
      ws?.terminate();
    } finally {
      await server.tm.close();
    }
  });
});

describe('wss attached to the web API server', () => {
  it('shares the HTTPS port: web requests still work, SIP goes over WSS at its path, close() leaves the server to its owner', async () => {
    const web = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('web api'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as { port: number };
    const server = harness();
    const client = harness({ tlsClient: { ca: cert.cert }, wsClientPath: '/sip' });
    const otherUpgrades: string[] = [];
    web.on('upgrade', (req, socket) => {
      if (req.url !== '/sip') {
        otherUpgrades.push(req.url ?? '');
        socket.destroy();
      }
    });
    const fetchWeb = (): Promise<string> =>
      within(
        new Promise<string>((resolve, reject) => {
          httpsGet({ host: '127.0.0.1', port, path: '/api', ca: cert.cert, agent: false }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(body));
          }).on('error', reject);
        }),
        3000,
        'web request',
      );
    try {
      server.tm.attach(web, { path: '/sip' });
      assert.equal(await fetchWeb(), 'web api');
      const out = await client.tm.send(sipRequest('REGISTER'), { protocol: 'wss', host: '127.0.0.1', port });
      const m = await server.messages.next(3000);
      assert.equal(m.flow.protocol, 'wss');
      assert.equal(m.flow.localPort, port);
      await server.tm.send(sipResponse(), { flowId: m.flow.id });
      assert.equal((await client.messages.next(3000)).flow.id, out.id);
      // Another path's upgrade is left to the server's other listeners.
      await rawWs(`wss://127.0.0.1:${port}/chat`, ['sip'], { ca: cert.cert }).catch(() => undefined);
      assert.deepEqual(otherUpgrades, ['/chat']);

      await server.tm.close();
      assert.equal((await client.closedFlows.next(3000)).flow.id, out.id);
      assert.equal(await fetchWeb(), 'web api', 'the web server is not ours to close');
    } finally {
      await Promise.all([client.tm.close(), server.tm.close()]);
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });
});

describe('identify on attached upgrades', () => {
  it('puts the identity the server found on the upgrade on the flow; false refuses with 403, a failure with 503', async () => {
    const web = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('web api'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as { port: number };
    const server = harness();
    const seen: string[] = [];
    try {
      server.tm.attach(web, {
        path: '/sip',
        identify: async (request) => {
          const who = request.headers['x-who'];
          seen.push(String(who));
          if (who === 'nobody') return false;
          if (who === 'broken') throw new Error('store down');
          await sleep(5); // as a store lookup would
          return typeof who === 'string' && who !== '' ? { identity: who, credential: `key-of-${who}` } : undefined;
        },
      });
      const url = `wss://127.0.0.1:${port}/sip`;
      assert.equal((await rawWs(url, ['sip'], { ca: cert.cert, headers: { 'x-who': 'nobody' } })).status, 403);
      assert.equal((await rawWs(url, ['sip'], { ca: cert.cert, headers: { 'x-who': 'broken' } })).status, 503);

      const alice = await rawWs(url, ['sip'], { ca: cert.cert, headers: { 'x-who': 'alice@example.com' } });
      assert.ok(alice.ws, 'alice is let in');
      alice.ws.send(sipRequest('REGISTER'));
      const m = await server.messages.next(3000);
      assert.equal(m.flow.identity, 'alice@example.com');
      assert.equal(m.flow.credential, 'key-of-alice@example.com');
      assert.equal(server.tm.getFlow(m.flow.id)?.identity, 'alice@example.com');

      const anon = await rawWs(url, ['sip'], { ca: cert.cert });
      assert.ok(anon.ws, 'no identity: let in, to authenticate in SIP');
      anon.ws.send(sipRequest('REGISTER'));
      const a = await server.messages.next(3000);
      assert.equal(a.flow.identity, undefined);
      assert.ok(!('identity' in a.flow) && !('credential' in a.flow));
      assert.deepEqual(seen, ['nobody', 'broken', 'alice@example.com', 'undefined']);
      alice.ws.close();
      anon.ws.close();
    } finally {
      await server.tm.close();
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });
});
