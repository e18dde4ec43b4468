import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { parseMessage } from '../message/parser.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { loadCorpus } from '../testing/conformance.js';
import { TransactionError } from './errors.js';
import { TransactionState as S } from './transaction-state.js';
import { MemoryNetwork } from './test-support/memory-network.js';
import { ClientRecorder } from './test-support/recorder.js';
import { TxAgent } from './test-support/tx-agent.js';
import { VirtualClock } from './virtual-clock.js';

function corpus(id: string): Buffer {
  const m = loadCorpus().find((c) => c.id === id);
  assert.ok(m, id);
  return m.bytes;
}

describe('TransactionLayer matching (§17.1.3, §17.2.3)', () => {
  let agents: TxAgent[] = [];
  afterEach(() => {
    for (const a of agents) a.close();
    agents = [];
  });
  function setup(options = {}) {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new TxAgent(net, 'alice', 5060, 'udp');
    const bob = new TxAgent(net, 'bob', 5070, 'udp', options);
    // A raw peer without a transaction layer: sends what the test writes, records what comes back.
    const raw = net.endpoint('old', 5090, 'udp');
    const received: Array<SipRequest | SipResponse> = [];
    raw.onMessage = (m) => received.push(m);
    agents.push(alice, bob);
    const rawSend = (text: string | Buffer) => raw.send(parseMessage(text), { protocol: 'udp', host: 'bob', port: 5070 });
    return { clock, net, alice, bob, raw, received, rawSend };
  }

  it('unmatched CANCEL → 481', async () => {
    const { clock, alice, bob } = setup();
    const invite = alice.request('INVITE', bob);
    const cancelRec = new ClientRecorder();
    // A CANCEL for an INVITE Bob never saw.
    alice.layer.sendNonInvite(
      parseMessage(invite.toString().replace(/^INVITE/, 'CANCEL').replace('1 INVITE', '1 CANCEL')) as SipRequest,
      alice.targetOf(bob),
      cancelRec,
    );
    await clock.advance(10);
    assert.deepEqual(cancelRec.statuses, [481]);
    assert.equal(bob.requests.length, 0);
    assert.equal(bob.layer.stats.cancels481, 1);
  });

  it('a proxy layer passes an unmatched CANCEL to its core (§16.10)', async () => {
    const { clock, alice, bob } = setup({ answerUnmatchedCancel: false });
    const invite = alice.request('INVITE', bob);
    alice.layer.sendNonInvite(
      parseMessage(invite.toString().replace(/^INVITE/, 'CANCEL').replace('1 INVITE', '1 CANCEL')) as SipRequest,
      alice.targetOf(bob),
      new ClientRecorder(),
    );
    await clock.advance(10);
    assert.equal(bob.requests[0].request.method, 'CANCEL');
  });

  it('badbranch request handled with RFC 2543 matching (RFC 4475 §3.2.1)', async () => {
    const { clock, bob, received, rawSend } = setup();
    bob.onRequest = (tx) => tx.reply(200);
    const bytes = corpus('rfc4475/badbranch');
    await rawSend(bytes);
    await clock.advance(10);
    await rawSend(bytes); // retransmission: same Request-URI, tags, Call-ID, CSeq, Via
    await clock.advance(10);
    assert.equal(bob.requests.length, 1, 'the retransmission matched the first by the RFC 2543 rules');
    assert.equal(bob.layer.stats.rfc2543Matches, 1);
    assert.deepEqual(
      received.map((m) => (m as SipResponse).status),
      [200, 200],
    );
    assert.equal(received[0].topVia.branch, 'z9hG4bK');
  });

  it('inv2543: an RFC 2543 INVITE, its retransmission and its ACK all match (§17.2.3)', async () => {
    const { clock, bob, received, rawSend } = setup();
    bob.onRequest = (tx) => tx.reply(486);
    const bytes = corpus('rfc4475/inv2543');
    await rawSend(bytes);
    await clock.advance(300);
    await rawSend(bytes);
    await clock.advance(10);
    assert.equal(bob.requests.length, 1);
    const res = received.find((m): m is SipResponse => !m.isRequest && m.status === 486)!;
    const tag = res.to.tag!;
    assert.ok(tag);
    const ack = [
      'ACK sip:UserB@example.com SIP/2.0',
      'Via: SIP/2.0/UDP iftgw.example.com',
      'From: <sip:+13035551111@ift.client.example.net;user=phone>',
      `To: sip:+16505552222@ss1.example.net;user=phone;tag=${tag}`,
      'Call-ID: inv2543.1717@ift.client.example.com',
      'CSeq: 56 ACK',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await rawSend(ack);
    await clock.advance(10);
    assert.equal(bob.requests[0].state, S.Confirmed, 'the ACK matched the INVITE transaction');
    assert.equal(bob.acks.length, 0);
  });

  it('responses match on branch and CSeq method; strays are dropped and counted', async () => {
    const { clock, alice, bob, raw } = setup();
    bob.onRequest = (tx) => tx.reply(200);
    const rec = new ClientRecorder();
    const req = alice.request('OPTIONS', bob);
    alice.layer.sendNonInvite(req, alice.targetOf(bob), rec);
    await clock.advance(10);
    assert.deepEqual(rec.statuses, [200]);
    // A response with the same branch but another method belongs to no transaction.
    const stray = parseMessage(
      `SIP/2.0 200 OK\r\nVia: ${req.get('via')}\r\nFrom: ${req.get('from')}\r\nTo: ${req.get('to')}\r\nCall-ID: ${req.callId}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`,
    );
    await raw.send(stray, { protocol: 'udp', host: 'alice', port: 5060 });
    await clock.advance(10);
    assert.equal(alice.layer.stats.strayResponsesDropped, 1);
    assert.deepEqual(rec.statuses, [200]);
  });

  it('merged requests: same From tag, Call-ID and CSeq by another branch is detected (§8.2.2.2)', async () => {
    const { clock, alice, bob } = setup();
    const first = alice.request('INVITE', bob);
    const second = parseMessage(first.toString()) as SipRequest;
    second.set('Via', first.get('via')!.replace(/branch=[^;]+/, 'branch=z9hG4bKother'));
    alice.layer.sendInvite(first, alice.targetOf(bob), new ClientRecorder());
    alice.layer.sendInvite(second, alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    assert.equal(bob.requests.length, 2);
    assert.equal(bob.layer.isMergedRequest(bob.requests[0]), false);
    assert.equal(bob.layer.isMergedRequest(bob.requests[1]), true);
  });

  it('a full table answers 503 with Retry-After; client side throws table-full', async () => {
    const { clock, alice, bob } = setup({ maxTransactions: 1 });
    const recs = [new ClientRecorder(), new ClientRecorder()];
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[0]);
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[1]);
    await clock.advance(10);
    assert.deepEqual(recs[1].statuses, [503]);
    assert.equal(recs[1].responses[0].get('retry-after'), '5');
    assert.equal(bob.layer.stats.rejectedTableFull, 1);
    bob.requests[0].reply(200);
    const full = new TxAgent(alice.endpoint.network, 'carol', 5080, 'udp', { maxTransactions: 1 });
    agents.push(full);
    full.layer.sendNonInvite(full.request('OPTIONS', bob), full.targetOf(bob), new ClientRecorder());
    assert.throws(
      () => full.layer.sendNonInvite(full.request('OPTIONS', bob), full.targetOf(bob), new ClientRecorder()),
      (e: unknown) => e instanceof TransactionError && e.code === 'table-full',
    );
  });

  it('a full table ends a completed non-INVITE transaction older than 2*T2 instead of answering 503', async () => {
    const { clock, alice, bob } = setup({ maxTransactions: 2 });
    bob.onRequest = (tx) => tx.reply(200);
    const recs = [new ClientRecorder(), new ClientRecorder(), new ClientRecorder(), new ClientRecorder()];
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[0]);
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[1]);
    await clock.advance(10);
    assert.equal(bob.layer.size.server, 2, 'both completed, in Timer J');
    // Completed only just now: too young to end early, so the table is full.
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[2]);
    await clock.advance(10);
    assert.deepEqual(recs[2].statuses, [503]);
    await clock.advance(8_000);
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), recs[3]);
    await clock.advance(10);
    assert.deepEqual(recs[3].statuses, [200]);
    assert.equal(bob.layer.stats.evictedCompleted, 1);
    assert.equal(bob.layer.stats.rejectedTableFull, 1);
  });

  it('misuse is a TypeError: an ACK in a client transaction, a branch without the cookie', () => {
    const { alice, bob } = setup();
    assert.throws(() => alice.layer.sendRequest(alice.request('ACK', bob), alice.targetOf(bob), {}), TypeError);
    const old = alice.request('OPTIONS', bob);
    old.set('Via', 'SIP/2.0/UDP alice:5060;branch=1234');
    assert.throws(() => alice.layer.sendRequest(old, alice.targetOf(bob), {}), TypeError);
  });

  it('a throwing core gets 500 sent for it; an unanswered non-INVITE is dropped after 64*T1 + T4', async () => {
    const { clock, alice, bob } = setup();
    bob.onRequest = (tx) => {
      if (tx.request.method === 'MESSAGE') throw new Error('service bug');
    };
    const rec = new ClientRecorder();
    alice.layer.sendNonInvite(alice.request('MESSAGE', bob), alice.targetOf(bob), rec);
    await clock.advance(10);
    assert.deepEqual(rec.statuses, [500]);
    assert.equal((bob.errors[0] as Error).message, 'service bug');
    bob.errors.length = 0;
    let abandoned = 0;
    bob.onRequest = (tx) => {
      tx.user = { onTimeout: () => abandoned++ };
    };
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(36_000);
    assert.equal(bob.layer.size.server, 1, 'the MESSAGE ended at Timer J; the unanswered OPTIONS is still there');
    await clock.advance(1_100);
    assert.equal(abandoned, 1);
    assert.equal(bob.layer.size.server, 0);
  });

  it('close() disposes every transaction and clears every timer; idempotent', async () => {
    const { clock, alice, bob } = setup();
    const recs: ClientRecorder[] = [];
    for (let i = 0; i < 5; i++) {
      const r = new ClientRecorder();
      recs.push(r);
      alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), r);
    }
    await clock.advance(10);
    alice.close();
    alice.close();
    bob.close();
    assert.equal(alice.layer.size.client, 0);
    assert.equal(bob.layer.size.server, 0);
    assert.ok(recs.every((r) => r.states.at(-1) === S.Terminated));
    await clock.advance(10);
    assert.equal(clock.pending, 0);
    assert.throws(
      () => alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), {}),
      (e: unknown) => e instanceof TransactionError && e.code === 'closed',
    );
  });
});
