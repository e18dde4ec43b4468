import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, createLogger, formatLine, sipLogFields, sipLogger } from './index.js';

function capture(): { lines: string[]; records: () => Record<string, unknown>[]; write(s: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write: (s: string) => void lines.push(s),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('logger: one JSON object per line with level name, ISO time and pid', () => {
  const out = capture();
  const log = createLogger({ level: 'info', destination: out });
  log.info({ port: 8443 }, 'listening');
  log.debug('not shown at info');
  assert.equal(out.lines.length, 1);
  assert.ok(out.lines[0].endsWith('\n'));
  const [record] = out.records();
  assert.equal(record.level, 'info');
  assert.equal(record.msg, 'listening');
  assert.equal(record.port, 8443);
  assert.equal(record.pid, process.pid);
  assert.match(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('logger: SIP lines carry callId and method or status', () => {
  assert.deepEqual(sipLogFields('a84b4c76e66710', 'INVITE'), { callId: 'a84b4c76e66710', method: 'INVITE' });
  assert.deepEqual(sipLogFields('a84b4c76e66710', 180), { callId: 'a84b4c76e66710', status: 180 });
  assert.deepEqual(sipLogFields('x'), { callId: 'x' });
  const out = capture();
  const log = createLogger({ level: 'debug', destination: out });
  sipLogger(log, 'call-1@host', 'REGISTER').debug({ expires: 3600 }, 'binding added');
  const [record] = out.records();
  assert.equal(record.callId, 'call-1@host');
  assert.equal(record.method, 'REGISTER');
  assert.equal(record.expires, 3600);
});

test('logger: credentials are redacted', () => {
  const out = capture();
  const log = createLogger({ destination: out });
  log.info({ password: 'hunter2', user: { ha1: 'abc', name: 'alice' }, headers: { authorization: 'Digest x' } }, 'login');
  assert.ok(!out.lines[0].includes('hunter2') && !out.lines[0].includes('abc') && !out.lines[0].includes('Digest x'));
  const [record] = out.records();
  assert.equal(record.password, '[redacted]');
  assert.deepEqual(record.user, { ha1: '[redacted]', name: 'alice' });
});

test('logger: pretty lines for a terminal', () => {
  const out = capture();
  const log = createLogger({ pretty: true, destination: out }).child({ component: 'http' });
  log.warn({ port: 8443, host: '0.0.0.0' }, 'listening');
  log.error({ err: new Error('boom') }, 'failed');
  assert.match(out.lines[0], /^\d\d:\d\d:\d\d\.\d{3} WARN  \[http\] listening port=8443 host=0\.0\.0\.0\n$/);
  assert.match(out.lines[1], /ERROR \[http\] failed\n {4}Error: boom\n +at /);
  assert.equal(formatLine('not json'), 'not json');
});

test('metrics: every server metric is exposed with its labels', async () => {
  const m = new Metrics();
  m.messageReceived('udp', 'request');
  m.messageReceived('udp', 'request');
  m.messageSent('wss', 'response');
  m.requestReceived('invite');
  m.requestReceived('FROB');
  m.responseSent(200);
  m.responseSent(1000);
  m.setTransactionsActive(3);
  m.parseError('bad-start-line');
  m.setRegistrationsActive(7);
  m.registrarRequest('registered');
  m.authFailure('bad-password');
  m.authThrottled('source');
  m.rateLimited('connection');
  m.connectionOpened('tls');
  m.connectionOpened('tls');
  m.connectionClosed('tls');
  m.storeError();
  m.httpRequest('GET', '/healthz', 200);
  const text = await m.render();
  const expect = [
    'parley_sip_messages_received_total{protocol="udp",kind="request"} 2',
    'parley_sip_messages_sent_total{protocol="wss",kind="response"} 1',
    'parley_sip_requests_received_total{method="INVITE"} 1',
    'parley_sip_requests_received_total{method="OTHER"} 1',
    'parley_sip_responses_sent_total{code="200"} 1',
    'parley_sip_responses_sent_total{code="invalid"} 1',
    'parley_sip_transactions_active 3',
    'parley_sip_parse_errors_total{code="bad-start-line"} 1',
    'parley_registrations_active 7',
    'parley_registrar_requests_total{result="registered"} 1',
    'parley_auth_failures_total{reason="bad-password"} 1',
    'parley_auth_throttled_total{scope="source"} 1',
    'parley_rate_limited_total{scope="connection"} 1',
    'parley_transport_connections{protocol="tls"} 1',
    'parley_transport_connections{protocol="udp"} 0',
    'parley_store_errors_total 1',
    'parley_http_requests_total{method="GET",route="/healthz",code="200"} 1',
  ];
  for (const line of expect) assert.ok(text.includes(line + '\n'), `missing: ${line}`);
  assert.match(text, /^process_cpu_user_seconds_total /m, 'default process metrics');
  assert.match(text, /^nodejs_heap_size_used_bytes /m);
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

test('metrics: instances are independent; label values are bounded; default labels', async () => {
  const a = new Metrics({ defaultMetrics: false });
  const b = new Metrics({ defaultMetrics: false, labels: { frontEnd: 'fe01' } });
  a.storeError();
  a.authFailure('x'.repeat(500));
  assert.match(await a.render(), /^parley_store_errors_total 1$/m);
  assert.match(await a.render(), new RegExp(`reason="${'x'.repeat(64)}"} 1`));
  assert.match(await b.render(), /^parley_store_errors_total\{frontEnd="fe01"\} 0$/m);
  assert.doesNotMatch(await a.render(), /^process_/m);
});
