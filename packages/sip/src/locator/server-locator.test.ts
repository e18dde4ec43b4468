import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ServerLocator, type ServerLocatorOptions } from './server-locator.js';
import { LocatorError } from './errors.js';
import { FakeResolver, naptr, seededRandom, srv, type FakeZone } from './fake-resolver.js';
import type { SipTarget } from './types.js';

function setup(zone: FakeZone, options: ServerLocatorOptions = {}) {
  const resolver = new FakeResolver(zone);
  const locator = new ServerLocator({ resolver, random: seededRandom(3), ...options });
  return { resolver, locator };
}

const brief = (targets: SipTarget[]) => targets.map((t) => `${t.transport} ${t.address}:${t.port}`);

const isCode = (code: string) => (e: unknown) => e instanceof LocatorError && e.code === code;

/** RFC 3263 §4.1 example: NAPTR prefers TLS, then TCP, then UDP. */
const example: FakeZone = {
  naptr: {
    'example.com': [
      naptr(100, 50, 'SIP+D2U', '_sip._udp.example.com'),
      naptr(50, 50, 'SIPS+D2T', '_sips._tcp.example.com'),
      naptr(90, 50, 'SIP+D2T', '_sip._tcp.example.com'),
    ],
  },
  srv: {
    '_sips._tcp.example.com': [srv(0, 0, 5061, 'tls1.example.com')],
    '_sip._tcp.example.com': [srv(0, 0, 5060, 'tcp1.example.com')],
    '_sip._udp.example.com': [srv(0, 0, 5060, 'udp1.example.com')],
  },
  a: {
    'tls1.example.com': ['192.0.2.11'],
    'tcp1.example.com': ['192.0.2.12'],
    'udp1.example.com': ['192.0.2.13'],
  },
};

describe('ServerLocator: request next hops (RFC 3263 §4)', () => {
  it('follows NAPTR → SRV → A in NAPTR order', async () => {
    const { locator, resolver } = setup(example);
    const targets = await locator.locate({ host: 'example.com', secure: false });
    assert.deepEqual(brief(targets), ['tls 192.0.2.11:5061', 'tcp 192.0.2.12:5060', 'udp 192.0.2.13:5060']);
    assert.equal(targets[0].serverName, 'example.com'); // RFC 5922 §4: the URI's domain
    assert.equal(targets[1].serverName, undefined);
    assert.equal(resolver.calls[0], 'NAPTR example.com');
  });

  it('sorts NAPTR by order then preference and skips unusable records', async () => {
    const { locator } = setup({
      naptr: {
        'example.net': [
          naptr(10, 20, 'SIP+D2U', '_sip._udp.example.net'),
          naptr(10, 10, 'SIP+D2T', '_sip._tcp.example.net'),
          naptr(5, 10, 'SIP+D2S', '_sip._sctp.example.net'), // not a supported transport
          naptr(1, 10, 'SIP+D2T', 'bad.example.net', 'a'), // not a terminal "s" record
          naptr(1, 10, 'SIP+D2T', '', 's', '!^.*$!sip:x@y!'), // regexp rewriting: not SIP's usage
          naptr(1, 10, 'E2U+sip', '_sip._tcp.other.net'), // another application
        ],
      },
      srv: {
        '_sip._udp.example.net': [srv(0, 0, 5070, 'u.example.net')],
        '_sip._tcp.example.net': [srv(0, 0, 5080, 't.example.net')],
      },
      a: { 'u.example.net': ['192.0.2.1'], 't.example.net': ['192.0.2.2'] },
    });
    assert.deepEqual(brief(await locator.locate({ host: 'example.net', secure: false })),
      ['tcp 192.0.2.2:5080', 'udp 192.0.2.1:5070']);
  });

  it('SIPS: keeps only SIPS+ NAPTR services', async () => {
    const { locator } = setup(example);
    assert.deepEqual(brief(await locator.locate({ host: 'example.com', secure: true })), ['tls 192.0.2.11:5061']);
  });

  it('follows SIP+D2W / SIPS+D2W to WebSocket targets when supported (RFC 7118 §6)', async () => {
    const zone: FakeZone = {
      naptr: { 'ws.example': [naptr(10, 10, 'SIPS+D2W', '_sips._ws.ws.example'), naptr(20, 10, 'SIP+D2W', '_sip._ws.ws.example')] },
      srv: { '_sips._ws.ws.example': [srv(0, 0, 443, 'edge.ws.example')], '_sip._ws.ws.example': [srv(0, 0, 80, 'edge.ws.example')] },
      a: { 'edge.ws.example': ['192.0.2.80'] },
    };
    const { locator } = setup(zone, { transports: ['wss', 'ws', 'tls', 'tcp', 'udp'] });
    assert.deepEqual(brief(await locator.locate({ host: 'ws.example', secure: false })),
      ['wss 192.0.2.80:443', 'ws 192.0.2.80:80']);
  });

  it('without NAPTR queries SRV for each supported transport in preference order', async () => {
    const { locator, resolver } = setup({
      srv: {
        '_sip._udp.b.example': [srv(0, 0, 5060, 'u.b.example')],
        '_sip._tcp.b.example': [srv(0, 0, 5060, 't.b.example')],
      },
      a: { 'u.b.example': ['192.0.2.21'], 't.b.example': ['192.0.2.22'] },
    });
    assert.deepEqual(brief(await locator.locate({ host: 'b.example', secure: false })),
      ['tcp 192.0.2.22:5060', 'udp 192.0.2.21:5060']);
    assert.deepEqual(resolver.calls.filter((c) => c.startsWith('SRV')),
      ['SRV _sips._tcp.b.example', 'SRV _sip._tcp.b.example', 'SRV _sip._udp.b.example']);
  });

  it('orders SRV targets by priority, then weight with the injected random source', async () => {
    const zone: FakeZone = {
      srv: {
        '_sip._udp.w.example': [
          srv(20, 0, 5060, 'backup.w.example'),
          srv(10, 1, 5060, 'light.w.example'),
          srv(10, 9, 5060, 'heavy.w.example'),
        ],
      },
      a: { 'backup.w.example': ['192.0.2.3'], 'light.w.example': ['192.0.2.1'], 'heavy.w.example': ['192.0.2.2'] },
    };
    const { locator } = setup(zone, { transports: ['udp'], random: () => 0.5, cacheSize: 0 });
    assert.deepEqual(brief(await locator.locate({ host: 'w.example', secure: false })),
      ['udp 192.0.2.2:5060', 'udp 192.0.2.1:5060', 'udp 192.0.2.3:5060']);
    const low = setup(zone, { transports: ['udp'], random: () => 0 }).locator;
    assert.deepEqual(brief(await low.locate({ host: 'w.example', secure: false })),
      ['udp 192.0.2.1:5060', 'udp 192.0.2.2:5060', 'udp 192.0.2.3:5060']);
  });

  it('numeric IPv4 and IPv6 hosts skip DNS', async () => {
    const { locator, resolver } = setup({});
    assert.deepEqual(await locator.locate({ host: '192.0.2.5', secure: false }),
      [{ transport: 'udp', address: '192.0.2.5', port: 5060, family: 4 }]);
    assert.deepEqual(await locator.locate({ host: '[2001:db8::5]', port: 5070, transport: 'tcp', secure: false }),
      [{ transport: 'tcp', address: '2001:db8::5', port: 5070, family: 6 }]);
    assert.deepEqual(await locator.locate({ host: '2001:db8::6', secure: true }),
      [{ transport: 'tls', address: '2001:db8::6', port: 5061, family: 6 }]);
    assert.deepEqual(resolver.calls, []);
  });

  it('an explicit port skips NAPTR and SRV (§4.2)', async () => {
    const { locator, resolver } = setup(example);
    assert.deepEqual(brief(await locator.locate({ host: 'tcp1.example.com', port: 5080, secure: false })),
      ['udp 192.0.2.12:5080']);
    assert.deepEqual(resolver.calls, ['A tcp1.example.com', 'AAAA tcp1.example.com']);
  });

  it('an explicit transport skips NAPTR and queries its SRV (§4.1)', async () => {
    const { locator, resolver } = setup(example);
    assert.deepEqual(brief(await locator.locate({ host: 'example.com', transport: 'tcp', secure: false })),
      ['tcp 192.0.2.12:5060']);
    assert.equal(resolver.calls[0], 'SRV _sip._tcp.example.com');
    assert.ok(!resolver.calls.some((c) => c.startsWith('NAPTR')));
  });

  it('SIPS forces TLS: transport=tcp means TLS, transport=udp is refused', async () => {
    const { locator } = setup(example);
    assert.deepEqual(brief(await locator.locate({ host: 'example.com', transport: 'tcp', secure: true })),
      ['tls 192.0.2.11:5061']);
    await assert.rejects(locator.locate({ host: 'example.com', transport: 'udp', secure: true }),
      isCode('UNSUPPORTED_TRANSPORT'));
    await assert.rejects(locator.locate({ host: 'example.com', transport: 'sctp', secure: false }),
      isCode('UNSUPPORTED_TRANSPORT'));
  });

  it('NXDOMAIN for NAPTR and SRV falls back to A at the default port: 5060 UDP, 5061 TLS', async () => {
    const { locator } = setup({ a: { 'plain.example': ['192.0.2.30'] } });
    assert.deepEqual(brief(await locator.locate({ host: 'plain.example', secure: false })), ['udp 192.0.2.30:5060']);
    const tls = await locator.locate({ host: 'plain.example', secure: true });
    assert.deepEqual(tls, [{ transport: 'tls', address: '192.0.2.30', port: 5061, family: 4, serverName: 'plain.example' }]);
  });

  it('NAPTR chose the transport but its SRV is missing: A with that transport (§4.2)', async () => {
    const { locator } = setup({
      naptr: { 'n.example': [naptr(10, 10, 'SIP+D2T', '_sip._tcp.n.example')] },
      a: { 'n.example': ['192.0.2.40'] },
    });
    assert.deepEqual(brief(await locator.locate({ host: 'n.example', secure: false })), ['tcp 192.0.2.40:5060']);
  });

  it('returns AAAA addresses, in the configured family order', async () => {
    const zone: FakeZone = { a: { 'dual.example': ['192.0.2.50'] }, aaaa: { 'dual.example': ['2001:db8::50'], 'v6.example': ['2001:db8::60'] } };
    const { locator } = setup(zone);
    assert.deepEqual(await locator.locate({ host: 'v6.example', secure: false }),
      [{ transport: 'udp', address: '2001:db8::60', port: 5060, family: 6 }]);
    assert.deepEqual(brief(await locator.locate({ host: 'dual.example', secure: false })),
      ['udp 192.0.2.50:5060', 'udp 2001:db8::50:5060']);
    const v6first = setup(zone, { families: [6, 4] }).locator;
    assert.deepEqual(brief(await v6first.locate({ host: 'dual.example', secure: false })),
      ['udp 2001:db8::50:5060', 'udp 192.0.2.50:5060']);
  });

  it('maddr replaces the host as TARGET (§4)', async () => {
    const { locator, resolver } = setup(example);
    assert.deepEqual(brief(await locator.locate({ host: 'example.com', maddr: '192.0.2.99', secure: false })),
      ['udp 192.0.2.99:5060']);
    assert.deepEqual(resolver.calls, []);
  });

  it('an SRV target of "." means no service there: NOT_FOUND, no A fallback', async () => {
    const { locator, resolver } = setup({ srv: { '_sip._udp.none.example': [srv(0, 0, 0, '.')] }, a: { 'none.example': ['192.0.2.1'] } },
      { transports: ['udp'] });
    await assert.rejects(locator.locate({ host: 'none.example', secure: false }), isCode('NOT_FOUND'));
    assert.ok(!resolver.calls.includes('A none.example'));
  });

  it('rejects malformed targets with TypeError', async () => {
    const { locator } = setup({});
    await assert.rejects(locator.locate({ host: '', secure: false }), TypeError);
    await assert.rejects(locator.locate({ host: 'a.example', port: 0, secure: false }), TypeError);
  });
});
