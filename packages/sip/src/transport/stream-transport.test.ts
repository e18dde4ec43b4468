/**
 * TCP specifics (RFC 3261 §18.3, RFC 5626 §4.4.1, RFC 5923): keep-alive,
 * limits, isolation of a bad peer, idle timeout, backpressure. Peers are raw
 * node:net sockets — only the wire is faked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TransportManager } from './transport-manager.js';
import { TransportError } from './errors.js';
import { closed, collect, harness, hasIPv6, rawConnect, sipRequest, sipResponse, sleep, until, within } from './test-support.js';

describe('tcp transport', () => {
  it('works over IPv6 loopback (::1)', async (t) => {
    if (!(await hasIPv6())) return t.skip('::1 is not available on this host');
    const server = harness();
    const client = harness();
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '::1', port: 0 });
      const flow = await client.tm.send(sipRequest(), { protocol: 'tcp', host: '[::1]', port });
      assert.equal(flow.remoteAddress, '::1');
      const m = await server.messages.next(2000);
      assert.equal(m.flow.remoteAddress, '::1');
      await server.tm.send(sipResponse(), { flowId: m.flow.id });
      assert.equal((await client.messages.next(2000)).flow.id, flow.id);
    } finally {
      await Promise.all([client.tm.close(), server.tm.close()]);
    }
  });

  it('answers a CRLF CRLF ping with a single CRLF pong and passes messages around it (RFC 5626 §4.4.1)', async () => {
    const server = harness();
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const socket = await rawConnect(port);
      const rx = collect(socket);
      socket.write('\r\n\r\n');
      await until(() => rx.text() === '\r\n', 2000, 'pong');
      socket.write(`\r\n\r\n${sipRequest()}\r\n\r\n`);
      await server.messages.next(2000);
      await until(() => rx.text() === '\r\n\r\n\r\n', 2000, 'two more pongs');
      assert.equal(server.tm.stats().keepAlivesIn, 3);
      socket.destroy();
    } finally {
      await server.tm.close();
    }
  });

  it('refuses connections beyond the per-source-IP limit, and beyond the total', async () => {
    const server = harness({ maxConnectionsPerIp: 2 });
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const a = await rawConnect(port);
      const b = await rawConnect(port);
      await server.opened.next(2000);
      await server.opened.next(2000);
      const c = await rawConnect(port);
      await closed(c, 2000);
      assert.equal(server.tm.stats().connectionsRejected, 1);
      a.write(sipRequest());
      b.write(sipRequest());
      await server.messages.next(2000);
      await server.messages.next(2000);
      a.destroy();
      await server.closedFlows.next(2000);
      const d = await rawConnect(port); // a slot freed up
      d.write(sipRequest());
      await server.messages.next(2000, 'message on the freed slot');
      b.destroy();
      d.destroy();
    } finally {
      await server.tm.close();
    }

    const total = harness({ maxConnections: 1 });
    try {
      const port = await total.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const a = await rawConnect(port);
      await total.opened.next(2000);
      await closed(await rawConnect(port), 2000);
      assert.equal(total.tm.stats().connectionsRejected, 1);
      a.destroy();
    } finally {
      await total.tm.close();
    }
  });

  for (const [what, bad, reason] of [
    ['garbage', '\x00\x01\x02GET / HTTP/1.1\r\n\r\n', 'bad-start-line'],
    ['an oversized message', 'MESSAGE sip:b SIP/2.0\r\nContent-Length: 5000\r\n\r\n', 'body-too-large'],
    ['a message without Content-Length', 'MESSAGE sip:b SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\n', 'missing-content-length'],
  ] as const) {
    it(`${what} closes that one connection; the other peer keeps working`, async () => {
      const server = harness({ framer: { maxBodyBytes: 1000 } });
      try {
        const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
        const good = await rawConnect(port);
        const evil = await rawConnect(port);
        const goodRx = collect(good);
        collect(evil);
        good.write(sipRequest('REGISTER'));
        const first = await server.messages.next(2000);
        evil.write(bad);
        await closed(evil, 2000);
        const gone = await server.closedFlows.next(2000);
        assert.equal(gone.reason.code, 'framing');
        assert.equal((gone.reason as TransportError & { reason?: string }).reason, reason);
        assert.notEqual(gone.flow.id, first.flow.id);
        good.write(sipRequest('MESSAGE', 'still here'));
        const second = await server.messages.next(2000);
        assert.equal(second.flow.id, first.flow.id);
        await server.tm.send(sipResponse(), { flowId: first.flow.id });
        await until(() => goodRx.text().startsWith('SIP/2.0 200'), 2000, 'response on the good connection');
        assert.equal(server.tm.stats().framingErrors, 1);
        assert.equal(server.tm.stats().connectionsOpen.tcp, 1);
        good.destroy();
      } finally {
        await server.tm.close();
      }
    });
  }

  it('closes a connection after the idle timeout, unless the upper layer keeps its flow', async () => {
    const server = harness({ idleTimeoutMs: 150 });
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const idle = await rawConnect(port);
      const registered = await rawConnect(port);
      registered.write(sipRequest('REGISTER'));
      const reg = await server.messages.next(2000);
      assert.ok(server.tm.setIdleTimeout(reg.flow.id, 0), 'a flow carrying a registration stays open');
      await closed(idle, 2000);
      const gone = await server.closedFlows.next(2000);
      assert.equal(gone.reason.code, 'idle');
      assert.equal(server.tm.stats().idleTimeouts, 1);
      await sleep(300);
      assert.equal(registered.destroyed, false);
      assert.ok(server.tm.getFlow(reg.flow.id));
      // Back to a finite timeout: keepAlive() counts as traffic.
      server.tm.setIdleTimeout(reg.flow.id, 200);
      for (let i = 0; i < 4; i++) {
        await sleep(80);
        assert.ok(server.tm.keepAlive(reg.flow.id));
      }
      assert.equal(registered.destroyed, false);
      await closed(registered, 2000);
      assert.equal((await server.closedFlows.next(2000)).reason.code, 'idle');
    } finally {
      await server.tm.close();
    }
  });

  it('a peer that stops reading makes sends fail with "backpressure", then its flow is closed — memory stays bounded', async () => {
    const limit = 256 * 1024;
    const server = harness({ maxBufferedBytes: limit, backpressureTimeoutMs: 300 });
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const slow = await rawConnect(port);
      slow.write(sipRequest());
      const { flow } = await server.messages.next(2000);
      slow.pause(); // stop reading: kernel buffers fill, then ours
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let error: unknown;
      let sent = 0;
      for (let i = 0; i < 4000 && error === undefined; i++) {
        try {
          await server.tm.send(chunk, { flowId: flow.id });
          sent++;
        } catch (e) {
          error = e;
        }
        if (i % 16 === 15) await sleep(1); // let the kernel take what it will
      }
      assert.ok(error instanceof TransportError, `a typed error after ${sent} sends`);
      assert.equal(error.code, 'backpressure');
      assert.ok(server.tm.stats().backpressureDrops >= 1);
      await assert.rejects(server.tm.send(chunk, { flowId: flow.id }), { code: 'backpressure' });
      const gone = await server.closedFlows.next(3000, 'stuck flow closed');
      assert.equal(gone.reason.code, 'backpressure');
      await assert.rejects(server.tm.send(chunk, { flowId: flow.id }), { code: 'closed' });
      slow.destroy();
    } finally {
      await server.tm.close();
    }
  });

  it('reuses an inbound connection for requests to its alias (RFC 5923)', async () => {
    const server = harness();
    try {
      const port = await server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const peer = await rawConnect(port);
      const rx = collect(peer);
      peer.write(sipRequest('REGISTER'));
      const m = await server.messages.next(2000);
      // The Via said "SIP/2.0/TCP 127.0.0.1:5999;alias": the upper layer vouches for it.
      assert.ok(server.tm.addAlias(m.flow.id, '127.0.0.1', 5999));
      const flow = await server.tm.send(sipRequest('NOTIFY'), { protocol: 'tcp', host: '127.0.0.1', port: 5999 });
      assert.equal(flow.id, m.flow.id);
      await until(() => rx.text().startsWith('NOTIFY'), 2000, 'request over the aliased connection');
      assert.equal(server.tm.stats().connectionsConnected, 0);
      peer.destroy();
    } finally {
      await server.tm.close();
    }
  });

  it('a throwing delegate cannot break the transport: the error goes to onError', async () => {
    const errors: Error[] = [];
    let calls = 0;
    const tm = new TransportManager(undefined, {
      onMessage: () => {
        calls++;
        throw new Error('upper layer bug');
      },
      onError: (e) => errors.push(e),
    });
    try {
      const port = await tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      const peer = await rawConnect(port);
      peer.write(sipRequest() + sipRequest());
      await until(() => calls === 2, 2000, 'both messages delivered');
      assert.equal(errors.length, 2);
      assert.equal(errors[0].message, 'upper layer bug');
      assert.equal(tm.stats().connectionsOpen.tcp, 1);
      peer.destroy();
    } finally {
      await within(tm.close(), 2000, 'close');
    }
  });

  it('rejects misuse with TypeError', async () => {
    const tm = new TransportManager();
    try {
      await assert.rejects(tm.listen({ protocol: 'sctp' as 'tcp', host: '127.0.0.1', port: 0 }), TypeError);
      await assert.rejects(tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 70000 }), TypeError);
      await assert.rejects(tm.listen({ protocol: 'tls', host: '127.0.0.1', port: 0 }), TypeError);
      await assert.rejects(tm.send('x', { protocol: 'tcp', host: '127.0.0.1', port: 0 }), TypeError);
      assert.throws(() => tm.setIdleTimeout('tcp/x/1', -1), TypeError);
      assert.throws(() => new TransportManager({ idleTimeoutMs: Number.NaN }), TypeError);
    } finally {
      await tm.close();
    }
  });
});
