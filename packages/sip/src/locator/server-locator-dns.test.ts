import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsPromises } from 'node:dns';
import { ServerLocator, type ServerLocatorOptions } from './server-locator.js';
import { LocatorError } from './errors.js';
import { FakeResolver, seededRandom, srv, type FakeZone } from './fake-resolver.js';
import type { DnsResolver, SipTarget } from './types.js';

function setup(zone: FakeZone, options: ServerLocatorOptions = {}) {
  const resolver = new FakeResolver(zone);
  const locator = new ServerLocator({ resolver, random: seededRandom(9), transports: ['udp'], ...options });
  return { resolver, locator };
}

const brief = (targets: SipTarget[]) => targets.map((t) => `${t.transport} ${t.address}:${t.port}`);

const cached: FakeZone = {
  srv: { '_sip._udp.c.example': [srv(0, 0, 5060, 'sip.c.example')] },
  a: { 'sip.c.example': [{ address: '192.0.2.70', ttl: 5 }] },
};

describe('ServerLocator: DNS behaviour', () => {
  it('answers a repeated locate from the cache', async () => {
    const { locator, resolver } = setup(cached);
    const first = await locator.locate({ host: 'c.example', secure: false });
    const queries = resolver.calls.length;
    assert.deepEqual(await locator.locate({ host: 'c.example', secure: false }), first);
    assert.equal(resolver.calls.length, queries);
    locator.clearCache();
    await locator.locate({ host: 'c.example', secure: false });
    assert.equal(resolver.calls.length, 2 * queries);
  });

  it('keeps A records for their TTL and SRV for the default TTL', async () => {
    let now = 0;
    const { locator, resolver } = setup(cached, { now: () => now, defaultTtl: 60 });
    await locator.locate({ host: 'c.example', secure: false });
    resolver.calls.length = 0;
    now = 6_000; // past the A TTL of 5 s, within the SRV default of 60 s
    await locator.locate({ host: 'c.example', secure: false });
    assert.deepEqual(resolver.calls, ['A sip.c.example']);
    resolver.calls.length = 0;
    now = 61_000;
    await locator.locate({ host: 'c.example', secure: false });
    assert.ok(resolver.calls.includes('SRV _sip._udp.c.example'));
  });

  it('remembers "no such record" for the negative TTL', async () => {
    let now = 0;
    const { locator, resolver } = setup(cached, { now: () => now, negativeTtl: 10 });
    await locator.locate({ host: 'c.example', secure: false });
    assert.ok(resolver.calls.includes('NAPTR c.example'));
    resolver.calls.length = 0;
    await locator.locate({ host: 'c.example', secure: false });
    assert.equal(resolver.calls.length, 0);
    now = 10_000;
    await locator.locate({ host: 'c.example', secure: false });
    assert.ok(resolver.calls.includes('NAPTR c.example'));
  });

  it('sends one query for concurrent identical lookups', async () => {
    const { locator, resolver } = setup(cached);
    await Promise.all([1, 2, 3].map(() => locator.locate({ host: 'c.example', secure: false })));
    assert.equal(resolver.calls.filter((c) => c === 'SRV _sip._udp.c.example').length, 1);
  });

  it('fails a query that outlives the timeout with a typed TIMEOUT', async () => {
    const { locator } = setup({ hang: ['NAPTR slow.example'] }, { timeout: 20 });
    await assert.rejects(locator.locate({ host: 'slow.example', secure: false }), (e: unknown) =>
      e instanceof LocatorError && e.code === 'TIMEOUT' && e.query?.type === 'NAPTR' && e.query.name === 'slow.example');
  });

  it('maps resolver errors: ETIMEOUT to TIMEOUT, SERVFAIL to DNS_FAILURE; no fall-through', async () => {
    const { locator, resolver } = setup({
      errors: { 'NAPTR t.example': 'ETIMEOUT', 'SRV _sip._udp.f.example': 'ESERVFAIL' },
      a: { 'f.example': ['192.0.2.1'] },
    });
    await assert.rejects(locator.locate({ host: 't.example', secure: false }),
      (e: unknown) => e instanceof LocatorError && e.code === 'TIMEOUT' && e.dnsCode === 'ETIMEOUT');
    await assert.rejects(locator.locate({ host: 'f.example', secure: false }), (e: unknown) =>
      e instanceof LocatorError && e.code === 'DNS_FAILURE' && e.dnsCode === 'ESERVFAIL' && e.cause !== undefined);
    assert.ok(!resolver.calls.includes('A f.example'));
  });

  it('fails with NOT_FOUND when the name has no address', async () => {
    const { locator } = setup({});
    await assert.rejects(locator.locate({ host: 'nowhere.example', secure: false }),
      (e: unknown) => e instanceof LocatorError && e.code === 'NOT_FOUND');
  });

  it('stops at maxTargets and does not resolve the SRV targets beyond it', async () => {
    const names = ['s1', 's2', 's3', 's4', 's5'].map((n) => `${n}.m.example`);
    const { locator, resolver } = setup({
      srv: { '_sip._udp.m.example': names.map((n, i) => srv(i, 0, 5060, n)) },
      a: Object.fromEntries(names.map((n, i) => [n, [`192.0.2.${i + 1}`]])),
    }, { maxTargets: 2 });
    assert.deepEqual(brief(await locator.locate({ host: 'm.example', secure: false })),
      ['udp 192.0.2.1:5060', 'udp 192.0.2.2:5060']);
    assert.ok(!resolver.calls.some((c) => c.includes('s3.m.example')));
  });

  it('lists one address, port and transport once', async () => {
    const { locator } = setup({
      srv: { '_sip._udp.d.example': [srv(0, 0, 5060, 'x.d.example'), srv(1, 0, 5060, 'y.d.example')] },
      a: { 'x.d.example': ['192.0.2.8'], 'y.d.example': ['192.0.2.8', '192.0.2.9'] },
    });
    assert.deepEqual(brief(await locator.locate({ host: 'd.example', secure: false })),
      ['udp 192.0.2.8:5060', 'udp 192.0.2.9:5060']);
  });
});

describe('ServerLocator.locateResponseFallback (RFC 3263 §5)', () => {
  const zone: FakeZone = {
    srv: {
      '_sip._udp.pc.example': [srv(0, 0, 5066, 'host.pc.example')],
      '_sips._tcp.pc.example': [srv(0, 0, 5067, 'host.pc.example')],
    },
    a: { 'host.pc.example': ['192.0.2.60'], 'pc.example': ['192.0.2.61'] },
  };

  it('sent-by domain without port: SRV for the Via transport, _sips for TLS', async () => {
    const { locator, resolver } = setup(zone);
    assert.deepEqual(brief(await locator.locateResponseFallback({ transport: 'UDP', host: 'pc.example' })),
      ['udp 192.0.2.60:5066']);
    // TCP and TLS are not in this client's transports, but the request came over them.
    assert.deepEqual(brief(await locator.locateResponseFallback({ transport: 'TLS', host: 'pc.example' })),
      ['tls 192.0.2.60:5067']);
    assert.ok(!resolver.calls.some((c) => c.startsWith('NAPTR')));
  });

  it('sent-by domain with port: A/AAAA only; numeric sent-by: no DNS', async () => {
    const { locator, resolver } = setup(zone);
    assert.deepEqual(brief(await locator.locateResponseFallback({ transport: 'TCP', host: 'pc.example', port: 5080 })),
      ['tcp 192.0.2.61:5080']);
    assert.deepEqual(resolver.calls, ['A pc.example', 'AAAA pc.example']);
    assert.deepEqual(brief(await locator.locateResponseFallback({ transport: 'UDP', host: '[2001:db8::1]' })),
      ['udp 2001:db8::1:5060']);
  });
});

describe('ServerLocator with the default node resolver', () => {
  it('accepts a node:dns/promises Resolver as its DnsResolver', () => {
    const resolver: DnsResolver = new dnsPromises.Resolver({ timeout: 100, tries: 1 });
    assert.equal(typeof resolver.resolveNaptr, 'function');
  });

  it('locates a numeric host without a DNS query', async () => {
    const locator = new ServerLocator({ timeout: 100, tries: 1 });
    assert.deepEqual(await locator.locate({ host: '127.0.0.1', port: 5080, secure: false }),
      [{ transport: 'udp', address: '127.0.0.1', port: 5080, family: 4 }]);
    assert.deepEqual(await locator.locate({ host: '[::1]', transport: 'tcp', secure: true }),
      [{ transport: 'tls', address: '::1', port: 5061, family: 6 }]);
  });
});
