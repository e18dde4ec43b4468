import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InvalidStateError } from '../errors.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { TransactionState as S } from './transaction-state.js';
import { MemoryNetwork } from './test-support/memory-network.js';
import { ClientRecorder } from './test-support/recorder.js';
import { TxAgent } from './test-support/tx-agent.js';
import { VirtualClock } from './virtual-clock.js';

describe('INVITE server transaction (§17.2.1, RFC 6026)', () => {
  let agents: TxAgent[] = [];
  afterEach(() => {
    for (const a of agents) a.close();
    agents = [];
  });
  function setup(protocol = 'udp', conditions = {}) {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock, conditions);
    const alice = new TxAgent(net, 'alice', 5060, protocol);
    const bob = new TxAgent(net, 'bob', 5070, protocol);
    agents.push(alice, bob);
    return { clock, net, alice, bob };
  }

  it('sends 100 Trying after 200 ms when the TU has not answered', async () => {
    const { clock, net, alice, bob } = setup();
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(199);
    assert.equal(net.lines().filter((l) => l.includes('100 Trying')).length, 0);
    await clock.advance(2);
    assert.equal(net.lines().filter((l) => l.includes('100 Trying')).length, 1);
  });

  it('no 100 Trying when the TU answers within 200 ms', async () => {
    const { clock, net, alice, bob } = setup();
    bob.onRequest = (tx) => clock.setTimeout(() => tx.reply(180), 100);
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(1000);
    assert.equal(net.lines().filter((l) => l.includes('100 Trying')).length, 0);
    assert.equal(net.lines().filter((l) => l.includes('180 Ringing')).length, 1);
  });

  it('retransmitted INVITE absorbed by server transaction', async () => {
    const { clock, alice, bob } = setup('udp', { duplicate: 1 });
    const rec = new ClientRecorder();
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), rec);
    await clock.advance(3000);
    assert.equal(bob.requests.length, 1, 'the core saw the INVITE once');
    assert.ok(bob.layer.stats.requestRetransmissionsAbsorbed >= 1);
    bob.requests[0].reply(486);
    await clock.advance(10);
    assert.deepEqual(rec.statuses.filter((s) => s >= 200), [486], 'the final response reached the TU once');
    assert.equal(bob.requests[0].state, S.Confirmed);
  });

  it('Timer H: no ACK ends the transaction and tells the TU', async () => {
    const { clock, net, alice, bob } = setup();
    net.filter = (m) => !m.startLine().startsWith('ACK');
    let timedOut = 0;
    bob.onRequest = (tx) => {
      tx.user = { onTimeout: () => timedOut++ };
      tx.reply(480);
    };
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(31_999);
    assert.equal(timedOut, 0);
    const finals = net.trace.filter((e) => e.line.includes('480')).map((e) => e.at);
    assert.deepEqual(finals, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500], 'Timer G capped at T2');
    await clock.advance(1);
    assert.equal(timedOut, 1);
    assert.equal(bob.requests[0].state, S.Terminated);
  });

  it('Accepted: the TU retransmits the 2xx, INVITE retransmissions are absorbed, Timer L ends it', async () => {
    const { clock, net, alice, bob } = setup();
    net.filter = (m) => !m.startLine().includes('200 OK');
    bob.onRequest = (tx) => tx.reply(200);
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(5000);
    const tx = bob.requests[0] as InviteServerTransaction;
    assert.equal(tx.state, S.Accepted);
    assert.equal(net.trace.filter((e) => e.line.includes('200 OK')).length, 1, 'the transaction never retransmits a 2xx itself');
    tx.respond(tx.lastResponse!);
    assert.equal(net.trace.filter((e) => e.line.includes('200 OK')).length, 2, "the TU's retransmission is sent");
    assert.throws(() => tx.reply(486), InvalidStateError);
    await clock.advance(27_000);
    assert.equal(tx.state, S.Terminated, 'Timer L = 64*T1');
  });

  it('CANCEL matching a Proceeding INVITE: 200 to the CANCEL, the TU answers 487', async () => {
    const { clock, net, alice, bob } = setup();
    let cancels = 0;
    bob.onRequest = (tx) => {
      tx.user = {
        onCancel: () => {
          cancels++;
          tx.reply(487);
        },
      };
      tx.reply(180);
    };
    const rec = new ClientRecorder();
    const inv = alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), rec);
    await clock.advance(10);
    const cancelRec = new ClientRecorder();
    inv.cancel({ user: cancelRec, reason: 'SIP;cause=480;text="gone"' });
    await clock.advance(10);
    assert.equal(cancels, 1);
    assert.deepEqual(cancelRec.statuses, [200]);
    assert.deepEqual(rec.statuses, [180, 487]);
    assert.equal(bob.requests.length, 1, 'the matched CANCEL never reached the core');
    assert.equal(bob.layer.stats.cancelsMatched, 1);
    assert.ok(net.lines().some((l) => l.includes('CANCEL')));
  });

  it('Bob accepts, Alice cancels: 200 wins', async () => {
    const { clock, alice, bob } = setup('udp', { delay: 5 });
    let cancels = 0;
    bob.onRequest = (tx) => {
      tx.user = { onCancel: () => cancels++ };
      tx.reply(180);
      clock.setTimeout(() => tx.reply(200), 3);
    };
    const rec = new ClientRecorder();
    const inv = alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), rec);
    // INVITE arrives at 5 ms, 180 back at 10, Bob's 200 leaves at 8 and the CANCEL at 12: they cross.
    await clock.advance(12);
    const cancelRec = new ClientRecorder();
    inv.cancel({ user: cancelRec });
    await clock.advance(100);
    assert.deepEqual(rec.statuses, [180, 200]);
    assert.deepEqual(cancelRec.statuses, [200], 'the CANCEL matched and got 200 (§9.2)');
    assert.equal(cancels, 0, 'too late: the INVITE was answered');
    assert.equal(inv.state, S.Accepted);
  });
});
