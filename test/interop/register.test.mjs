/**
 * Acceptance (issue: Standard Edition): SIPp registers 1,000 users with
 * digest over UDP and over TCP — every one gets 200; OPTIONS is answered; an
 * unknown user and a wrong password look the same.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startParley, importUsers, registerUsers, summarize, skipUnlessBinaries } from '../harness/index.mjs';

const skip = skipUnlessBinaries('sipp');
let parley;

before(async () => {
  if (skip) return;
  parley = await startParley({ logLevel: 'info' });
  importUsers(parley.dataDir, { count: 1000, password: 'Test-Password-42' });
});
after(async () => {
  if (parley) await parley.stop();
});

for (const [name, transport] of [['UDP', 'u1'], ['TCP', 'tn']]) {
  test(`SIPp registers 1,000 users with digest over ${name}: every one gets 200`, { skip, timeout: 120_000 }, async () => {
    const r = await registerUsers({
      remote: `127.0.0.1:${parley.sipPort}`,
      transport,
      count: 1000,
      password: 'Test-Password-42',
      domain: 'example.com',
      rate: 200,
      timeoutSec: 60,
    });
    assert.equal(r.successful, 1000, summarize(r));
    assert.equal(r.failed, 0, summarize(r));
    assert.equal(r.responses['200'], 1000, summarize(r));
  });
}

test('a wrong password and an unknown user get the same answer', { skip, timeout: 60_000 }, async () => {
  const wrong = await registerUsers({ remote: `127.0.0.1:${parley.sipPort}`, users: ['user1'], password: 'Not-The-Password-1', domain: 'example.com', strict: false, timeoutSec: 10 });
  const unknown = await registerUsers({ remote: `127.0.0.1:${parley.sipPort}`, users: ['nosuchuser'], password: 'Not-The-Password-1', domain: 'example.com', strict: false, timeoutSec: 10 });
  assert.equal(wrong.successful, 0);
  assert.equal(unknown.successful, 0);
  assert.deepEqual(Object.keys(wrong.responses).sort(), Object.keys(unknown.responses).sort(), `${summarize(wrong)} vs ${summarize(unknown)}`);
  // both were challenged (not, say, both refused with a 500)
  assert.ok((wrong.responses['401'] ?? 0) >= 1 && (unknown.responses['401'] ?? 0) >= 1, `${summarize(wrong)} vs ${summarize(unknown)}`);
});

test('SIGTERM: the server drains and exits 0, and its registrations come back on restart', { skip, timeout: 60_000 }, async () => {
  const t0 = Date.now();
  const { dataDir, sipPort, sipsPort, httpsPort } = parley;
  const exit = await parley.stop({ keepData: true });
  assert.equal(exit.code, 0, JSON.stringify(exit));
  assert.ok(Date.now() - t0 < 8000, `stop took ${Date.now() - t0} ms`);
  assert.ok(parley.lines.some((l) => l.includes('parley stopped')), parley.lines.slice(-5).join('\n'));
  parley = await startParley({ dataDir, sipPort, sipsPort, httpsPort, logLevel: 'info' });
  const started = parley.lines.find((l) => l.includes('parley started'));
  assert.ok(started, parley.lines.join('\n'));
  // 1,000 users registered over UDP and TCP (same AORs, other contacts): 2,000 bindings
  assert.equal(JSON.parse(started).restoredRegistrations, 2000, started);
});
