/** A whole call on the real clock with T1 shortened, over a lossy wire. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../transaction/clock.js';
import { MemoryNetwork } from '../transaction/test-support/memory-network.js';
import { UaAgent } from './test-support/ua-agent.js';

const timers = { T1: 5, T2: 40, T4: 50, D: 100, trying100: 2 };

describe('UA core in real time (T1 = 5 ms)', () => {
  it('INVITE over UDP with 50% loss completes, ACK and BYE included', async () => {
    const net = new MemoryNetwork(systemClock, { loss: 0.5, delay: [0, 3] }, 11);
    const alice = new UaAgent(net, 'alice', 5060, { timers });
    const bob = new UaAgent(net, 'bob', 5070, { timers });
    try {
      const acked = new Promise<void>((resolve) => {
        bob.onRequest = (inc) => {
          if (inc.request.method !== 'INVITE') return void inc.reply(200);
          inc.delegate = { onAck: () => resolve() };
          inc.reply(180);
          setTimeout(() => inc.reply(200), 20);
        };
      });
      const accepted = await new Promise<import('../dialog/dialog.js').Dialog>((resolve, reject) => {
        alice.ua.request(alice.request('INVITE', bob), {
          onAccept: (_res, dialog) => resolve(dialog!),
          onReject: (res) => reject(new Error(`rejected ${res.status}`)),
        });
      });
      await acked;
      const bye = await new Promise<number>((resolve) => {
        alice.ua.requestInDialog(accepted, 'BYE', { onAccept: (r) => resolve(r.status), onReject: (r) => resolve(r.status) });
      });
      assert.equal(bye, 200);
      assert.equal(bob.ua.dialogs.size, 0);
      assert.deepEqual([...alice.errors, ...bob.errors], []);
    } finally {
      alice.close();
      bob.close();
    }
  });
});
