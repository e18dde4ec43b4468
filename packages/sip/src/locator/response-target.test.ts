import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { locateResponseTarget } from './response-target.js';
import { LocatorError } from './errors.js';

describe('locateResponseTarget (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('UDP with received: the received address at the sent-by port', () => {
    const t = locateResponseTarget({ transport: 'UDP', host: 'pc33.atlanta.com', port: 5066, received: '192.0.2.4' });
    assert.deepEqual(t, { transport: 'udp', host: '192.0.2.4', port: 5066, family: 4, reuseConnection: false });
  });

  it('UDP with received and no sent-by port: the default port 5060', () => {
    const t = locateResponseTarget({ transport: 'UDP', host: 'pc33.atlanta.com', received: '192.0.2.4' });
    assert.equal(t.port, 5060);
  });

  it('UDP with received and rport=value: the received address at the rport port', () => {
    const t = locateResponseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5060, received: '192.0.2.4', rport: 9988 });
    assert.deepEqual([t.host, t.port], ['192.0.2.4', 9988]);
  });

  it('UDP with rport without value: the request source address and port', () => {
    const t = locateResponseTarget({ transport: 'udp', host: '10.0.0.1', port: 5060, rport: true },
      { address: '192.0.2.4', port: 40123 });
    assert.deepEqual([t.host, t.port, t.family], ['192.0.2.4', 40123, 4]);
    assert.throws(() => locateResponseTarget({ transport: 'UDP', host: '10.0.0.1', rport: true }), TypeError);
  });

  it('UDP with maddr: the maddr at the sent-by port, multicast TTL from ttl or 1', () => {
    const m = locateResponseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5070, maddr: '239.255.255.1', ttl: 16,
      received: '192.0.2.4', rport: 4000 });
    assert.deepEqual(m, { transport: 'udp', host: '239.255.255.1', port: 5070, family: 4, reuseConnection: false,
      multicastTtl: 16 });
    assert.equal(locateResponseTarget({ transport: 'UDP', host: 'a.example', maddr: 'ff02::1' }).multicastTtl, 1);
    const unicast = locateResponseTarget({ transport: 'UDP', host: 'a.example', maddr: '192.0.2.9' });
    assert.deepEqual([unicast.host, unicast.port, unicast.multicastTtl], ['192.0.2.9', 5060, undefined]);
  });

  it('UDP with only sent-by: that host; a domain name is left for RFC 3263 §5', () => {
    const ip = locateResponseTarget({ transport: 'UDP', host: '[2001:db8::9]', port: 5062 });
    assert.deepEqual([ip.host, ip.port, ip.family], ['2001:db8::9', 5062, 6]);
    const name = locateResponseTarget({ transport: 'UDP', host: 'pc33.atlanta.com' });
    assert.deepEqual([name.host, name.port, name.family], ['pc33.atlanta.com', 5060, null]);
  });

  it('reliable transports reuse the connection; fallback is received at sent-by port, rport ignored', () => {
    const tcp = locateResponseTarget({ transport: 'TCP', host: 'pc33.atlanta.com', port: 5060,
      received: '192.0.2.4', rport: 61000 });
    assert.deepEqual(tcp, { transport: 'tcp', host: '192.0.2.4', port: 5060, family: 4, reuseConnection: true });
    const tls = locateResponseTarget({ transport: 'TLS', host: '192.0.2.7' });
    assert.deepEqual([tls.transport, tls.port, tls.reuseConnection], ['tls', 5061, true]);
    const wss = locateResponseTarget({ transport: 'WSS', host: 'df7jal23ls0d.invalid', received: '2001:db8::4' });
    assert.deepEqual([wss.transport, wss.host, wss.family, wss.reuseConnection], ['wss', '2001:db8::4', 6, true]);
    assert.equal(locateResponseTarget({ transport: 'SCTP', host: '192.0.2.7' }).reuseConnection, true);
  });

  it('rejects an unknown transport with a typed error and a bad port with TypeError', () => {
    assert.throws(() => locateResponseTarget({ transport: 'TLS-SCTP', host: '192.0.2.7' }),
      (e: unknown) => e instanceof LocatorError && e.code === 'UNSUPPORTED_TRANSPORT');
    assert.throws(() => locateResponseTarget({ transport: 'UDP', host: '192.0.2.7', port: 70000 }), TypeError);
  });
});
