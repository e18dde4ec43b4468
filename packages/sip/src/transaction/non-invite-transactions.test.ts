import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InvalidStateError } from '../errors.js';
import { TransactionState as S } from './transaction-state.js';
import { MemoryNetwork } from './test-support/memory-network.js';
import { ClientRecorder } from './test-support/recorder.js';
import { TxAgent } from './test-support/tx-agent.js';
import { VirtualClock } from './virtual-clock.js';

describe('non-INVITE transactions (§17.1.2, §17.2.2)', () => {
  let agents: TxAgent[] = [];
  afterEach(() => {
    for (const a of agents) a.close();
    agents = [];
  });
  function setup(protocol = 'udp') {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new TxAgent(net, 'alice', 5060, protocol);
    const bob = new TxAgent(net, 'bob', 5070, protocol);
    agents.push(alice, bob);
    return { clock, net, alice, bob };
  }

  it('Timer E doubles up to T2, Timer F times out after 64*T1', async () => {
    const { clock, net, alice, bob } = setup();
    const rec = new ClientRecorder();
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), rec);
    await clock.advance(32_000);
    const sends = net.trace.filter((e) => e.from === 'alice:5060').map((e) => e.at);
    assert.deepEqual(sends, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(rec.timeouts, 1);
    assert.equal(bob.requests.length, 1, 'retransmissions absorbed by the server transaction');
    assert.equal(bob.layer.stats.requestRetransmissionsAbsorbed, 10);
    assert.equal(alice.layer.stats.timeouts, 1);
  });

  it('in Proceeding Timer E is T2 and the provisional is resent for each retransmission', async () => {
    const { clock, net, alice, bob } = setup();
    bob.onRequest = (tx) => tx.reply(183);
    const rec = new ClientRecorder();
    const tx = alice.layer.sendNonInvite(alice.request('MESSAGE', bob), alice.targetOf(bob), rec);
    await clock.advance(10);
    assert.equal(tx.state, S.Proceeding);
    await clock.advance(9_000);
    const sends = net.trace.filter((e) => e.from === 'alice:5060').map((e) => e.at);
    assert.deepEqual(sends, [0, 500, 4500, 8500]);
    assert.equal(net.trace.filter((e) => e.line.includes('183')).length, 4);
    assert.deepEqual(rec.statuses, [183, 183, 183, 183], 'in Proceeding every 1xx reaches the TU');
  });

  it('final response: Timer K = T4 on the client, Timer J = 64*T1 on the server; zero over TCP', async () => {
    const udp = setup();
    udp.bob.onRequest = (tx) => tx.reply(200);
    const rec = new ClientRecorder();
    const tx = udp.alice.layer.sendNonInvite(udp.alice.request('OPTIONS', udp.bob), udp.alice.targetOf(udp.bob), rec);
    await udp.clock.advance(10);
    assert.equal(tx.state, S.Completed);
    const server = udp.bob.requests[0];
    assert.equal(server.state, S.Completed);
    await udp.clock.advance(5000);
    assert.equal(tx.state, S.Terminated);
    assert.equal(server.state, S.Completed);
    await udp.clock.advance(27_000);
    assert.equal(server.state, S.Terminated);
    assert.equal(udp.clock.pending, 0);

    const tcp = setup('tcp');
    tcp.bob.onRequest = (t) => t.reply(200);
    const rec2 = new ClientRecorder();
    const tx2 = tcp.alice.layer.sendNonInvite(tcp.alice.request('OPTIONS', tcp.bob), tcp.alice.targetOf(tcp.bob), rec2);
    await tcp.clock.advance(1);
    assert.deepEqual(rec2.statuses, [200]);
    assert.equal(tx2.state, S.Terminated);
    assert.equal(tcp.bob.requests[0].state, S.Terminated);
  });

  it('a retransmitted request in Completed gets the final response again', async () => {
    const { clock, net, alice, bob } = setup();
    let first = true;
    net.filter = (m) => !(m.startLine().includes('202') && (first ? !(first = false) : false));
    bob.onRequest = (tx) => tx.reply(202);
    const rec = new ClientRecorder();
    alice.layer.sendNonInvite(alice.request('NOTIFY', bob, [['Event', 'x']]), alice.targetOf(bob), rec);
    await clock.advance(1000);
    assert.deepEqual(rec.statuses, [202]);
    assert.equal(net.trace.filter((e) => e.line.includes('202')).length, 2);
  });

  it('in Completed over UDP the server keeps bytes only: the same response is resent, request and response still readable', async () => {
    const { clock, net, alice, bob } = setup();
    let drop = true;
    net.filter = (m) => !(m.startLine().includes('202') && drop && !(drop = false));
    bob.onRequest = (tx) => tx.reply(202, { headers: [['X-Note', 'kept']] });
    const rec = new ClientRecorder();
    alice.layer.sendNonInvite(alice.request('NOTIFY', bob, [['Event', 'x']]), alice.targetOf(bob), rec);
    await clock.advance(10);
    const server = bob.requests[0];
    assert.equal(server.state, S.Completed);
    assert.equal(server.lastStatus, 202, 'the status without parsing');
    assert.equal(server.lastResponse?.get('x-note'), 'kept', 'the response parsed again from its bytes');
    assert.equal(server.request.method, 'NOTIFY');
    assert.equal(server.request.get('event'), 'x', 'the request parsed again from its bytes');
    await clock.advance(1000);
    assert.deepEqual(rec.statuses, [202], 'the retransmitted request got the kept response');
    const sent = net.trace.filter((e) => e.line.includes('202'));
    assert.equal(sent.length, 2);
    assert.equal(bob.requests.length, 1, 'the retransmission did not reach the TU');
  });

  it('illegal transitions throw InvalidStateError', async () => {
    const { clock, alice, bob } = setup();
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    const server = bob.requests[0];
    server.reply(200);
    assert.throws(() => server.reply(200), InvalidStateError);
    assert.throws(() => server.reply(180), InvalidStateError);
  });

  it('a throwing TU does not break the transaction', async () => {
    const { clock, alice, bob } = setup();
    bob.onRequest = (tx) => tx.reply(200);
    const tx = alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), {
      onResponse: () => {
        throw new Error('boom');
      },
    });
    await clock.advance(10);
    assert.equal(tx.state, S.Completed);
    assert.equal((alice.errors[0] as Error).message, 'boom');
  });
});
