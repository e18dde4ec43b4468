/**
 * The same machines on the real clock, with T1 shortened to a few
 * milliseconds: nothing depends on the virtual clock's ordering.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipResponse } from '../message/message.js';
import { systemClock } from './clock.js';
import { TransactionState as S } from './transaction-state.js';
import { MemoryNetwork } from './test-support/memory-network.js';
import { TxAgent } from './test-support/tx-agent.js';

const timers = { T1: 5, T2: 40, T4: 50, D: 100, trying100: 2 };

describe('transactions in real time (T1 = 5 ms)', () => {
  it('OPTIONS over UDP with 50% loss completes', async () => {
    const net = new MemoryNetwork(systemClock, { loss: 0.5, delay: [0, 3] }, 7);
    const alice = new TxAgent(net, 'alice', 5060, 'udp', { timers });
    const bob = new TxAgent(net, 'bob', 5070, 'udp', { timers });
    bob.onRequest = (tx) => tx.reply(200);
    try {
      const res = await new Promise<SipResponse | 'timeout'>((resolve) => {
        alice.layer.sendNonInvite(alice.request('OPTIONS', bob), alice.targetOf(bob), {
          onResponse: (r) => resolve(r),
          onTimeout: () => resolve('timeout'),
        });
      });
      assert.notEqual(res, 'timeout');
      assert.equal((res as SipResponse).status, 200);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('INVITE rejected over UDP with 30% loss: 486 up once, ACK absorbed, both sides end', async () => {
    const net = new MemoryNetwork(systemClock, { loss: 0.3, duplicate: 0.2, delay: [0, 4] }, 3);
    const alice = new TxAgent(net, 'alice', 5060, 'udp', { timers });
    const bob = new TxAgent(net, 'bob', 5070, 'udp', { timers });
    bob.onRequest = (tx) => tx.reply(486);
    try {
      const statuses: number[] = [];
      await new Promise<void>((resolve) => {
        alice.layer.sendInvite(alice.request('INVITE', bob), alice.targetOf(bob), {
          onResponse: (r) => statuses.push(r.status),
          onStateChange: (s) => s === S.Terminated && resolve(),
        });
      });
      assert.deepEqual(statuses.filter((s) => s >= 200), [486]);
      for (let i = 0; i < 100 && bob.layer.size.server > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(bob.layer.size.server, 0, 'Timer I (or H, if every ACK was lost) ended the server side');
    } finally {
      alice.close();
      bob.close();
    }
  });
});
