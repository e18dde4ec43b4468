import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DialogState } from '../../dialog/dialog-state.js';
import type { Dialog } from '../../dialog/dialog.js';
import { parseUri } from '../../grammar/uri.js';
import type { SipRequest, SipResponse } from '../../message/message.js';
import { MemoryNetwork, type WireConditions } from '../../transaction/test-support/memory-network.js';
import { VirtualClock } from '../../transaction/virtual-clock.js';
import type { IncomingRequest } from '../incoming-request.js';
import type { OutgoingRequestDelegate } from '../outgoing-request.js';
import { ProxyAgent, type ProxyAgentOptions } from '../test-support/proxy-agent.js';
import { UaAgent } from '../test-support/ua-agent.js';
import type { ProxyTarget } from './proxy-target.js';

function recorder() {
  const r = {
    progress: [] as SipResponse[],
    accepted: [] as Array<{ res: SipResponse; dialog: Dialog | undefined }>,
    rejected: [] as SipResponse[],
    delegate: {} as OutgoingRequestDelegate,
  };
  r.delegate = {
    onProgress: (res) => r.progress.push(res),
    onAccept: (res, dialog) => r.accepted.push({ res, dialog }),
    onReject: (res) => r.rejected.push(res),
  };
  return r;
}

describe('ProxyTransaction: forking scenarios (§16.6–§16.10)', () => {
  let closers: Array<{ close(): void }> = [];
  afterEach(() => {
    const errors = closers.flatMap((c) => (c as { errors?: unknown[] }).errors ?? []);
    for (const c of closers) c.close();
    closers = [];
    assert.deepEqual(errors, [], 'no agent reported an error');
  });

  /** Alice at .1, the proxy at .10 for example.com, Bob's devices at .21, .22, .23… */
  function setup(devices: number, proxy: ProxyAgentOptions = {}, conditions: WireConditions = {}, q?: number[]) {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock, conditions);
    const alice = new UaAgent(net, 'alice', 5060, { host: '192.0.2.1' });
    const bobs = Array.from({ length: devices }, (_, i) => new UaAgent(net, 'bob', 5060, { host: `192.0.2.${21 + i}` }));
    const targets: ProxyTarget[] = bobs.map((b, i) => ({ uri: parseUri(b.uri), q: q?.[i] }));
    const p = new ProxyAgent(net, '192.0.2.10', 5060, {
      domain: 'example.com',
      locate: (uri) => ((uri as { user?: string }).user === 'bob' ? targets : []),
      recordRoute: true,
      ...proxy,
    });
    closers.push(alice, ...bobs, p);
    const call = (delegate: OutgoingRequestDelegate, to = 'sip:bob@example.com') =>
      alice.ua.request(alice.request('INVITE', to, { routeSet: [`<${p.uri};lr>`] }), delegate);
    return { clock, net, alice, bobs, proxy: p, call };
  }

  it('parallel fork: 486 and 200 → 200 forwarded, other branch CANCELled', async () => {
    const { clock, net, alice, bobs, call, proxy } = setup(3, { forking: 'parallel' });
    bobs[0].onRequest = (inc) => inc.reply(486);
    bobs[1].onRequest = (inc) => {
      inc.reply(180);
      clock.setTimeout(() => inc.reply(200), 100);
    };
    const cancels: SipRequest[] = [];
    bobs[2].onRequest = (inc) => {
      inc.delegate = { onCancel: (c) => cancels.push(c) };
      inc.reply(180);
    };
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(500);
    assert.equal(rec.accepted.length, 1);
    assert.equal(rec.rejected.length, 0, 'Alice never sees the 486 or the 487');
    assert.equal(cancels.length, 1);
    assert.equal(cancels[0].get('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
    assert.equal(bobs[2].incoming[0].dialog?.state, DialogState.Terminated);
    assert.equal(net.lines().filter((l) => l.includes('→ 192.0.2.1:5060: SIP/2.0 486')).length, 0);
    assert.equal(proxy.contexts[0].state, 'Completed');
    const dialog = rec.accepted[0].dialog!;
    assert.equal(dialog.remoteTarget.toString(), 'sip:bob@192.0.2.22:5060');
    // The BYE goes through the proxy (Record-Route), to the device that answered.
    const bye = recorder();
    alice.ua.requestInDialog(dialog, 'BYE', bye.delegate);
    await clock.advance(100);
    assert.equal(bye.accepted.length, 1);
    assert.equal(bobs[1].incoming[1].request.method, 'BYE');
    assert.ok(net.lines().some((l) => l.startsWith('192.0.2.10:5060 → 192.0.2.22:5060: BYE')));
  });

  it('forked 2xx: both answers reach Alice, each dialog ACKed (§13.2.2.4)', async () => {
    const { clock, net, bobs, call } = setup(2, { forking: 'parallel' }, { delay: 10 });
    const acks = [0, 0];
    bobs.forEach((b, i) => {
      b.onRequest = (inc) => {
        if (inc.request.method !== 'INVITE') return void inc.reply(200);
        inc.delegate = { onAck: () => acks[i]++ };
        inc.reply(200); // both answer at once: the proxy's CANCEL comes too late for the other
      };
    });
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(2000);
    assert.equal(rec.accepted.length, 2);
    const [d1, d2] = rec.accepted.map((a) => a.dialog!);
    assert.notEqual(d1.id.remoteTag, d2.id.remoteTag);
    assert.deepEqual(acks, [1, 1], 'each 2xx ACKed end to end, through the proxy');
    assert.equal(net.lines().filter((l) => l.includes('SIP/2.0 200 OK') && l.includes('→ 192.0.2.1:5060')).length, 2);
  });

  it('dialog route set reversed for UAC: Alice → P1 → P2 → Bob, both record-route', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new UaAgent(net, 'alice', 5060, { host: '192.0.2.1' });
    const bob = new UaAgent(net, 'bob', 5060, { host: '192.0.2.21' });
    const p2 = new ProxyAgent(net, '192.0.2.12', 5060, { domain: 'example.com', recordRoute: true, locate: () => [{ uri: parseUri(bob.uri) }] });
    const p1 = new ProxyAgent(net, '192.0.2.11', 5060, {
      domain: 'example.com',
      recordRoute: true,
      locate: (uri) => [{ uri, sendTarget: { protocol: 'udp', host: '192.0.2.12', port: 5060 } }],
    });
    closers.push(alice, bob, p1, p2);
    bob.onRequest = (inc) => inc.reply(200);
    const rec = recorder();
    alice.ua.request(alice.request('INVITE', 'sip:bob@example.com', { routeSet: [`<${p1.uri};lr>`] }), rec.delegate);
    await clock.advance(100);
    const aliceDialog = rec.accepted[0].dialog!;
    const bobDialog = bob.incoming[0].dialog!;
    assert.deepEqual(aliceDialog.routeSet.map(String), ['<sip:192.0.2.11:5060;lr>', '<sip:192.0.2.12:5060;lr>']);
    assert.deepEqual(bobDialog.routeSet.map(String), ['<sip:192.0.2.12:5060;lr>', '<sip:192.0.2.11:5060;lr>']);
    const bye = recorder();
    bob.ua.requestInDialog(bobDialog, 'BYE', bye.delegate);
    await clock.advance(100);
    assert.equal(bye.accepted.length, 1);
    assert.deepEqual(
      net.lines((e) => e.line.startsWith('BYE')).map((l) => l.split(': ')[0]),
      ['192.0.2.21:5060 → 192.0.2.12:5060', '192.0.2.12:5060 → 192.0.2.11:5060', '192.0.2.11:5060 → 192.0.2.1:5060'],
    );
    assert.equal(aliceDialog.state, DialogState.Terminated, 'Alice answered the BYE and her dialog ended');
    assert.equal(alice.ua.dialogs.size, 0);
  });

  it('serial fork on 408: the next target is tried after the first times out', async () => {
    const { clock, bobs, call } = setup(2, { forking: 'sequential' });
    bobs[0].endpoint.close(); // the first device is gone: Timer B gives a 408
    bobs[1].onRequest = (inc) => inc.reply(200);
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(31_000);
    assert.equal(bobs[1].incoming.length, 0, 'not before the first branch ended');
    await clock.advance(2_000);
    assert.equal(rec.accepted.length, 1);
    assert.equal(bobs[1].incoming.length, 1);
  });

  it('q-value groups: 408 from the best device, then the next group', async () => {
    const { clock, bobs, call } = setup(3, {}, {}, [0.5, 1.0, 0.1]);
    bobs[1].onRequest = (inc) => inc.reply(408);
    bobs[0].onRequest = (inc) => inc.reply(486);
    bobs[2].onRequest = (inc) => inc.reply(200);
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(100);
    assert.deepEqual(
      bobs.map((b) => b.incoming.length),
      [1, 1, 1],
    );
    assert.equal(rec.accepted.length, 1);
  });

  it('best response 401+407 merged challenges (§16.7 step 7)', async () => {
    const { clock, bobs, call } = setup(3, { forking: 'parallel' });
    bobs[0].onRequest = (inc) => inc.reply(401, { headers: [['WWW-Authenticate', 'Digest realm="a.example.com", nonce="1"']] });
    bobs[1].onRequest = (inc) => inc.reply(407, { headers: [['Proxy-Authenticate', 'Digest realm="b.example.com", nonce="2"']] });
    bobs[2].onRequest = (inc) => inc.reply(486);
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(100);
    const res = rec.rejected[0];
    assert.equal(res.status, 407);
    assert.deepEqual(res.getAll('proxy-authenticate'), ['Digest realm="b.example.com", nonce="2"']);
    assert.deepEqual(res.getAll('www-authenticate'), ['Digest realm="a.example.com", nonce="1"']);
    assert.equal(res.vias.length, 1, 'the proxy took its Via off');
  });

  it('503 from the only branch becomes 500; 6xx ends the fork and CANCELs the rest', async () => {
    const one = setup(1);
    one.bobs[0].onRequest = (inc) => inc.reply(503);
    const r1 = recorder();
    one.call(r1.delegate);
    await one.clock.advance(100);
    assert.deepEqual(r1.rejected.map((r) => r.status), [500]);

    const two = setup(3, { forking: 'q' }, {}, [1, 1, 0.5]);
    two.bobs[0].onRequest = (inc) => inc.reply(180);
    two.bobs[1].onRequest = (inc) => two.clock.setTimeout(() => inc.reply(603), 50);
    const r2 = recorder();
    two.call(r2.delegate);
    await two.clock.advance(500);
    assert.deepEqual(r2.rejected.map((r) => r.status), [603]);
    assert.equal(two.bobs[0].incoming[0].answered, true, 'the ringing branch was CANCELled (487)');
    assert.equal(two.bobs[2].incoming.length, 0, 'no later group after a 6xx');
  });

  it('Timer C CANCELs a branch that rings too long, then the next target answers (§16.8)', async () => {
    const { clock, net, bobs, call } = setup(2, { forking: 'sequential', timers: { C: 185_000 } });
    bobs[0].onRequest = (inc) => inc.reply(180);
    bobs[1].onRequest = (inc) => inc.reply(200);
    const rec = recorder();
    call(rec.delegate);
    await clock.advance(184_000);
    assert.equal(bobs[1].incoming.length, 0);
    await clock.advance(2_000);
    assert.ok(net.lines().some((l) => l.includes('→ 192.0.2.21:5060: CANCEL')));
    assert.equal(rec.accepted.length, 1);
  });

  it('an upstream CANCEL cancels every branch; Alice gets 487 (§16.10)', async () => {
    const { clock, bobs, call } = setup(2, { forking: 'parallel' });
    for (const b of bobs) b.onRequest = (inc: IncomingRequest) => inc.reply(180);
    const rec = recorder();
    const out = call(rec.delegate);
    await clock.advance(50);
    out.cancel();
    await clock.advance(100);
    assert.deepEqual(rec.rejected.map((r) => r.status), [487]);
    assert.ok(bobs.every((b) => b.incoming[0].answered));
  });

  it('Max-Forwards 0 → 483; a loop → 482; a spiral to ourselves is fine', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const alice = new UaAgent(net, 'alice', 5060, { host: '192.0.2.1' });
    const bob = new UaAgent(net, 'bob', 5060, { host: '192.0.2.21' });
    const self = { protocol: 'udp', host: '192.0.2.10', port: 5060 };
    const p = new ProxyAgent(net, '192.0.2.10', 5060, {
      domain: 'example.com',
      locate: (uri) => {
        const user = (uri as { user?: string }).user;
        if (user === 'loop') return [{ uri, sendTarget: self }]; // back to us, unchanged: a loop
        if (user === 'alias') return [{ uri: parseUri('sip:bob@example.com'), sendTarget: self }]; // back to us, retargeted: a spiral
        if (user === 'bob') return [{ uri: parseUri(bob.uri) }];
        return [];
      },
    });
    closers.push(alice, bob, p);
    bob.onRequest = (inc) => inc.reply(200);
    const send = async (to: string, maxForwards?: number) => {
      const rec = recorder();
      const req = alice.request('OPTIONS', to, { routeSet: [`<${p.uri};lr>`], maxForwards });
      alice.ua.request(req, rec.delegate);
      await clock.advance(100);
      return rec.rejected[0]?.status ?? rec.accepted[0]?.res.status;
    };
    assert.equal(await send('sip:bob@example.com', 0), 483);
    assert.equal(await send('sip:loop@example.com'), 482);
    assert.equal(await send('sip:alias@example.com'), 200);
    assert.equal(bob.incoming.length, 1);
    assert.equal(bob.incoming[0].request.vias.length, 3, 'the spiral passed the proxy twice');
  });
});
