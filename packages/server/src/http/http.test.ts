import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createLogger, Metrics } from '../observability/index.js';
import { ensureTlsMaterial, type TlsMaterial } from '../tls/index.js';
import { createHttpServer, HttpServerError, SIP_WEBSOCKET_PATH, safeSegments, type HttpServerOptions } from './index.js';
import { isAppRoute } from './static.js';

const root = mkdtempSync(join(tmpdir(), 'parley-http-'));
let material: TlsMaterial;
const silent = createLogger({ level: 'silent' });
const webDir = join(root, 'web');

before(async () => {
  material = await ensureTlsMaterial({ dataDir: root, names: ['localhost', '127.0.0.1'] });
  mkdirSync(join(webDir, 'sub'), { recursive: true });
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(webDir, 'app.js'), 'console.log(1)');
  writeFileSync(join(webDir, 'sub', 'index.html'), 'sub');
  writeFileSync(join(webDir, '.secret'), 'secret');
  writeFileSync(join(root, 'outside.txt'), 'outside');
  symlinkSync(join(root, 'outside.txt'), join(webDir, 'link.txt'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts a server on an ephemeral loopback port, runs `fn`, always closes. */
async function withServer(
  extra: Partial<HttpServerOptions>,
  fn: (port: number, server: ReturnType<typeof createHttpServer>) => Promise<void>,
  beforeListen?: (server: ReturnType<typeof createHttpServer>) => void,
): Promise<void> {
  const server = createHttpServer({
    tls: material,
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    metrics: new Metrics({ defaultMetrics: false }),
    health: () => ({ checks: { store: 'ok', sip: 'ok' } }),
    ...extra,
  });
  beforeListen?.(server);
  try {
    const { port } = await server.listen();
    await fn(port, server);
  } finally {
    await server.close();
  }
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request trusting only the Parley CA; the path is sent as given. */
function request(port: number, path: string, options: https.RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, ca: material.ca, agent: false, timeout: 5000, ...options },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends a WebSocket upgrade request; resolves with the upgraded socket or the refusal. */
function upgrade(port: number, path: string): Promise<{ upgraded: Duplex } | { status: number }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port,
      path,
      ca: material.ca,
      agent: false,
      timeout: 5000,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip' },
    });
    req.on('upgrade', (_res, socket) => resolve({ upgraded: socket }));
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('GET /healthz: 200 with status, uptime, version and checks', async () => {
  await withServer({}, async (port) => {
    const res = await request(port, '/healthz');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(body, { status: 'ok', uptimeS: 0, version: '0.1.0', checks: { store: 'ok', sip: 'ok' } });
  });
});

test('GET /healthz: 503 when a check fails, the source throws, or it hangs', async () => {
  await withServer({ health: async () => ({ checks: { store: 'unavailable: connection refused', sip: 'ok' } }) }, async (port) => {
    const res = await request(port, '/healthz');
    assert.equal(res.status, 503);
    const body = JSON.parse(res.body) as { status: string; checks: Record<string, string> };
    assert.equal(body.status, 'fail');
    assert.equal(body.checks.store, 'unavailable: connection refused');
  });
  await withServer({ health: () => { throw new Error('store closed'); } }, async (port) => {
    const res = await request(port, '/healthz');
    assert.equal(res.status, 503);
    assert.match(res.body, /store closed/);
  });
  await withServer({ health: () => new Promise(() => undefined), healthTimeoutMs: 50 }, async (port) => {
    const res = await request(port, '/healthz');
    assert.equal(res.status, 503);
    assert.match(res.body, /longer than 50 ms/);
  });
});

test('GET /metrics: Prometheus text of the instance registry, HTTP requests counted', async () => {
  const metrics = new Metrics();
  metrics.messageReceived('wss', 'request');
  await withServer({ metrics }, async (port) => {
    await request(port, '/healthz');
    await request(port, '/nothing-here');
    const res = await request(port, '/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    assert.match(res.body, /^parley_sip_messages_received_total\{protocol="wss",kind="request"\} 1$/m);
    assert.match(res.body, /^parley_http_requests_total\{method="GET",route="\/healthz",code="200"\} 1$/m);
    assert.match(res.body, /^parley_http_requests_total\{method="GET",route="unmatched",code="404"\} 1$/m);
    assert.match(res.body, /^# TYPE parley_registrations_active gauge$/m);
    assert.match(res.body, /^process_cpu_user_seconds_total /m);
  });
});

test('static files: served with content types and ETags; traversal and dot-files refused', async () => {
  await withServer({ staticDir: webDir }, async (port, server) => {
    assert.equal(server.servesStatic, true);
    const index = await request(port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.body, '<!doctype html><title>Parley</title>');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    const js = await request(port, '/app.js?v=1');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['content-length'], '14');
    assert.equal((await request(port, '/sub/')).body, 'sub');
    assert.equal((await request(port, '/sub')).body, 'sub');
    assert.equal((await request(port, '/%61pp.js')).body, 'console.log(1)');
    const again = await request(port, '/app.js', { headers: { 'if-none-match': String(js.headers.etag) } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const head = await request(port, '/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');

    assert.equal((await request(port, '/missing.js')).status, 404);
    assert.equal((await request(port, '/../outside.txt')).status, 400);
    assert.equal((await request(port, '/sub/../../outside.txt')).status, 400);
    assert.equal((await request(port, '/%2e%2e/outside.txt')).status, 400);
    assert.equal((await request(port, '/..%2foutside.txt')).status, 400);
    assert.equal((await request(port, '/..%5coutside.txt')).status, 400);
    assert.equal((await request(port, '/%00')).status, 400);
    assert.equal((await request(port, '/%E0%A4%A')).status, 400);
    assert.equal((await request(port, '/.secret')).status, 404);
    assert.equal((await request(port, '/link.txt')).status, 404, 'symbolic link out of the root');
    for (const res of [await request(port, '/../outside.txt'), await request(port, '/link.txt')]) {
      assert.ok(!res.body.includes('outside'));
    }
  });
  assert.deepEqual(safeSegments('/a/b/?q=..'), { ok: true, segments: ['a', 'b'] });
});

test('single-page app: deep links that ask for a page get index.html with a CSP; files, assets and the API do not', async () => {
  mkdirSync(join(webDir, 'assets'), { recursive: true });
  writeFileSync(join(webDir, 'assets', 'index-abc123.js'), 'x');
  await withServer({ staticDir: webDir }, async (port) => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const deep = await request(port, '/admin/users', { headers: html });
    assert.equal(deep.status, 200);
    assert.equal(deep.body, '<!doctype html><title>Parley</title>');
    assert.match(String(deep.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(deep.headers['x-frame-options'], 'DENY');
    assert.equal((await request(port, '/chat/bob@example.com', { headers: html })).status, 200, '.com is no file type');
    assert.equal((await request(port, '/missing.js', { headers: html })).status, 404, 'a missing file stays missing');
    assert.equal((await request(port, '/admin/users')).status, 404, 'not a browser asking for a page');
    assert.equal((await request(port, '/api/v2/x', { headers: html })).status, 404);
    assert.equal((await request(port, '/assets/missing', { headers: html })).status, 404);
    const asset = await request(port, '/assets/index-abc123.js');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await request(port, '/app.js')).headers['cache-control'], 'no-cache');
  });
  assert.equal(isAppRoute(['contacts'], 'text/html'), true);
  assert.equal(isAppRoute([], 'text/html'), true);
  assert.equal(isAppRoute(['app.js'], 'text/html'), false);
});

test('without a static folder GET / is 404; routes added before listen take precedence', async () => {
  await withServer({ staticDir: join(root, 'no-such-dir') }, async (port, server) => {
    assert.equal(server.servesStatic, false);
    assert.equal((await request(port, '/')).status, 404);
  });
  await withServer(
    { staticDir: webDir },
    async (port) => {
      const res = await request(port, '/api/ping');
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { pong: true });
    },
    (server) => server.app.get('/api/ping', async () => ({ pong: true })),
  );
});

test(`WebSocket upgrade on ${SIP_WEBSOCKET_PATH} reaches the handler; other paths are refused with 400`, async () => {
  const seen: string[] = [];
  const onUpgrade = (req: IncomingMessage, socket: Duplex): void => {
    seen.push(`${req.url} ${req.headers['sec-websocket-protocol']}`);
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  };
  await withServer({ onUpgrade }, async (port) => {
    const ok = await upgrade(port, '/sip?transport=wss');
    assert.ok('upgraded' in ok);
    ok.upgraded.destroy();
    assert.deepEqual(seen, ['/sip?transport=wss sip']);
    assert.deepEqual(await upgrade(port, '/other'), { status: 400 });
    assert.deepEqual(await upgrade(port, '/sip/x'), { status: 400 });
    assert.equal(seen.length, 1);
  });
});

test('an upgrade on /sip before a handler is attached gets 503; one can be attached later', async () => {
  await withServer({}, async (port, server) => {
    assert.deepEqual(await upgrade(port, '/sip'), { status: 503 });
    let called = 0;
    server.setUpgradeHandler((_req, socket) => {
      called++;
      socket.destroy();
    });
    await assert.rejects(upgrade(port, '/sip'), /socket hang up|ECONNRESET/);
    assert.equal(called, 1);
  });
});

test('close: idempotent, bounded even when a handed-over socket is left open; no listen after close', async () => {
  let kept: Duplex | undefined;
  const server = createHttpServer({
    tls: material,
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    metrics: new Metrics({ defaultMetrics: false }),
    health: () => ({ checks: {} }),
    onUpgrade: (_req, socket) => {
      kept = socket; // a transport that never closes it
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    },
    closeGraceMs: 100,
  });
  const { port } = await server.listen();
  assert.equal(server.address()?.port, port);
  const res = await upgrade(port, '/sip');
  assert.ok('upgraded' in res);
  res.upgraded.on('error', () => undefined);
  const first = server.close();
  assert.equal(server.close(), first);
  await first;
  assert.equal(kept?.destroyed, true);
  assert.equal(server.address(), undefined);
  res.upgraded.destroy();
  await assert.rejects(server.listen(), (err: unknown) => HttpServerError.is(err, 'closed'));
});

test('listen on a port in use fails with listen-failed', async () => {
  await withServer({}, async (port) => {
    const second = createHttpServer({
      tls: material,
      host: '127.0.0.1',
      port,
      logger: silent,
      metrics: new Metrics({ defaultMetrics: false }),
      health: () => ({ checks: {} }),
    });
    try {
      await assert.rejects(second.listen(), (err: unknown) => HttpServerError.is(err, 'listen-failed') && /EADDRINUSE/.test(err.message));
    } finally {
      await second.close();
    }
  });
  assert.throws(() => createHttpServer({ tls: { key: '', cert: '' } } as HttpServerOptions), TypeError);
});
