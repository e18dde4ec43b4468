import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError } from '../errors.js';
import { SipUri, TelUri, AbsoluteUri } from '../grammar/uri.js';
import { parseMessage } from './parser.js';
import { SipRequest, SipResponse } from './message.js';
import { createResponse, newBranch } from './factory.js';
import { REGISTER, INVITE, OK200 } from '../bench/messages.js';

const req = (lines: string[], body = '') => lines.join('\r\n') + '\r\n\r\n' + body;

test('REGISTER: typed views', () => {
  const m = parseMessage(REGISTER).validate() as SipRequest;
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.topVia.transport, 'UDP');
  assert.equal(m.topVia.host, '192.0.2.10');
  assert.equal(m.topVia.port, 5060);
  assert.equal(m.topVia.rport, null);
  assert.equal(m.from.displayName, 'Alice Smith');
  assert.equal(m.from.tag, '1928301774');
  assert.equal(m.to.tag, undefined);
  assert.deepEqual(m.cseq, { seq: 314160, method: 'REGISTER' });
  assert.equal(m.maxForwards, 70);
  const c = m.contacts[0];
  assert.ok(c !== '*');
  assert.equal(c.params.get('+sip.instance'), '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
  assert.equal(c.params.get('reg-id'), '1');
  assert.equal(m.integer('expires'), 3600);
  assert.deepEqual(m.tokens('supported'), ['path', 'gruu', 'outbound']);
  assert.ok(m.uri instanceof SipUri);
});

test('INVITE: body by Content-Length, content type', () => {
  const m = parseMessage(INVITE).validate();
  assert.equal(m.contentType, 'application/sdp');
  assert.equal(m.body.length, Number(m.get('content-length')));
  assert.match(m.bodyText, /^v=0\r\n/);
});

test('200 OK: status line, two Vias, Record-Route', () => {
  const m = parseMessage(OK200).validate() as SipResponse;
  assert.equal(m.status, 200);
  assert.equal(m.reason, 'OK');
  assert.equal(m.vias.length, 2);
  assert.equal(m.vias[1].received, '192.0.2.10');
  assert.equal(m.addresses('record-route')[0].uri.toString(), 'sip:server10.example.com;lr');
});

test('compact names, folding, case-insensitive names, several values in one header', () => {
  const m = parseMessage(
    req([
      'OPTIONS sip:bob@example.com SIP/2.0',
      'v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
      'VIA: SIP/2.0/UDP c.example.com',
      '   ;branch=z9hG4bK3',
      'f: <sip:alice@example.com>;tag=1',
      't: sip:bob@example.com',
      'i: abc@def',
      'CSEQ: 1 OPTIONS',
      'Supported: timer,',
      ' path',
      'l: 0',
    ]),
  ).validate();
  assert.deepEqual(m.vias.map((v) => v.branch), ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']);
  assert.equal(m.callId, 'abc@def');
  assert.deepEqual(m.getAll('supported'), ['timer', 'path']);
  assert.equal(m.get('Call-ID'), 'abc@def');
});

test('URI schemes: sip, sips, tel, other; IPv6 reference with port', () => {
  const a = parseMessage(req(['OPTIONS sips:[2001:db8::1]:5061;transport=tcp SIP/2.0', 'l: 0'])) as SipRequest;
  const u = a.uri as SipUri;
  assert.equal(u.scheme, 'sips');
  assert.equal(u.host, '[2001:db8::1]');
  assert.equal(u.hostname, '2001:db8::1');
  assert.equal(u.port, 5061);
  assert.equal(u.params.get('transport'), 'tcp');
  const t = parseMessage(req(['OPTIONS tel:+1-201-555-0123;phone-context=example.com SIP/2.0', 'l: 0'])) as SipRequest;
  assert.ok(t.uri instanceof TelUri);
  assert.equal((t.uri as TelUri).digits, '+12015550123');
  const x = parseMessage(req(['OPTIONS urn:service:sos SIP/2.0', 'l: 0'])) as SipRequest;
  assert.ok(x.uri instanceof AbsoluteUri);
});

test('URI equality follows RFC 3261 §19.1.4', () => {
  const p = (s: string) => (parseMessage(req([`OPTIONS ${s} SIP/2.0`, 'l: 0'])) as SipRequest).uri;
  assert.ok(p('sip:%61lice@atlanta.com;transport=TCP').equals(p('sip:alice@AtLanTa.CoM;Transport=tcp')));
  assert.ok(!p('sip:alice@atlanta.com').equals(p('sip:ALICE@atlanta.com')));
  assert.ok(!p('sip:bob@biloxi.com').equals(p('sip:bob@biloxi.com:5060')));
  assert.ok(!p('sip:bob@biloxi.com').equals(p('sip:bob@biloxi.com;transport=udp')));
  assert.ok(p('sip:carol@chicago.com').equals(p('sip:carol@chicago.com;security=on')));
});

test('a header that does not parse is never served: typed error on access', () => {
  const m = parseMessage(req(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'From: <sip:a@b', 'l: 0']));
  assert.throws(() => m.from, SipParseError);
  assert.throws(() => m.validate(), (e: unknown) => e instanceof SipParseError && e.status === 400);
});

test('mutations: set/append/prepend/removeFirst; serialization fixes Content-Length', () => {
  const m = parseMessage(OK200);
  m.removeFirst('via');
  assert.equal(m.vias.length, 1);
  m.prepend('Via', `SIP/2.0/TCP proxy.example.com;branch=${newBranch()}`);
  assert.equal(m.topVia.host, 'proxy.example.com');
  m.setBody('hello', 'text/plain');
  const out = parseMessage(m.toBuffer()).validate();
  assert.equal(out.get('content-length'), '5');
  assert.equal(out.bodyText, 'hello');
  assert.equal(out.vias.length, 2);
});

test('createResponse copies the right headers and adds the To tag', () => {
  const r = parseMessage(INVITE).validate() as SipRequest;
  r.append('Record-Route', '<sip:p1.example.com;lr>');
  const res = createResponse(r, 180, { toTag: 'xyz' });
  const back = parseMessage(res.toBuffer()).validate() as SipResponse;
  assert.equal(back.status, 180);
  assert.equal(back.reason, 'Ringing');
  assert.equal(back.to.tag, 'xyz');
  assert.equal(back.callId, r.callId);
  assert.deepEqual(back.cseq, r.cseq);
  assert.equal(back.topVia.branch, r.topVia.branch);
  assert.equal(back.addresses('record-route').length, 1);
  const trying = createResponse(r, 100, { toTag: 'xyz' });
  assert.equal(trying.to.tag, undefined);
});

test('framing errors that cannot be answered throw SipParseError', () => {
  for (const bad of ['', '\r\n\r\n', 'hello world', 'SIP/2.0 99 x\r\n\r\n', 'INVITE\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n']) {
    assert.throws(() => parseMessage(bad), SipParseError, JSON.stringify(bad));
  }
});

test('readable but broken: returned with a defect, validate() throws 400', () => {
  const cases = [
    req(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'no colon here', 'l: 0']),
    req(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'Content-Length: 10']) + 'abc',
    req(['OPTIONS sip:a@b SIP/2.0', 'Bad Name: x']),
  ];
  for (const c of cases) {
    const m = parseMessage(c, { datagram: true });
    assert.ok(m.defect instanceof SipParseError);
    assert.throws(() => m.validate(), (e: unknown) => e instanceof SipParseError && e.status === 400);
  }
});

test('datagram: bytes beyond Content-Length are discarded (§18.3)', () => {
  const m = parseMessage(req(['MESSAGE sip:a@b SIP/2.0', 'Content-Length: 3']) + 'abcdef', { datagram: true });
  assert.equal(m.bodyText, 'abc');
  assert.equal(m.defect, undefined);
});

test('bare LF line ends are tolerated', () => {
  const m = parseMessage(
    'OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n',
  ).validate();
  assert.equal(m.callId, 'x');
});

test('too many headers is refused', () => {
  const lines = ['OPTIONS sip:a@b SIP/2.0'];
  for (let i = 0; i < 300; i++) lines.push(`X-H${i}: v`);
  assert.throws(() => parseMessage(req(lines)), (e: unknown) => e instanceof SipParseError && e.code === 'too-large');
});
