/**
 * Acceptance (issue: Standard Edition): two baresip softphones register to
 * Parley over UDP, TCP and TLS, call each other through it, RTP flows both
 * ways, and they hang up. Also: MESSAGE through Parley, 404/480 answers, and
 * registrations and users surviving a restart; and (issue: IM and presence
 * as the original does them) a watcher sees a baresip user "In a call" while
 * the call Parley routes lasts — baresip publishes no on-the-phone activity.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Baresip, startParley, skipUnlessBinaries, optionsPing } from '../harness/index.mjs';
import { UdpUa } from '../harness/sip-ua.mjs';

const skip = skipUnlessBinaries('baresip');
let parley;
const PW = { alice: 'Wonder-Land-81', bob: 'Build-It-hj7' };

before(async () => {
  if (skip) return;
  parley = await startParley();
  parley.cli(['user', 'add', 'alice@example.com', '--name', 'Alice Smith', '--password', PW.alice]);
  parley.cli(['user', 'add', 'bob@example.com', '--name', 'Bob Jones', '--password', PW.bob]);
  parley.cli(['user', 'add', 'carol@example.com', '--password', 'Sing-Along-55']);
});
after(async () => parley?.stop());

function phone(user, transport) {
  const port = transport === 'tls' ? parley.sipsPort : parley.sipPort;
  return new Baresip({
    user,
    password: PW[user],
    domain: 'example.com',
    proxy: `127.0.0.1:${port}`,
    transport,
    caFile: transport === 'tls' ? parley.caFile : undefined,
  });
}

describe('baresip through Parley', { skip }, () => {
  for (const transport of ['udp', 'tcp', 'tls']) {
    test(`two baresip register over ${transport}, call each other, RTP flows both ways, hang up`, { timeout: 60_000 }, async () => {
      const alice = phone('alice', transport);
      const bob = phone('bob', transport);
      try {
        await Promise.all([alice.start(), bob.start()]);
        await alice.dial('sip:bob@example.com');
        await alice.waitEvent('CALL_ESTABLISHED', { timeoutMs: 15_000 });
        await bob.waitEvent('CALL_ESTABLISHED', { timeoutMs: 15_000 });
        await alice.waitEvent('CALL_RTPESTAB', { timeoutMs: 10_000 });
        await bob.waitEvent('CALL_RTPESTAB', { timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 1500));
        await bob.hangup();
        await bob.waitEvent('CALL_CLOSED', { timeoutMs: 10_000 });
        await alice.waitEvent('CALL_CLOSED', { timeoutMs: 10_000 });
        const a = await alice.callStats();
        const b = await bob.callStats();
        const msg = `alice ${JSON.stringify(a)} bob ${JSON.stringify(b)}`;
        for (const s of [a, b]) {
          assert.ok(s.txPackets >= 40, msg);
          assert.ok(s.rxPackets >= 40, msg);
        }
      } finally {
        await alice.stop();
        await bob.stop();
      }
    });
  }

  test('MESSAGE both ways through Parley; unknown user 404; a message to a user not signed in is kept (202) and delivered when she signs in', { timeout: 60_000 }, async () => {
    const alice = phone('alice', 'udp');
    const bob = phone('bob', 'tcp');
    let carol;
    try {
      await Promise.all([alice.start(), bob.start()]);
      await alice.sendMessage('sip:bob@example.com', 'hello bob');
      assert.deepEqual(await bob.waitMessage({ text: 'hello bob' }), { from: 'sip:alice@example.com', text: 'hello bob' });
      await bob.sendMessage('sip:alice@example.com', 'hello alice');
      await alice.waitMessage({ text: 'hello alice', from: 'bob' });
      await assert.rejects(alice.sendMessage('sip:nobody@example.com', 'lost'), /404/);
      // RFC 3428 §7: 202 = accepted, not delivered yet
      await alice.sendMessage('sip:carol@example.com', 'while you were away');
      carol = new Baresip({ user: 'carol', password: 'Sing-Along-55', domain: 'example.com', proxy: `127.0.0.1:${parley.sipPort}`, transport: 'udp' });
      await carol.start();
      assert.equal((await carol.waitMessage({ text: 'while you were away' })).from, 'sip:alice@example.com');
    } finally {
      await alice.stop();
      await bob.stop();
      await carol?.stop();
    }
  });

  test('a watcher (a plain UDP UA) sees bob In a call (6500, on-the-phone) while two baresip phones talk through Parley, and Available after', { timeout: 60_000 }, async () => {
    const alice = phone('alice', 'udp');
    const bob = phone('bob', 'udp');
    const carol = await new UdpUa('carol', { domain: 'example.com', password: 'Sing-Along-55', server: () => parley }).open();
    const notifyOf = (re) => (m) => m.method === 'NOTIFY' && /sip:bob@example\.com/.test(m.body) && re.test(m.body);
    try {
      await Promise.all([alice.start(), bob.start()]);
      const online = carol.wait(notifyOf(/<p:availability>3500</), { what: 'bob Available' });
      const { res } = await carol.subscribe('sip:bob@example.com', ['Accept: application/pidf+xml']);
      assert.equal(res.status, 200, res.raw);
      await online;
      const inCall = carol.wait(notifyOf(/<rpid:on-the-phone\/>/), { what: 'bob In a call', timeoutMs: 15_000 });
      await alice.dial('sip:bob@example.com');
      await bob.waitEvent('CALL_ESTABLISHED', { timeoutMs: 15_000 });
      const busy = await inCall;
      assert.match(busy.body, /<p:availability>6500</, busy.body);
      const back = carol.wait(notifyOf(/<p:availability>3500</), { what: 'bob Available again', timeoutMs: 15_000 });
      await alice.hangup();
      await alice.waitEvent('CALL_CLOSED', { timeoutMs: 10_000 });
      await bob.waitEvent('CALL_CLOSED', { timeoutMs: 10_000 });
      const available = await back;
      assert.doesNotMatch(available.body, /on-the-phone/);
    } finally {
      carol.close();
      await alice.stop();
      await bob.stop();
    }
  });

  test('after a restart, users and unexpired registrations are still there', { timeout: 90_000 }, async () => {
    const bob = phone('bob', 'udp');
    const alice = phone('alice', 'udp');
    try {
      await bob.start();
      // restart the server on the same data and ports
      const { dataDir, sipPort, sipsPort, httpsPort } = parley;
      await parley.stop({ keepData: true });
      parley = await startParley({ dataDir, sipPort, sipsPort, httpsPort });
      assert.match(parley.cli(['user', 'list']), /bob@example\.com/);
      // bob did not re-register: his binding came back from the store
      await alice.start();
      await alice.sendMessage('sip:bob@example.com', 'still there?');
      assert.equal((await bob.waitMessage({ text: 'still there?' })).text, 'still there?');
      assert.ok(await optionsPing({ port: parley.sipPort }));
    } finally {
      await alice.stop();
      await bob.stop();
    }
  });
});
