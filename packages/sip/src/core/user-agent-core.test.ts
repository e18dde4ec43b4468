import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DialogState } from '../dialog/dialog-state.js';
import type { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { MemoryNetwork, type WireConditions } from '../transaction/test-support/memory-network.js';
import { VirtualClock } from '../transaction/virtual-clock.js';
import type { IncomingRequest } from './incoming-request.js';
import type { OutgoingRequestDelegate } from './outgoing-request.js';
import { UaAgent, type UaAgentOptions } from './test-support/ua-agent.js';

/** Records what an outgoing request reported. */
function recorder() {
  const r = {
    progress: [] as number[],
    accepted: [] as Array<{ res: SipResponse; dialog: Dialog | undefined }>,
    rejected: [] as SipResponse[],
    retries: [] as SipRequest[],
    delegate: {} as OutgoingRequestDelegate,
  };
  r.delegate = {
    onProgress: (res) => r.progress.push(res.status),
    onAccept: (res, dialog) => r.accepted.push({ res, dialog }),
    onReject: (res) => r.rejected.push(res),
    onAuthRetry: (req) => r.retries.push(req),
  };
  return r;
}

describe('UserAgentCore scenarios', () => {
  let agents: UaAgent[] = [];
  afterEach(() => {
    const errors = agents.flatMap((c) => (c as { errors?: unknown[] }).errors ?? []);
    for (const c of agents) c.close();
    agents = [];
    assert.deepEqual(errors, [], 'no agent reported an error');
  });
  function setup(conditions: WireConditions = {}, alice: UaAgentOptions = {}, bob: UaAgentOptions = {}, seed = 1) {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock, conditions, seed);
    const a = new UaAgent(net, 'alice', 5060, alice);
    const b = new UaAgent(net, 'bob', 5070, bob);
    agents.push(a, b);
    return { clock, net, alice: a, bob: b };
  }

  it('Alice calls Bob: 180, 200, ACK; BYE ends both dialogs', async () => {
    const { clock, net, alice, bob } = setup();
    const acks: SipRequest[] = [];
    bob.onRequest = (inc) => {
      if (inc.request.method === 'INVITE') {
        inc.delegate = { onAck: (ack) => acks.push(ack) };
        inc.reply(180);
        clock.setTimeout(() => inc.reply(200, { body: 'v=0\r\n', contentType: 'application/sdp' }), 1000);
      } else inc.reply(200);
    };
    const rec = recorder();
    alice.ua.request(alice.request('INVITE', bob), rec.delegate);
    await clock.advance(2000);
    assert.deepEqual(rec.progress, [180]);
    assert.equal(rec.accepted.length, 1);
    const aliceDialog = rec.accepted[0].dialog!;
    assert.equal(aliceDialog.state, DialogState.Confirmed);
    assert.equal(acks.length, 1, 'the ACK reached Bob');
    const bobDialog = bob.incoming[0].dialog!;
    assert.equal(bobDialog.state, DialogState.Confirmed);
    assert.equal(bobDialog.remoteTarget.toString(), 'sip:alice@alice:5060');
    assert.equal(net.lines().filter((l) => l.includes('200 OK')).length, 1, 'no 2xx retransmission once ACKed');

    const bye = recorder();
    alice.ua.requestInDialog(aliceDialog, 'BYE', bye.delegate);
    await clock.advance(100);
    assert.equal(bye.accepted.length, 1);
    assert.equal(bobDialog.state, DialogState.Terminated, 'a 2xx to BYE ends the UAS dialog');
    assert.equal(bob.ua.dialogs.size, 0);
    aliceDialog.terminate();
    assert.equal(alice.ua.dialogs.size, 0);
  });

  it('INVITE over UDP with 50% loss completes', async () => {
    const { clock, alice, bob } = setup({ loss: 0.5, delay: [1, 20] }, {}, {}, 42);
    let acked = 0;
    bob.onRequest = (inc) => {
      if (inc.request.method === 'INVITE') {
        inc.delegate = { onAck: () => acked++ };
        inc.reply(180);
        clock.setTimeout(() => inc.reply(200), 300);
      } else inc.reply(200);
    };
    const rec = recorder();
    alice.ua.request(alice.request('INVITE', bob), rec.delegate);
    assert.ok(await clock.until(() => acked === 1, 40_000));
    assert.equal(rec.accepted.length, 1, 'one onAccept despite 2xx retransmissions');
    assert.equal(bob.incoming.length, 1, 'one INVITE reached the application');
    const bye = recorder();
    alice.ua.requestInDialog(rec.accepted[0].dialog!, 'BYE', bye.delegate);
    assert.ok(await clock.until(() => bye.accepted.length === 1, 40_000));
    assert.equal(bob.incoming[1].request.method, 'BYE');
  });

  it('2xx retransmitted until ACK (RFC 6026 Accepted), each one re-ACKed', async () => {
    const { clock, net, alice, bob } = setup();
    let dropped = 0;
    net.filter = (m) => !(m.startLine().startsWith('ACK') && dropped++ < 3);
    let acked = 0;
    bob.onRequest = (inc) => {
      inc.delegate = { onAck: () => acked++ };
      inc.reply(200);
    };
    const rec = recorder();
    alice.ua.request(alice.request('INVITE', bob), rec.delegate);
    await clock.advance(10_000);
    const oks = net.trace.filter((e) => e.line.includes('200 OK')).map((e) => e.at);
    assert.deepEqual(oks, [0, 500, 1500, 3500], 'T1, 2*T1, 4*T1 until the fourth ACK got through');
    assert.equal(net.trace.filter((e) => e.line.startsWith('ACK')).length, 4);
    assert.equal(acked, 1);
    assert.equal(rec.accepted.length, 1);
    assert.equal(alice.ua.stats.twoXxReAcked, 3);
    const acks = net.trace.filter((e) => e.line.startsWith('ACK'));
    assert.ok(acks.every((e) => e.line === acks[0].line));
  });

  it('no ACK within 64*T1: the UAS is told to end the session', async () => {
    const { clock, net, alice, bob } = setup();
    net.filter = (m) => !m.startLine().startsWith('ACK');
    let timeouts = 0;
    bob.onRequest = (inc) => {
      inc.delegate = { onAckTimeout: () => timeouts++ };
      inc.reply(200);
    };
    alice.ua.request(alice.request('INVITE', bob), recorder().delegate);
    await clock.advance(31_999);
    assert.equal(timeouts, 0);
    await clock.advance(1);
    assert.equal(timeouts, 1);
    const oks = net.trace.filter((e) => e.line.includes('200 OK')).map((e) => e.at);
    assert.deepEqual(oks, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  });

  it('Bob accepts, Alice cancels: 200 wins, and Alice ends the call with BYE', async () => {
    const { clock, alice, bob } = setup({ delay: 5 });
    let cancelled = 0;
    bob.onRequest = (inc) => {
      if (inc.request.method !== 'INVITE') return void inc.reply(200);
      inc.delegate = { onCancel: () => cancelled++ };
      inc.reply(180);
      clock.setTimeout(() => inc.reply(200), 3);
    };
    const rec = recorder();
    const out = alice.ua.request(alice.request('INVITE', bob), {
      ...rec.delegate,
      onProgress: () => out.cancel(), // cancel as soon as it rings; Bob's 200 is already on its way
      onAccept: (res, dialog) => {
        rec.accepted.push({ res, dialog });
        alice.ua.requestInDialog(dialog!, 'BYE', {});
      },
    });
    await clock.advance(200);
    assert.equal(rec.accepted.length, 1);
    assert.equal(cancelled, 0);
    assert.equal(rec.rejected.length, 0);
    assert.deepEqual(
      bob.incoming.map((i) => i.request.method),
      ['INVITE', 'BYE'],
    );
    assert.equal(bob.ua.dialogs.size, 0);
  });

  it('CANCEL: the UAS core answers 487 and ends the early dialog', async () => {
    const { clock, alice, bob } = setup();
    const cancels: SipRequest[] = [];
    bob.onRequest = (inc) => {
      inc.delegate = { onCancel: (c) => cancels.push(c) };
      inc.reply(180);
    };
    const rec = recorder();
    const out = alice.ua.request(alice.request('INVITE', bob), rec.delegate);
    await clock.advance(10);
    const early = out.dialogs[0];
    assert.equal(early.state, DialogState.Early);
    out.cancel('SIP;cause=487;text="user hung up"');
    await clock.advance(10);
    assert.equal(cancels.length, 1);
    assert.equal(cancels[0].get('reason'), 'SIP;cause=487;text="user hung up"');
    assert.deepEqual(rec.rejected.map((r) => r.status), [487]);
    assert.equal(early.state, DialogState.Terminated);
    assert.equal(bob.incoming[0].dialog!.state, DialogState.Terminated);
    assert.equal(bob.ua.dialogs.size + alice.ua.dialogs.size, 0);
    assert.throws(() => bob.incoming[0].reply(200));
  });

  it('CSeq lower in dialog → 500; unknown dialog → 481', async () => {
    const { clock, alice, bob } = setup();
    bob.onRequest = (inc) => inc.reply(200);
    const call = recorder();
    alice.ua.request(alice.request('INVITE', bob), call.delegate);
    await clock.advance(10);
    const dialog = call.accepted[0].dialog!;
    const info = recorder();
    alice.ua.requestInDialog(dialog, 'INFO', info.delegate);
    await clock.advance(10);
    assert.equal(info.accepted.length, 1);
    const old = dialog.createRequest('INFO');
    old.set('CSeq', `${dialog.localSeq! - 2} INFO`); // 1: below the INFO Bob saw (2)
    const stale = recorder();
    alice.ua.request(old, stale.delegate, { dialog });
    await clock.advance(10);
    assert.deepEqual(stale.rejected.map((r) => r.status), [500]);
    assert.equal(dialog.state, DialogState.Confirmed, 'a 500 does not end the dialog');

    const stranger = alice.request('BYE', bob);
    stranger.set('To', `<${bob.uri}>;tag=nosuchtag`);
    const lost = recorder();
    alice.ua.request(stranger, lost.delegate);
    await clock.advance(10);
    assert.deepEqual(lost.rejected.map((r) => r.status), [481]);
    assert.equal(bob.ua.stats.noDialog481, 1);
  });

  it('UAC retries with credentials after 407', async () => {
    const asked: SipResponse[] = [];
    const { clock, alice, bob } = setup({}, {
      credentials: (challenge) => {
        asked.push(challenge);
        return challenge.status === 407 ? 'Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob", response="00"' : undefined;
      },
    });
    bob.onRequest = (inc) => {
      if (inc.request.has('proxy-authorization')) inc.reply(200);
      else inc.reply(407, { headers: [['Proxy-Authenticate', 'Digest realm="example.com", nonce="n1", algorithm=SHA-256']] });
    };
    const rec = recorder();
    const req = alice.request('MESSAGE', bob, { body: 'hi', contentType: 'text/plain' });
    const out = alice.ua.request(req, rec.delegate);
    await clock.advance(20);
    assert.equal(asked.length, 1);
    assert.equal(rec.retries.length, 1);
    assert.equal(rec.accepted.length, 1);
    const [first, second] = bob.incoming.map((i) => i.request);
    assert.equal(second.cseq.seq, first.cseq.seq + 1, '§22.2: CSeq incremented');
    assert.equal(second.callId, first.callId);
    assert.equal(second.from.tag, first.from.tag);
    assert.notEqual(second.topVia.branch, first.topVia.branch);
    assert.equal(second.vias.length, 1);
    assert.equal(second.bodyText, 'hi');
    assert.equal(out.request, rec.retries[0]);
  });

  it('a second challenge after the retry limit reaches onReject', async () => {
    const { clock, alice, bob } = setup({}, { credentials: () => 'Digest username="alice"' });
    bob.onRequest = (inc) => inc.reply(401, { headers: [['WWW-Authenticate', 'Digest realm="x", nonce="n"']] });
    const rec = recorder();
    alice.ua.request(alice.request('OPTIONS', bob), rec.delegate);
    await clock.advance(50);
    assert.equal(rec.retries.length, 2);
    assert.deepEqual(rec.rejected.map((r) => r.status), [401]);
    assert.equal(bob.incoming.length, 3);
  });

  it('timeouts and transport errors are reported as 408 and 503 (§8.1.3.1)', async () => {
    const { clock, alice, bob } = setup({}, {}, {});
    bob.onRequest = () => {}; // never answers a MESSAGE
    const rec = recorder();
    alice.ua.request(alice.request('MESSAGE', bob, { body: 'x', contentType: 'text/plain' }), rec.delegate);
    await clock.advance(32_000);
    assert.deepEqual(rec.rejected.map((r) => r.status), [408]);
    const tcpAlice = new UaAgent(alice.endpoint.network, 'carol', 5080, { protocol: 'tcp' });
    agents.push(tcpAlice);
    const rec2 = recorder();
    tcpAlice.ua.request(tcpAlice.request('OPTIONS', 'sip:nobody@nowhere:5999;transport=tcp'), rec2.delegate);
    await clock.advance(10);
    assert.deepEqual(rec2.rejected.map((r) => r.status), [503]);
  });

  it('§8.2 checks reach the wire: 405 with Allow, 420 with Unsupported, 415 with Accept, 416', async () => {
    const policy = { allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE'], supportedExtensions: ['timer'], acceptTypes: ['text/plain'] };
    const { clock, alice, bob } = setup({}, {}, { policy });
    const send = async (req: SipRequest) => {
      const rec = recorder();
      alice.ua.request(req, rec.delegate, { target: { protocol: 'udp', host: 'bob', port: 5070 } });
      await clock.advance(10);
      return rec.rejected[0];
    };
    const r405 = await send(alice.request('SUBSCRIBE', bob, { headers: [['Event', 'presence']] }));
    assert.equal(r405.status, 405);
    assert.match(r405.get('allow')!, /MESSAGE/);
    assert.equal((await send(alice.request('FOO', bob))).status, 501);
    const r420 = await send(alice.request('OPTIONS', bob, { headers: [['Require', 'timer, 100rel, foo']] }));
    assert.equal(r420.status, 420);
    assert.equal(r420.get('unsupported'), '100rel, foo');
    const r415 = await send(alice.request('MESSAGE', bob, { body: '{}', contentType: 'application/json' }));
    assert.equal(r415.status, 415);
    assert.equal(r415.get('accept'), 'text/plain');
    assert.equal((await send(alice.request('OPTIONS', 'mailto:bob@example.com'))).status, 416);
    assert.equal(bob.incoming.length, 0);
  });

  it('merged request (a fork that came back by another path) → 482 (§8.2.2.2)', async () => {
    const { clock, alice, bob } = setup();
    bob.onRequest = (inc) => inc.reply(180);
    const first = alice.request('INVITE', bob);
    const second = alice.request('INVITE', bob, { callId: first.callId, from: first.get('from')! });
    const r1 = recorder();
    const r2 = recorder();
    alice.ua.request(first, r1.delegate);
    alice.ua.request(second, r2.delegate);
    await clock.advance(10);
    assert.deepEqual(r2.rejected.map((r) => r.status), [482]);
    assert.deepEqual(r1.progress.filter((s) => s > 100), [180]);
  });

  it('a NOTIFY before the 2xx to SUBSCRIBE creates the dialog (RFC 6665 §4.1.2.4)', async () => {
    const { clock, alice, bob } = setup({ delay: 2 });
    bob.onRequest = (inc: IncomingRequest) => {
      if (inc.request.method !== 'SUBSCRIBE') return void inc.reply(200);
      // The notifier sends its NOTIFY first; the 202 follows 50 ms later.
      clock.setTimeout(() => inc.reply(202, { headers: [['Expires', 600]] }), 50);
      const req = inc.request;
      const notify = bob.ua.createRequest({
        method: 'NOTIFY',
        requestUri: req.contacts[0] === '*' ? req.uri : req.contacts[0].uri,
        from: `${req.get('to')};tag=${inc.transaction.toTag}`,
        to: req.get('from')!,
        callId: req.callId,
        headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=600']],
      });
      notify.set('To', req.get('from')!); // keep the subscriber's tag
      bob.ua.request(notify, {});
    };
    const rec = recorder();
    const out = alice.ua.request(alice.request('SUBSCRIBE', bob, { headers: [['Event', 'presence'], ['Expires', 600]] }), rec.delegate);
    await clock.advance(20);
    assert.equal(alice.incoming.length, 1, 'the NOTIFY was taken, not 481');
    assert.equal(alice.incoming[0].dialog?.state, DialogState.Confirmed);
    await clock.advance(100);
    assert.equal(rec.accepted.length, 1);
    assert.equal(rec.accepted[0].dialog, alice.incoming[0].dialog, 'the 202 lands in the dialog the NOTIFY made');
    assert.equal(out.dialogs.length, 1);
  });
});
