import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipUri } from '../../grammar/uri.js';
import { createResponse } from '../../message/factory.js';
import type { SipRequest } from '../../message/message.js';
import { parseMessage } from '../../message/parser.js';
import { serverTransactionKey } from '../../transaction/transaction-keys.js';
import { chooseBestResponse } from './best-response.js';
import { detectLoop, loopHash, proxyBranch } from './loop-detection.js';
import { applyStrictRoute, preprocessRoute } from './loose-route.js';
import { checkMaxForwards, decrementMaxForwards } from './max-forwards.js';
import { addReceived } from './received.js';
import { addRecordRoute } from './record-route.js';
import { stripTopVia, viaResponseTarget } from './response-forwarding.js';

const CRLF = '\r\n';
function invite(extra: string[] = [], via = 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds'): SipRequest {
  return parseMessage(
    [
      'INVITE sip:bob@biloxi.example.com SIP/2.0',
      `Via: ${via}`,
      'Max-Forwards: 70',
      'To: <sip:bob@biloxi.example.com>',
      'From: <sip:alice@atlanta.example.com>;tag=1928301774',
      'Call-ID: a84b4c76e66710',
      'CSeq: 314159 INVITE',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join(CRLF),
  ) as SipRequest;
}
const own = (uri: unknown) => uri instanceof SipUri && uri.host === 'p1.example.com';

describe('proxy helpers (§16)', () => {
  it('received and rport on the top Via (§18.2.1, RFC 3581 §4)', () => {
    const named = invite();
    assert.equal(addReceived(named, { remoteAddress: '192.0.2.4', remotePort: 5060 }), true);
    assert.equal(named.topVia.received, '192.0.2.4', 'a host name always gets received');
    const same = invite([], 'SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1');
    assert.equal(addReceived(same, { remoteAddress: '192.0.2.4', remotePort: 5060 }), false);
    const nat = invite([], 'SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK1');
    nat.append('Via', 'SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKlower');
    addReceived(nat, { remoteAddress: '198.51.100.7', remotePort: 40123 });
    assert.equal(nat.topVia.received, '198.51.100.7');
    assert.equal(nat.topVia.rport, 40123);
    assert.equal(nat.vias.length, 2);
    assert.match(nat.toString(), /Via: SIP\/2.0\/UDP 10.0.0.2:5060;rport=40123;branch=z9hG4bK1;received=198.51.100.7\r\n/);
    const rportSame = invite([], 'SIP/2.0/UDP 192.0.2.4:5060;rport;branch=z9hG4bK1');
    addReceived(rportSame, { remoteAddress: '192.0.2.4', remotePort: 5060 });
    assert.equal(rportSame.topVia.received, '192.0.2.4', 'RFC 3581: received even when equal');
    assert.deepEqual(viaResponseTarget(nat.topVia), { protocol: 'udp', host: '198.51.100.7', port: 40123 });
    assert.deepEqual(viaResponseTarget(named.topVia), { protocol: 'udp', host: '192.0.2.4', port: 5060 });
  });

  it('Max-Forwards: 483 at zero; decremented, or 70 added', () => {
    const r = invite();
    assert.equal(checkMaxForwards(r), null);
    decrementMaxForwards(r);
    assert.equal(r.maxForwards, 69);
    r.set('Max-Forwards', 0);
    assert.equal(checkMaxForwards(r)?.status, 483);
    r.remove('Max-Forwards');
    decrementMaxForwards(r);
    assert.equal(r.maxForwards, 70);
  });

  it('Record-Route: one entry with lr, or two when the sides differ (RFC 5658)', () => {
    const r = invite(['Record-Route: <sip:p0.example.com;lr>']);
    addRecordRoute(r, { inbound: new SipUri('sip', undefined, undefined, 'p1.example.com', 5060) });
    assert.deepEqual(r.getAll('record-route'), ['<sip:p1.example.com:5060;lr>', '<sip:p0.example.com;lr>']);
    const d = invite();
    const tcp = new SipUri('sip', undefined, undefined, 'p1.example.com', 5060, new Map([['transport', 'tcp']]));
    addRecordRoute(d, { inbound: new SipUri('sip', undefined, undefined, 'p1.example.com', 5060), outbound: tcp });
    assert.deepEqual(d.getAll('record-route'), ['<sip:p1.example.com:5060;transport=tcp;lr>', '<sip:p1.example.com:5060;lr>']);
  });

  it('loose routing: our top Route (and a double one) is removed (§16.4)', () => {
    const r = invite(['Route: <sip:p1.example.com;lr>, <sip:p1.example.com;transport=tcp;lr>, <sip:p2.example.com;lr>']);
    const out = preprocessRoute(r, own);
    assert.equal(out.strictRouted, false);
    assert.equal(out.removedRoute?.uri.toString(), 'sip:p1.example.com;lr');
    assert.deepEqual(r.getAll('route'), ['<sip:p2.example.com;lr>']);
    assert.equal(r.requestUri, 'sip:bob@biloxi.example.com');
  });

  it('strict-router fix-up: our URI in the Request-URI is replaced by the last Route (§16.4, §16.12.1.2)', () => {
    const r = parseMessage(
      invite(['Route: <sip:p2.example.com;lr>, <sip:bob@192.0.2.4>']).toString().replace('INVITE sip:bob@biloxi.example.com', 'INVITE sip:p1.example.com;lr'),
    ) as SipRequest;
    const out = preprocessRoute(r, own);
    assert.equal(out.strictRouted, true);
    assert.equal(r.requestUri, 'sip:bob@192.0.2.4');
    assert.deepEqual(r.getAll('route'), ['<sip:p2.example.com;lr>']);
    // Forwarding to a strict router (§16.6 step 6): the reverse.
    const s = invite(['Route: <sip:old.example.com>, <sip:p3.example.com;lr>']);
    assert.equal(applyStrictRoute(s), true);
    assert.equal(s.requestUri, 'sip:old.example.com');
    assert.deepEqual(s.getAll('route'), ['<sip:p3.example.com;lr>', '<sip:bob@biloxi.example.com>']);
    assert.equal(applyStrictRoute(invite(['Route: <sip:p3.example.com;lr>'])), false);
  });

  it('branches: the same for a retransmission, different per branch, and they detect loops (§16.6 step 8, RFC 5393)', () => {
    const r = invite();
    const key = serverTransactionKey(r);
    const loop = loopHash(r);
    const b0 = proxyBranch(key, 0, loop, 's');
    assert.equal(proxyBranch(serverTransactionKey(invite()), 0, loopHash(invite()), 's'), b0);
    assert.notEqual(proxyBranch(key, 1, loop, 's'), b0);
    assert.match(b0, /^z9hG4bK[A-Za-z0-9]{16}\.[A-Za-z0-9]{12}$/);
    const isOwn = (v: { host: string }) => v.host === 'p1.example.com';
    const looped = invite([], `SIP/2.0/UDP p9.example.com;branch=z9hG4bKx`);
    looped.append('Via', `SIP/2.0/UDP p1.example.com;branch=${b0}`);
    looped.append('Via', 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds');
    assert.equal(detectLoop(looped, isOwn), true);
    const spiral = parseMessage(looped.toString().replace('INVITE sip:bob@biloxi.example.com', 'INVITE sip:bob@192.0.2.4')) as SipRequest;
    assert.equal(detectLoop(spiral, isOwn), false, 'a retargeted request is a spiral');
  });

  it('best response (§16.7 step 6): 6xx first, lowest class, preferred 4xx, 503 → 500', () => {
    const r = invite();
    const res = (s: number, h: Array<[string, string]> = []) => createResponse(r, s, { toTag: 't', headers: h });
    assert.equal(chooseBestResponse([res(486), res(302), res(404)]).status, 302);
    assert.equal(chooseBestResponse([res(486), res(603), res(302)]).status, 603);
    assert.equal(chooseBestResponse([res(486), res(484), res(500)]).status, 484);
    const c = chooseBestResponse([res(503)]);
    assert.equal(c.status, 500);
    assert.equal(c.reason, 'Server Internal Error');
    const merged = chooseBestResponse([
      res(401, [['WWW-Authenticate', 'Digest realm="a"']]),
      res(401, [['WWW-Authenticate', 'Digest realm="b"']]),
      res(480),
    ]);
    assert.equal(merged.status, 401);
    assert.deepEqual(merged.getAll('www-authenticate'), ['Digest realm="a"', 'Digest realm="b"']);
    assert.throws(() => chooseBestResponse([]), TypeError);
  });

  it('response forwarding removes only our top Via (§16.7 step 3)', () => {
    const r = invite();
    r.prepend('Via', 'SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1');
    const res = createResponse(r, 180, { toTag: 'x' });
    const up = stripTopVia(res)!;
    assert.equal(up.vias.length, 1);
    assert.equal(up.topVia.host, 'pc33.atlanta.example.com');
    assert.equal(res.vias.length, 2, 'the original is untouched');
    const mine = createResponse(invite(), 200, { toTag: 'x' });
    assert.equal(stripTopVia(mine), undefined, 'a response with only our Via was for us');
  });
});
