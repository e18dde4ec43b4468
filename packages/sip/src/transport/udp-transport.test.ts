/**
 * UDP specifics (RFC 3261 §18.1; RFC 5626 §4.4.2): one message per datagram,
 * size limit, CRLF and STUN keep-alives, both address families.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { TransportError } from './errors.js';
import { harness, hasIPv6, sipRequest, sipResponse, sleep, until, within } from './test-support.js';
import { isStunMessage } from './stun.js';

async function rawUdp(type: 'udp4' | 'udp6'): Promise<{ socket: Socket; inbox: Buffer[] }> {
  const socket = createSocket(type);
  const inbox: Buffer[] = [];
  socket.on('message', (m) => inbox.push(m));
  await new Promise<void>((resolve) => socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
  return { socket, inbox };
}

describe('udp transport', () => {
  for (const [family, host] of [
    ['IPv4', '127.0.0.1'],
    ['IPv6', '::1'],
  ] as const) {
    it(`sends and receives over ${family} loopback, replying from the listening socket`, async (t) => {
      if (family === 'IPv6' && !(await hasIPv6())) return t.skip('::1 is not available on this host');
      const server = harness();
      const client = harness();
      try {
        const port = await server.tm.listen({ protocol: 'udp', host, port: 0 });
        const clientPort = await client.tm.listen({ protocol: 'udp', host, port: 0 });
        const out = await client.tm.send(sipRequest(), { protocol: 'udp', host: family === 'IPv6' ? `[${host}]` : host, port });
        assert.equal(out.localPort, clientPort, 'requests leave from the listening socket');
        const m = await server.messages.next(2000);
        assert.equal(m.flow.remotePort, clientPort);
        assert.equal(m.flow.remoteAddress, host);
        assert.deepEqual(server.tm.getFlow(m.flow.id), m.flow);
        await server.tm.send(sipResponse(), { flowId: m.flow.id });
        const r = await client.messages.next(2000);
        assert.equal(r.flow.id, out.id);
        assert.equal(r.flow.remotePort, port);
      } finally {
        await Promise.all([client.tm.close(), server.tm.close()]);
      }
    });
  }

  it('drops oversized datagrams (counted) and refuses to send them with "too-big"', async () => {
    const server = harness({ maxDatagramBytes: 1300 });
    const { socket, inbox } = await rawUdp('udp4');
    try {
      const port = await server.tm.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
      socket.send(Buffer.alloc(1301, 0x61), port, '127.0.0.1');
      socket.send(sipRequest(), port, '127.0.0.1');
      await server.messages.next(2000);
      assert.equal(server.tm.stats().oversizedDrops, 1);
      assert.equal(server.messages.length, 0);
      await assert.rejects(
        server.tm.send(Buffer.alloc(1301), { protocol: 'udp', host: '127.0.0.1', port: socket.address().port }),
        (e: unknown) => e instanceof TransportError && e.code === 'too-big',
      );
      assert.equal(inbox.length, 0);
    } finally {
      socket.close();
      await server.tm.close();
    }
  });

  it('ignores CRLF-only keep-alive datagrams', async () => {
    const server = harness();
    const { socket } = await rawUdp('udp4');
    try {
      const port = await server.tm.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
      socket.send('\r\n\r\n', port, '127.0.0.1');
      socket.send('\r\n', port, '127.0.0.1');
      socket.send(sipRequest(), port, '127.0.0.1');
      await server.messages.next(2000);
      await until(() => server.tm.stats().keepAlivesIn === 2, 1000, 'keep-alives counted');
      assert.equal(server.messages.length, 0);
    } finally {
      socket.close();
      await server.tm.close();
    }
  });

  it('answers a STUN Binding request with the XOR-mapped source address (RFC 5626 §4.4.2)', async () => {
    const server = harness();
    const { socket, inbox } = await rawUdp('udp4');
    try {
      const port = await server.tm.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
      const txid = randomBytes(12);
      const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), txid]);
      socket.send(request, port, '127.0.0.1');
      await until(() => inbox.length === 1, 2000, 'STUN response');
      const response = inbox[0];
      assert.ok(isStunMessage(response));
      assert.equal(response.readUInt16BE(0), 0x0101);
      assert.ok(response.subarray(8, 20).equals(txid));
      assert.equal(response.readUInt16BE(20), 0x0020);
      assert.equal(response.readUInt16BE(26) ^ 0x2112, socket.address().port);
      const ip = [0, 1, 2, 3].map((i) => response[28 + i] ^ [0x21, 0x12, 0xa4, 0x42][i]).join('.');
      assert.equal(ip, '127.0.0.1');
      assert.equal(server.tm.stats().stunRequests, 1);
      assert.equal(server.messages.length, 0);
      // Truncated or malformed STUN-looking datagrams are harmless.
      socket.send(request.subarray(0, 19), port, '127.0.0.1');
      socket.send(Buffer.from([0x00, 0x03, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, ...txid]), port, '127.0.0.1');
      await sleep(50);
      assert.equal(inbox.length, 1);
    } finally {
      socket.close();
      await server.tm.close();
    }
  });

  it('without a listener of the target family, a send is "unreachable"; host names resolve to a family it has', async () => {
    const tm = harness().tm;
    try {
      await tm.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
      await assert.rejects(within(tm.send('x', { protocol: 'udp', host: '::1', port: 5060 }), 2000, 'send'), { code: 'unreachable' });
      await assert.rejects(tm.listen({ protocol: 'udp', host: 'localhost', port: 0 }), TypeError);
      // A host name resolves to the family there is a socket for.
      const { socket } = await rawUdp('udp4');
      const got = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      await tm.send('hello', { protocol: 'udp', host: 'localhost', port: socket.address().port });
      assert.equal((await within(got, 2000, 'datagram')).toString(), 'hello');
      socket.close();
    } finally {
      await tm.close();
    }
  });
});
