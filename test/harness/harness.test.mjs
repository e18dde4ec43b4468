// Self-tests of the interop harness, run against Kamailio (the benchmark
// anchor) with real peers from Debian: SIPp and baresip. Tests needing a
// missing binary are skipped with a reason, unless CI is set (then they fail).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import {
  freePort,
  freePorts,
  isPortFree,
  skipUnlessBinaries,
  optionsPing,
  usersCsv,
  runSipp,
  startMessageUas,
  registerUsers,
  findMaxCleanRate,
  summarize,
  startKamailio,
  renderKamailioConfig,
  skipUnlessKamailioDurable,
  Baresip,
  netstring,
  NetstringDecoder,
  parseCallStats,
  makeTestCerts,
  removeDir,
} from './index.mjs';

describe('harness units (no peers needed)', () => {
  test('freePort gives distinct ports free on UDP and TCP', async () => {
    const ports = await freePorts(5);
    assert.equal(new Set(ports).size, 5);
    for (const p of ports) {
      assert.ok(p > 0 && p < 65536);
      assert.equal(await isPortFree(p), true, `port ${p} should be free`);
    }
    // a port held on UDP only is reported busy
    const p = await freePort();
    const s = dgram.createSocket('udp4');
    await new Promise((r) => s.bind(p, '127.0.0.1', r));
    try {
      assert.equal(await isPortFree(p), false);
    } finally {
      s.close();
    }
    const t = net.createServer();
    await new Promise((r) => t.listen(p, '127.0.0.1', r));
    try {
      assert.equal(await isPortFree(p), false);
    } finally {
      t.close();
    }
  });

  test('netstring round trip, split across chunks', () => {
    const a = netstring('{"command":"dial","params":"sip:b@x","token":"1"}');
    const b = netstring('{"x":"é"}');
    assert.equal(a.toString().slice(0, 3), '49:');
    assert.equal(b.toString().slice(0, 3), '10:'); // bytes, not characters
    const dec = new NetstringDecoder();
    const all = Buffer.concat([a, b]);
    const got = [];
    for (let i = 0; i < all.length; i += 7) got.push(...dec.push(all.subarray(i, i + 7)));
    assert.deepEqual(got, ['{"command":"dial","params":"sip:b@x","token":"1"}', '{"x":"é"}']);
  });

  test('usersCsv builds SIPp injection files', () => {
    assert.equal(usersCsv({ count: 2, domain: 'd' }), 'SEQUENTIAL\nuser0;secret;d\nuser1;secret;d\n');
    assert.equal(
      usersCsv({ users: ['a', { user: 'b', password: 'p' }], password: 'q', domain: 'd', target: (i) => `t${i}` }),
      'SEQUENTIAL\na;q;d;t0\nb;p;d;t1\n',
    );
    assert.throws(() => usersCsv({ users: ['a;b'] }));
  });

  test('parseCallStats reads baresip end-of-call RTP counters', () => {
    const out =
      'x\naudio           Transmit:     Receive:\npackets:            226          225\n' +
      'avg. bitrate:     100.3         99.9  (kbit/s)\nerrors:               0            0\n';
    assert.deepEqual(parseCallStats(out), [
      { txPackets: 226, rxPackets: 225, txKbps: 100.3, rxKbps: 99.9, txErrors: 0, rxErrors: 0 },
    ]);
  });

  test('Kamailio config template renders with no token left', () => {
    const cfg = renderKamailioConfig({ port: 5555, users: { alice: 'a"b', bob: 'x' } });
    assert.doesNotMatch(cfg, /\{\{/);
    assert.match(cfg, /listen=udp:127\.0\.0\.1:5555/);
    assert.match(cfg, /\$sht\(users=>alice\) = "a\\"b";/);
    assert.throws(() => renderKamailioConfig({ port: 1, users: { 'bad name': 'x' } }));
    // the durable variant's SQLite file (read only under -A WITH_DB)
    const db = renderKamailioConfig({ port: 5555, dbFile: '/tmp/k-x/kamailio.sqlite' });
    assert.match(db, /modparam\("usrloc", "db_url", "sqlite:\/\/\/\/tmp\/k-x\/kamailio\.sqlite"\)/);
    assert.match(db, /modparam\("usrloc", "db_mode", 1\)\n[^#]*#!else\nmodparam\("usrloc", "db_mode", 0\)\n#!endif/);
    assert.throws(() => renderKamailioConfig({ port: 1, dbFile: 'relative.sqlite' }));
  });
});

describe('against Kamailio', { skip: skipUnlessBinaries('kamailio', 'sipp') }, () => {
  let k;
  before(async () => {
    k = await startKamailio({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
  });
  after(async () => {
    await k?.stop();
  });

  test('Kamailio answers OPTIONS on UDP and TCP (probe and SIPp)', { timeout: 30000 }, async () => {
    assert.equal(await optionsPing({ port: k.port, transport: 'udp' }), 200);
    assert.equal(await optionsPing({ port: k.port, transport: 'tcp' }), 200);
    const r = await runSipp({ scenario: 'options', remote: k.remote, calls: 5, rate: 50, timeoutSec: 15 });
    assert.equal(r.successful, 5, summarize(r));
    assert.equal(r.responses['200'], 5);
  });

  for (const transport of ['u1', 't1']) {
    test(`SIPp registers 100 users with digest over ${transport}`, { timeout: 60000 }, async () => {
      const r = await runSipp({
        scenario: 'register-digest',
        remote: k.remote,
        transport,
        injectCsv: usersCsv({ count: 100, start: transport === 'u1' ? 0 : 100, domain: k.realm, password: k.benchPassword }),
        calls: 100,
        rate: 200,
        timeoutSec: 30,
      });
      assert.equal(r.exitCode, 0, summarize(r));
      assert.equal(r.successful, 100, summarize(r));
      assert.equal(r.failed, 0, summarize(r));
      assert.equal(r.responses['401'], 100, summarize(r));
      assert.equal(r.responses['200'], 100, summarize(r));
    });
  }

  test('a wrong password is reported as failed calls (negative control)', { timeout: 30000 }, async () => {
    const r = await runSipp({
      scenario: 'register-digest',
      remote: k.remote,
      injectCsv: usersCsv({ count: 3, domain: k.realm, password: 'wrong' }),
      calls: 3,
      rate: 50,
      timeoutSec: 15,
    });
    assert.equal(r.successful, 0, summarize(r));
    assert.equal(r.failed, 3, summarize(r));
    assert.notEqual(r.exitCode, 0);
  });

  for (const transport of ['u1', 't1']) {
    test(`MESSAGE relayed between two SIPp endpoints over ${transport}`, { timeout: 60000 }, async () => {
      const uas = await startMessageUas({
        remote: k.remote,
        transport,
        users: ['user900'],
        password: k.benchPassword,
        domain: k.realm,
      });
      let sent, got;
      try {
        sent = await runSipp({
          scenario: 'message-uac',
          remote: k.remote,
          transport,
          injectCsv: usersCsv({ count: 20, domain: k.realm, password: k.benchPassword, target: 'user900' }),
          calls: 20,
          rate: 100,
          timeoutSec: 30,
        });
      } finally {
        got = await uas.stop();
      }
      assert.equal(sent.successful, 20, summarize(sent));
      assert.equal(sent.responses['407'], 20, summarize(sent));
      assert.equal(sent.responses['200'], 20, summarize(sent));
      assert.equal(got.received.MESSAGE, 20, `UAS: ${summarize(got)}`);
      assert.equal(got.successful, 20, `UAS: ${summarize(got)}`);
    });
  }

  test('MESSAGE to an unregistered user gets 404 (counted as failure)', { timeout: 30000 }, async () => {
    const r = await runSipp({
      scenario: 'message-uac',
      remote: k.remote,
      injectCsv: usersCsv({ count: 2, domain: k.realm, password: k.benchPassword, target: 'user999' }),
      calls: 2,
      rate: 20,
      timeoutSec: 15,
    });
    assert.equal(r.failed, 2, summarize(r));
    assert.equal(r.unexpectedCodes['404'] ?? 0, 2, summarize(r));
  });

  test('findMaxCleanRate ramps OPTIONS and reports the last clean rate', { timeout: 60000 }, async () => {
    const seen = [];
    const res = await findMaxCleanRate({
      rates: [50, 100],
      durationSec: 1,
      sipp: { scenario: 'options', remote: k.remote, transport: 'u1' },
      onRun: (e) => seen.push(`${e.rate}:${e.reason}`),
    });
    assert.equal(res.maxCleanRate, 100, seen.join(' '));
    assert.equal(res.runs.length, 2);
    // a rate judged unclean stops the ramp: make every run fail by a bogus target
    const bad = await findMaxCleanRate({
      rates: [20, 40],
      durationSec: 1,
      sipp: { scenario: 'message-uac', remote: k.remote, injectCsv: usersCsv({ count: 40, target: 'user998', domain: k.realm }) },
    });
    assert.equal(bad.maxCleanRate, 0);
    assert.equal(bad.runs.length, 1);
    assert.match(bad.runs[0].reason, /failed/);
  });

  describe('baresip', { skip: skipUnlessBinaries('baresip') }, () => {
    for (const transport of ['udp', 'tcp']) {
      test(`two baresip register, call each other over ${transport}, RTP flows both ways, hang up`, { timeout: 60000 }, async () => {
        const common = { domain: k.realm, proxy: k.remote, transport };
        const alice = new Baresip({ user: 'alice', password: 'alice-pw', ...common });
        const bob = new Baresip({ user: 'bob', password: 'bob-pw', ...common });
        try {
          await Promise.all([alice.start(), bob.start()]);
          await alice.dial(`sip:bob@${k.realm}`);
          // (with answermode=auto, baresip 1.0.0 emits no CALL_INCOMING)
          await alice.waitEvent('CALL_ESTABLISHED', { timeoutMs: 10000 });
          await bob.waitEvent('CALL_ESTABLISHED', { timeoutMs: 10000 });
          // "incoming rtp established" on each side: packets arrived from the peer
          await alice.waitEvent('CALL_RTPESTAB', { timeoutMs: 10000 });
          await bob.waitEvent('CALL_RTPESTAB', { timeoutMs: 10000 });
          await new Promise((r) => setTimeout(r, 1500)); // ~75 packets at 20 ms ptime
          await alice.hangup();
          await alice.waitEvent('CALL_CLOSED', { timeoutMs: 10000 });
          await bob.waitEvent('CALL_CLOSED', { timeoutMs: 10000 });
          const a = await alice.callStats();
          const b = await bob.callStats();
          const msg = `alice ${JSON.stringify(a)} bob ${JSON.stringify(b)}`;
          for (const s of [a, b]) {
            assert.ok(s.txPackets >= 40, msg);
            assert.ok(s.rxPackets >= 40, msg);
            assert.equal(s.rxErrors, 0, msg);
          }
          // what one side sent, the other received (loopback: no loss), give or take
          // the packets in flight around the BYE
          const near = (x, y) => Math.abs(x - y) <= Math.max(10, 0.1 * Math.max(x, y));
          assert.ok(near(a.txPackets, b.rxPackets), msg);
          assert.ok(near(b.txPackets, a.rxPackets), msg);
        } finally {
          await alice.stop();
          await bob.stop();
        }
      });
    }

    test('baresip MESSAGE both ways through Kamailio, and a 404 is reported', { timeout: 60000 }, async () => {
      const common = { domain: k.realm, proxy: k.remote };
      const alice = new Baresip({ user: 'alice', password: 'alice-pw', ...common });
      const bob = new Baresip({ user: 'bob', password: 'bob-pw', ...common });
      try {
        await Promise.all([alice.start(), bob.start()]);
        await alice.sendMessage(`sip:bob@${k.realm}`, 'hello bob');
        assert.deepEqual(await bob.waitMessage({ text: 'hello bob' }), { from: `sip:alice@${k.realm}`, text: 'hello bob' });
        await bob.sendMessage(`sip:alice@${k.realm}`, 'hello alice');
        await alice.waitMessage({ text: 'hello alice', from: 'bob' });
        await assert.rejects(alice.sendMessage(`sip:nobody@${k.realm}`, 'lost'), /404/);
      } finally {
        await alice.stop();
        await bob.stop();
      }
    });

    test('baresip with a wrong password fails start() fast', { timeout: 30000 }, async () => {
      const eve = new Baresip({ user: 'alice', password: 'nope', domain: k.realm, proxy: k.remote });
      await assert.rejects(eve.start(), /registration failed: 401/);
      assert.equal(eve.dir, null, 'config dir removed');
    });
  });
});

describe('against Kamailio with durable registrations (SQLite)', { skip: skipUnlessKamailioDurable() || skipUnlessBinaries('sipp') }, () => {
  let k;
  before(async () => {
    k = await startKamailio({ durable: true, benchUserCount: 300, users: { alice: 'alice-pw' } });
  });
  after(async () => {
    await k?.stop();
  });

  test('a REGISTER lands in the SQLite location table (UDP and TCP), credentials come from subscriber', { timeout: 60000 }, async () => {
    assert.equal(k.durable, true);
    assert.deepEqual(await k.locationRows(), []);
    for (const [transport, start] of [['u1', 0], ['t1', 100]]) {
      const r = await runSipp({
        scenario: 'register-digest',
        remote: k.remote,
        transport,
        injectCsv: usersCsv({ count: 10, start, domain: k.realm, password: k.benchPassword }),
        calls: 10,
        rate: 50,
        timeoutSec: 30,
      });
      assert.equal(r.successful, 10, summarize(r));
      assert.equal(r.responses['200'], 10, summarize(r));
    }
    // write-through: the rows are there as soon as the 200s are
    const rows = await k.locationRows();
    const names = rows.map((x) => x.username).sort();
    const want = [...Array(10).keys()].flatMap((i) => [`user${i}`, `user${100 + i}`]).sort();
    assert.deepEqual(names, want);
    assert.ok(rows.every((x) => /^sip:user\d+@127\.0\.0\.1:\d+/.test(x.contact)), JSON.stringify(rows[0]));
    assert.ok(rows.some((x) => /transport=TCP/i.test(x.contact)), 'a TCP contact');

    // a wrong password (subscriber's HA1 does not match) and a user not in subscriber: no 200, no row
    const bad = await runSipp({
      scenario: 'register-digest',
      remote: k.remote,
      injectCsv: usersCsv({ users: ['user200', 'nosuchuser'], domain: k.realm, password: 'wrong' }),
      calls: 2,
      rate: 20,
      timeoutSec: 15,
    });
    assert.equal(bad.successful, 0, summarize(bad));
    assert.equal(bad.unexpectedCodes['403'] ?? 0, 1, summarize(bad)); // nosuchuser
    assert.equal((await k.locationRows()).length, 20);
  });

  test('MESSAGE relayed to a SIPp UAS registered in the durable location', { timeout: 60000 }, async () => {
    const uas = await startMessageUas({ remote: k.remote, transport: 'u1', users: ['user250'], password: k.benchPassword, domain: k.realm });
    let sent, got;
    try {
      assert.ok((await k.locationRows()).some((x) => x.username === 'user250'));
      sent = await runSipp({
        scenario: 'message-uac',
        remote: k.remote,
        injectCsv: usersCsv({ count: 5, start: 20, domain: k.realm, password: k.benchPassword, target: 'user250' }),
        calls: 5,
        rate: 50,
        timeoutSec: 30,
      });
    } finally {
      got = await uas.stop();
    }
    assert.equal(sent.successful, 5, summarize(sent));
    assert.equal(sent.responses['407'], 5, summarize(sent));
    assert.equal(got.received.MESSAGE, 5, `UAS: ${summarize(got)}`);
  });
});

// A few lines of TLS registrar: answers every REGISTER with 200. Enough to
// prove baresip's TLS transport settings (Kamailio's tls.so is not installed).
async function startTlsRegistrarStub(certs) {
  const port = await freePort({ udp: false });
  const seen = { registers: 0, handshakes: 0 };
  const srv = tls.createServer({ key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFile) }, (c) => {
    seen.handshakes++;
    let buf = '';
    c.on('error', () => {});
    c.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i; (i = buf.indexOf('\r\n\r\n')) >= 0; ) {
        const head = buf.slice(0, i);
        const len = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        if (buf.length < i + 4 + len) break;
        buf = buf.slice(i + 4 + len);
        if (!/^REGISTER /.test(head)) continue;
        seen.registers++;
        const h = (n) => head.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${n.toLowerCase()}:`));
        c.write(
          ['SIP/2.0 200 OK', ...h('Via'), ...h('From'), `${h('To')[0]};tag=stub`, ...h('Call-ID'), ...h('CSeq'),
            ...h('Contact').map((l) => `${l};expires=600`), 'Content-Length: 0', '', ''].join('\r\n'),
        );
      }
    });
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return { port, seen, close: () => new Promise((r) => srv.close(() => r())) };
}

describe('baresip over TLS', { skip: skipUnlessBinaries('baresip', 'openssl') }, () => {
  test('baresip registers over TLS with sip_cafile (stub registrar)', { timeout: 30000 }, async (t) => {
    const certs = makeTestCerts({ names: ['parley.test'] });
    const other = makeTestCerts({ names: ['parley.test'] });
    const stub = await startTlsRegistrarStub(certs);
    const mk = (caFile) =>
      new Baresip({ user: 'alice', password: 'x', domain: 'parley.test', proxy: `127.0.0.1:${stub.port}`, transport: 'tls', caFile, startTimeoutMs: 5000 });
    try {
      const ok = mk(certs.caFile);
      try {
        await ok.start();
        assert.ok(stub.seen.registers >= 1 && stub.seen.handshakes >= 1, JSON.stringify(stub.seen));
      } finally {
        await ok.stop();
      }
      // baresip 1.0.0 does not verify the server certificate: a wrong CA still registers.
      const wrong = mk(other.caFile);
      try {
        await wrong.start();
        t.diagnostic('baresip 1.0.0 registered over TLS despite a wrong sip_cafile (no server verification)');
      } catch (err) {
        t.diagnostic(`baresip rejected a server certificate from a foreign CA: ${err.message.split('\n')[0]}`);
      } finally {
        await wrong.stop();
      }
    } finally {
      await stub.close();
      removeDir(certs.dir);
      removeDir(other.dir);
    }
  });
});
