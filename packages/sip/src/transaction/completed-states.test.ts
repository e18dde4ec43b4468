/**
 * What the transactions keep in their long final states, and that RFC 3261
 * §17 behaviour survives it: completed non-INVITE client transactions
 * reduced to a key in the layer (Timer K), completed server transactions
 * holding bytes only with Timer J run by the layer, the layer's
 * {@link ExpiryQueue}, and the kept bytes.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createResponse } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { ExpiryQueue } from './expiry-queue.js';
import { keepBytes, keptBuffer } from './kept-bytes.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { TransactionState as S } from './transaction-state.js';
import { MemoryNetwork } from './test-support/memory-network.js';
import { ClientRecorder } from './test-support/recorder.js';
import { TxAgent } from './test-support/tx-agent.js';
import { VirtualClock } from './virtual-clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Lets the current job end (WeakRef targets are kept until then), then collects. */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
}

describe('completed transactions keep only what absorbing retransmissions needs', () => {
  let agents: TxAgent[] = [];
  afterEach(() => {
    for (const a of agents) a.close();
    agents = [];
  });

  /**
   * Alice (a transaction layer) and a raw UDP peer at old:5090 that answers
   * each request with the final responses the test lists, at the given
   * delays (a later copy is a retransmission, as a server whose request was
   * retransmitted would send).
   */
  function setup(answers: Array<[delay: number, status: number]> = [[0, 200]]) {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new TxAgent(net, 'alice', 5060, 'udp');
    agents.push(alice);
    const raw = net.endpoint('old', 5090, 'udp');
    const requests: SipRequest[] = [];
    raw.onMessage = (m) => {
      if (!m.isRequest) return;
      requests.push(m);
      const res = createResponse(m, 200, { toTag: 'raw-tag' });
      for (const [delay, status] of answers) {
        const copy = createResponse(m, status, { toTag: 'raw-tag' });
        clock.setTimeout(() => void raw.send(status === 200 ? res : copy, { protocol: 'udp', host: 'alice', port: 5060 }), delay);
      }
    };
    const target = { protocol: 'udp', host: 'old', port: 5090 };
    const options = () => {
      const req = alice.request('OPTIONS', alice);
      req.uri = 'sip:old@old:5090';
      return req;
    };
    return { clock, net, alice, raw, requests, target, options };
  }

  it('non-INVITE client over UDP: the transaction leaves the table, its key absorbs a retransmitted 200 until Timer K (§17.1.2.2)', async () => {
    const { clock, alice, target, options } = setup([
      [0, 200],
      [1000, 200],
      [6000, 200],
    ]);
    const statuses: number[] = [];
    const user = { onResponse: (r: SipResponse) => statuses.push(r.status) };
    const tx = alice.layer.sendNonInvite(options(), target, user);
    await clock.advance(10);
    assert.deepEqual(statuses, [200]);
    assert.equal(tx.state, S.Completed);
    assert.equal(alice.layer.size.client, 0, 'not in the client table any more');
    assert.equal(alice.layer.stats.clientCompleted, 1, 'its key is');
    assert.equal(tx.runningTimers, 0, 'no timer of its own: Timer K is the layer’s');
    assert.equal(tx.user.onResponse, undefined, 'the TU’s callbacks were let go');
    assert.equal(tx.request.method, 'OPTIONS', 'a TU that kept the transaction can still read the request');

    await clock.advance(1000);
    assert.deepEqual(statuses, [200], 'the retransmitted 200 was not passed up');
    assert.equal(alice.layer.stats.responseRetransmissionsAbsorbed, 1);
    assert.equal(alice.layer.stats.strayResponsesDropped, 0, 'absorbed, not a stray');

    await clock.advance(3_990); // 5 s after the 200: Timer K
    assert.equal(tx.state, S.Terminated);
    assert.equal(tx.terminated, true);
    await clock.advance(1_100);
    assert.equal(alice.layer.stats.clientCompleted, 0, 'the key is gone');
    assert.equal(alice.layer.stats.strayResponsesDropped, 1, 'a copy after Timer K matches nothing');
    assert.deepEqual(statuses, [200]);
    assert.equal(clock.pending, 0, 'no timer left');
  });

  it('in flight the request is held as the bytes sent: Timer E resends them unchanged', async () => {
    const { clock, net, alice, target, options } = setup([]); // the peer never answers
    const sent: Buffer[] = [];
    net.filter = (m) => {
      if (m.isRequest) sent.push(Buffer.from(m.toBuffer()));
      return true;
    };
    const req = options();
    const tx = alice.layer.sendNonInvite(req, target, new ClientRecorder());
    assert.equal(tx.holdsRequest, false, 'the parsed request was let go once sent');
    await clock.advance(1_600); // Timer E at 500 and 1500 ms
    assert.equal(sent.length, 3);
    assert.ok(sent.every((b) => b.equals(sent[0])), 'the same bytes each time');
    assert.equal(tx.request.topVia.branch, req.topVia.branch, 'readable, parsed again');
    assert.equal(tx.holdsRequest, true, 'and kept once asked for');
  });

  it('a TU that listens to state changes hears Terminated when Timer K fires', async () => {
    const { clock, alice, target, options } = setup();
    const rec = new ClientRecorder();
    const tx = alice.layer.sendNonInvite(options(), target, rec);
    await clock.advance(4_990);
    assert.deepEqual(rec.states, [S.Completed]);
    assert.equal(tx.user, rec, 'kept: Terminated is still to be told');
    await clock.advance(20);
    assert.deepEqual(rec.states, [S.Completed, S.Terminated]);
    assert.equal(tx.state, S.Terminated);
    assert.equal(clock.pending, 0);
  });

  it('the branch of a completed transaction cannot be reused before Timer K', async () => {
    const { clock, alice, target, options } = setup();
    const req = options();
    alice.layer.sendNonInvite(req, target, {});
    await clock.advance(10);
    const again = () => alice.layer.sendNonInvite(req, target, {});
    assert.throws(again, TypeError);
    await clock.advance(5_000);
    assert.doesNotThrow(again);
  });

  it('dispose() in Completed ends the transaction and its key: a later copy is a stray', async () => {
    const { clock, alice, target, options } = setup([
      [0, 200],
      [1000, 200],
    ]);
    const rec = new ClientRecorder();
    const tx = alice.layer.sendNonInvite(options(), target, rec);
    await clock.advance(10);
    tx.dispose();
    assert.equal(tx.state, S.Terminated);
    assert.deepEqual(rec.states, [S.Completed, S.Terminated]);
    assert.equal(alice.layer.stats.clientCompleted, 0);
    await clock.advance(1000);
    assert.equal(alice.layer.stats.responseRetransmissionsAbsorbed, 0);
    assert.equal(alice.layer.stats.strayResponsesDropped, 1);
    assert.equal(clock.pending, 0);
  });

  it('close() ends completed client transactions too, listening or not', async () => {
    const { clock, alice, target, options } = setup();
    const rec = new ClientRecorder();
    const watched = alice.layer.sendNonInvite(options(), target, rec);
    const quiet = alice.layer.sendNonInvite(options(), target, {});
    await clock.advance(10);
    assert.equal(quiet.state, S.Completed);
    alice.close();
    assert.equal(quiet.state, S.Terminated);
    assert.equal(watched.state, S.Terminated);
    assert.deepEqual(rec.states, [S.Completed, S.Terminated]);
    assert.equal(clock.pending, 0);
  });

  it('the layer holds no reference to a completed client transaction, its request or its TU', async () => {
    const { clock, alice, target, options } = setup([
      [0, 200],
      [1000, 200],
    ]);
    let refs: Array<WeakRef<object>> = [];
    const statuses: number[] = [];
    (() => {
      const req = options();
      const user = { onResponse: (r: SipResponse) => statuses.push(r.status) };
      const tx = alice.layer.sendNonInvite(req, target, user);
      refs = [new WeakRef(tx), new WeakRef(req), new WeakRef(user)];
    })();
    await clock.advance(10);
    assert.deepEqual(statuses, [200]);
    await collect();
    assert.deepEqual(
      refs.map((r) => r.deref() === undefined),
      [true, true, true],
      'transaction, request and TU collected while in Completed',
    );
    await clock.advance(1000);
    assert.equal(alice.layer.stats.responseRetransmissionsAbsorbed, 1, 'the key alone still absorbs');
    assert.deepEqual(statuses, [200]);
  });
});

describe('completed server transactions hold bytes only; Timer J runs in the layer', () => {
  let agents: TxAgent[] = [];
  afterEach(() => {
    for (const a of agents) a.close();
    agents = [];
  });
  function setup() {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new TxAgent(net, 'alice', 5060, 'udp');
    const bob = new TxAgent(net, 'bob', 5070, 'udp');
    agents.push(alice, bob);
    return { clock, net, alice, bob };
  }

  it('non-INVITE server over UDP: no parsed request or response, no timer of its own; a binary body comes back byte for byte', async () => {
    const { clock, alice, bob } = setup();
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const req = alice.request('MESSAGE', bob, [['Content-Type', 'application/octet-stream']]);
    req.body = body;
    let weakRequest: WeakRef<object> | undefined;
    bob.onRequest = (tx) => {
      weakRequest = new WeakRef(tx.request);
      tx.reply(200);
    };
    alice.layer.sendNonInvite(req, alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    const server = bob.requests[0] as NonInviteServerTransaction;
    assert.equal(server.state, S.Completed);
    assert.equal(server.compacted, true);
    assert.equal(server.holdsRequest, false);
    assert.equal(server.runningTimers, 0, 'Timer J is the layer’s');
    await collect();
    assert.equal(weakRequest!.deref(), undefined, 'the parsed request was let go');
    assert.equal(server.lastStatus, 200);
    assert.equal(server.lastResponse?.status, 200);
    assert.ok(server.request.body.equals(body), 'the request parsed again from its bytes, body intact');
    await clock.advance(32_000);
    assert.equal(server.state, S.Terminated, 'Timer J');
    assert.equal(bob.layer.size.server, 0);
  });

  it('a TU that disposes the server transaction on Completed leaves nothing running', async () => {
    const { clock, alice, bob } = setup();
    bob.onRequest = (tx) => {
      tx.user = { onStateChange: (s) => s === S.Completed && tx.dispose() };
      tx.reply(200);
    };
    alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    assert.equal(bob.requests[0].state, S.Terminated);
    assert.equal(bob.layer.size.server, 0);
    await clock.advance(6_000);
    assert.equal(clock.pending, 0);
  });

  it('INVITE server: Accepted and Confirmed keep bytes only; Completed keeps what Timer G resends', async () => {
    const { clock, net, alice, bob } = setup();
    bob.onRequest = (tx) => tx.reply(200);
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    const accepted = bob.requests[0] as InviteServerTransaction;
    assert.equal(accepted.state, S.Accepted);
    assert.equal(accepted.compacted, true);
    assert.equal(accepted.lastResponse?.status, 200);
    assert.equal(accepted.request.method, 'INVITE');

    net.filter = (m) => !m.startLine().startsWith('ACK'); // the first ACK is lost
    bob.onRequest = (tx) => tx.reply(486);
    alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), new ClientRecorder());
    await clock.advance(10);
    const rejected = bob.requests[1] as InviteServerTransaction;
    assert.equal(rejected.state, S.Completed);
    assert.equal(rejected.compacted, false, 'Completed resends the response (Timer G)');
    net.filter = undefined;
    await clock.advance(500); // Timer G: the 486 again, ACKed again from the client's kept ACK
    assert.equal(rejected.state, S.Confirmed);
    assert.equal(rejected.compacted, true);
    assert.equal(rejected.lastStatus, 486);
    assert.equal(rejected.lastResponse?.status, 486);
    await clock.advance(5_000);
    assert.equal(rejected.state, S.Terminated, 'Timer I');
  });
});

describe('ExpiryQueue', () => {
  it('expires entries in order at their deadlines, one timer for all', async () => {
    const clock = new VirtualClock();
    const expired: Array<[string, number]> = [];
    const q = new ExpiryQueue<string>(clock, 1000, (k) => expired.push([k, clock.now()]), 0);
    q.add('a');
    await clock.advance(300);
    q.add('b');
    assert.equal(clock.pending, 1);
    assert.equal(q.oldest(), 'a');
    await clock.advance(699);
    assert.equal(q.has('a'), true);
    await clock.advance(1);
    assert.equal(q.has('a'), false);
    assert.deepEqual(expired, [['a', 1000]]);
    await clock.advance(300);
    assert.deepEqual(expired, [
      ['a', 1000],
      ['b', 1300],
    ]);
    assert.equal(q.size, 0);
    assert.equal(clock.pending, 0, 'no timer while empty');
  });

  it('has() is exact even when the sweep is coalesced to the granularity', async () => {
    const clock = new VirtualClock();
    const expired: number[] = [];
    const q = new ExpiryQueue<number>(clock, 100, () => expired.push(clock.now()), 50);
    for (let i = 0; i < 10; i++) {
      q.add(i);
      await clock.advance(10);
      assert.ok(clock.pending <= 1);
    }
    // t = 100: entry 0 expired; the next sweep is at 150.
    await clock.advance(15);
    assert.equal(q.size, 9, 'entry 1 (due at 110) is still queued…');
    assert.equal(q.has(1), false, '…but no longer there for has()');
    assert.equal(q.has(2), true);
    await clock.advance(300);
    assert.equal(expired.length, 10);
    // Sweeps at 100, then no sooner than 50 ms after each other.
    assert.deepEqual([...new Set(expired)], [100, 150, 200]);
    assert.equal(clock.pending, 0);
  });

  it('delete, re-add (to the back), clear; onExpire may add entries', async () => {
    const clock = new VirtualClock();
    const expired: string[] = [];
    const q: ExpiryQueue<string> = new ExpiryQueue<string>(
      clock,
      100,
      (k) => {
        expired.push(k);
        if (k === 'b') q.add('c');
      },
      0,
    );
    q.add('a');
    q.add('b');
    assert.equal(q.delete('a'), true);
    assert.equal(q.delete('a'), false);
    await clock.advance(50);
    q.add('d');
    q.add('b'); // moved behind d, deadline 150
    assert.equal(q.oldest(), 'd');
    assert.equal(q.deadline('b'), 150);
    await clock.advance(100);
    assert.deepEqual(expired, ['d', 'b']);
    assert.equal(q.has('c'), true);
    assert.equal(clock.pending, 1);
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(clock.pending, 0);
  });
});

describe('kept bytes', () => {
  it('every byte value comes back, in a buffer that owns its allocation', () => {
    const a = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    const b = Buffer.from('SIP/2.0 200 OK\r\nX: é\r\n\r\n', 'utf8');
    const kept = keepBytes(a, b);
    assert.equal(kept.length, a.length + b.length);
    const back = keptBuffer(kept);
    assert.ok(back.equals(Buffer.concat([a, b])));
    assert.ok(keptBuffer(kept, 0, a.length).equals(a));
    const tail = keptBuffer(kept, a.length);
    assert.ok(tail.equals(b));
    assert.equal(tail.byteOffset, 0);
    assert.equal(tail.byteLength, tail.buffer.byteLength, 'not a slice of a pool slab');
    assert.ok(keptBuffer(keepBytes(b)).equals(b));
    const big = Buffer.alloc(70_000, 0xe9); // larger than the scratch buffer
    assert.ok(keptBuffer(keepBytes(big, a)).equals(Buffer.concat([big, a])));
    assert.ok(keptBuffer(keepBytes(b, a)).equals(Buffer.concat([b, a])), 'the scratch buffer is reused');
  });
});
