/**
 * One suite, every transport (Hono's `common.case.test.ts` habit): what the
 * transaction layer relies on holds the same over udp, tcp, tls, ws and wss.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { TransportError } from './errors.js';
import type { TransportProtocol } from './transport.js';
import { harness, liveHandles, makeCertificate, sipRequest, sipResponse, until, within, type Harness, type TestCertificate } from './test-support.js';

let cert: TestCertificate;
before(() => {
  cert = makeCertificate();
});

async function pair(protocol: TransportProtocol, host = '127.0.0.1'): Promise<{ server: Harness; client: Harness; port: number; close: () => Promise<void> }> {
  const server = harness();
  const client = harness({ tlsClient: { ca: cert.cert }, wsClientPath: '/sip' });
  const port = await server.tm.listen({ protocol, host, port: 0, tls: cert, ws: { path: '/sip' } });
  // UDP has no client side: requests leave from a listening socket.
  if (protocol === 'udp') await client.tm.listen({ protocol, host, port: 0 });
  return { server, client, port, close: async () => void (await Promise.all([client.tm.close(), server.tm.close()])) };
}

async function unusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

for (const protocol of ['udp', 'tcp', 'tls', 'ws', 'wss'] as const) {
  const connected = protocol !== 'udp';

  describe(`transport conformance: ${protocol}`, () => {
    it('a request sent by address arrives with its flow; the reply by flow id comes back over the same flow', async () => {
      const { server, client, port, close } = await pair(protocol);
      try {
        const request = sipRequest('OPTIONS');
        const out = await within(client.tm.send(request, { protocol, host: '127.0.0.1', port }), 3000, 'send');
        assert.equal(out.protocol, protocol);
        assert.equal(out.remotePort, port);

        const inbound = await server.messages.next(3000, 'request');
        assert.equal(inbound.data.toString('utf8'), request);
        assert.equal(inbound.flow.protocol, protocol);
        assert.equal(inbound.flow.localPort, port);
        assert.equal(inbound.flow.remotePort, out.localPort);
        assert.equal(inbound.flow.remoteAddress, '127.0.0.1');
        assert.ok(inbound.receivedAt <= Date.now());

        const response = sipResponse(200);
        const back = await server.tm.send(response, { flowId: inbound.flow.id });
        assert.equal(back.id, inbound.flow.id);
        const reply = await client.messages.next(3000, 'response');
        assert.equal(reply.data.toString('utf8'), response);
        assert.equal(reply.flow.id, out.id, 'the reply arrives on the flow the request left on');

        // RFC 5923: a second request to the same address reuses the connection.
        const again = await client.tm.send(sipRequest('MESSAGE', 'hi'), { protocol, host: '127.0.0.1', port });
        assert.equal(again.id, out.id);
        assert.equal((await server.messages.next(3000)).flow.id, inbound.flow.id);

        const c = client.tm.stats();
        const s = server.tm.stats();
        assert.equal(c.messagesOut[protocol], 2);
        assert.equal(s.messagesIn[protocol], 2);
        assert.equal(s.messagesOut[protocol], 1);
        assert.equal(c.bytesIn[protocol], Buffer.byteLength(response));
        if (connected) {
          assert.equal(c.connectionsConnected, 1);
          assert.equal(s.connectionsAccepted, 1);
          assert.equal(s.connectionsOpen[protocol], 1);
          assert.equal(server.opened.length, 1);
        }
        assert.deepEqual(server.errors, []);
      } finally {
        await close();
      }
    });

    it('concurrent sends to a new address share one connection and keep their order and bytes', async () => {
      const { server, client, port, close } = await pair(protocol);
      try {
        const bodies = Array.from({ length: 40 }, (_, i) => Buffer.from([0xff, 0xfe, i, 0x0d, 0x0a, 0x0d, 0x0a, i]));
        const wires = bodies.map((body, i) =>
          Buffer.concat([Buffer.from(`MESSAGE sip:b SIP/2.0\r\nCSeq: ${i} MESSAGE\r\nContent-Length: ${body.length}\r\n\r\n`), body]),
        );
        const flows = await within(Promise.all(wires.map((w) => client.tm.send(w, { protocol, host: '127.0.0.1', port }))), 3000, 'sends');
        if (connected) assert.equal(new Set(flows.map((f) => f.id)).size, 1);
        for (let i = 0; i < wires.length; i++) {
          const m = await server.messages.next(3000, `message ${i}`);
          assert.ok(m.data.equals(wires[i]), `message ${i} byte-identical`);
        }
      } finally {
        await close();
      }
    });

    it('sending to an unknown flow id rejects with a TransportError "closed"', async () => {
      const { client, close } = await pair(protocol);
      try {
        const flowId = protocol === 'udp' ? 'udp/127.0.0.1/1/127.0.0.1/2' : `${protocol}/nope/1`;
        await assert.rejects(client.tm.send('x', { flowId }), (e: unknown) => e instanceof TransportError && e.code === 'closed');
        assert.equal(client.tm.stats().sendFailures, 1);
      } finally {
        await close();
      }
    });

    if (!connected) return;

    it('closing a flow reports it closed on both sides; later sends to it are rejected', async () => {
      const { server, client, port, close } = await pair(protocol);
      try {
        const flow = await client.tm.send(sipRequest(), { protocol, host: '127.0.0.1', port });
        const inbound = await server.messages.next(3000);
        assert.ok(client.tm.closeFlow(flow.id));
        assert.equal(client.tm.closeFlow(flow.id), false, 'idempotent');
        const local = await client.closedFlows.next(3000, 'local close');
        assert.equal(local.flow.id, flow.id);
        assert.equal(local.reason.code, 'closed');
        const remote = await server.closedFlows.next(3000, 'remote close');
        assert.equal(remote.flow.id, inbound.flow.id);
        assert.equal(remote.reason.code, 'closed');
        await assert.rejects(server.tm.send('x', { flowId: inbound.flow.id }), { code: 'closed' });
        assert.equal(server.tm.getFlow(inbound.flow.id), undefined);
        assert.equal(server.tm.stats().connectionsOpen[protocol], 0);
      } finally {
        await close();
      }
    });

    it('a connect to a port with no listener rejects with "unreachable"', async () => {
      const client = harness({ tlsClient: { ca: cert.cert } });
      try {
        const port = await unusedPort();
        await assert.rejects(
          within(client.tm.send(sipRequest(), { protocol, host: '127.0.0.1', port }), 5000, 'connect failure'),
          (e: unknown) => e instanceof TransportError && e.code === 'unreachable',
        );
        assert.equal(client.closedFlows.length, 0, 'no flow was ever open');
      } finally {
        await client.tm.close();
      }
    });

    if (protocol === 'tls' || protocol === 'wss') {
      it('a server certificate the client does not trust makes the connect "unreachable"', async () => {
        const server = harness();
        const client = harness(); // no CA: the self-signed certificate is not trusted
        try {
          const port = await server.tm.listen({ protocol, host: '127.0.0.1', port: 0, tls: cert });
          await assert.rejects(within(client.tm.send(sipRequest(), { protocol, host: '127.0.0.1', port }), 5000, 'tls failure'), {
            code: 'unreachable',
          });
          assert.equal(server.messages.length, 0);
        } finally {
          await Promise.all([client.tm.close(), server.tm.close()]);
        }
      });
    }
  });
}

describe('transport conformance: close()', () => {
  let baseline: string[];
  before(() => {
    baseline = liveHandles();
  });

  it('closes every listener and flow of every protocol, idempotently, and leaves no handle behind', async () => {
    const server = harness();
    const client = harness({ tlsClient: { ca: cert.cert } });
    const protocols = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
    await client.tm.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    for (const protocol of protocols) {
      const port = await server.tm.listen({ protocol, host: '127.0.0.1', port: 0, tls: cert });
      await client.tm.send(sipRequest(), { protocol, host: '127.0.0.1', port });
      await server.messages.next(3000, protocol);
    }
    const closing = server.tm.close();
    assert.equal(server.tm.close(), closing, 'close() is idempotent');
    await within(closing, 3000, 'server close');
    const reasons = await Promise.all([1, 2, 3, 4].map(() => server.closedFlows.next(1000)));
    assert.ok(reasons.every((r) => r.reason.code === 'closed'));
    await assert.rejects(server.tm.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 }), { code: 'closed' });
    await assert.rejects(server.tm.send('x', { protocol: 'tcp', host: '127.0.0.1', port: 1 }), { code: 'closed' });
    await within(client.tm.close(), 3000, 'client close');
    assert.deepEqual(server.tm.stats().connectionsOpen, { tcp: 0, tls: 0, ws: 0, wss: 0 });
    // Handles leave the resource list a loop turn after their close callbacks.
    const extra = (): string[] => {
      const left = [...baseline];
      return liveHandles().filter((h) => {
        const i = left.indexOf(h);
        if (i === -1) return true;
        left.splice(i, 1);
        return false;
      });
    };
    await until(() => extra().length === 0, 1000, 'handles released').catch(() => undefined);
    assert.deepEqual(extra(), [], 'handles left beyond those alive before the test');
  });
});

