import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '@parley/sip/transaction';
import { CallTracker, DialogState, ENDED_LINGER_MS, sessionIntervalMs } from './calls.js';
import { CallTrackerError } from './errors.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const HOUR = 3600_000;

function setup(o: { idleLimitMs?: number; maxDialogs?: number } = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const calls = new CallTracker({ clock, ...o });
  const changes: Array<[string, number]> = [];
  calls.onChange((aor, n) => changes.push([aor, n]));
  return { clock, calls, changes };
}

test('a 2xx confirms the dialog: both local parties are in a call; a BYE ends it for both', () => {
  const { calls, changes } = setup();
  const a = calls.invite('c1', 'ta', [ALICE, BOB]);
  a.early('tb');
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), DialogState.Early);
  assert.equal(calls.callsOf(BOB), 0, 'ringing is not a call');
  a.confirm('tb');
  a.over();
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), DialogState.Confirmed);
  assert.equal(calls.callsOf(ALICE), 1);
  assert.equal(calls.callsOf(BOB), 1);
  assert.deepEqual(changes, [
    [ALICE, 1],
    [BOB, 1],
  ]);
  calls.request('c1', 'ta', 'tb', 'ACK');
  calls.request('c1', 'ta', 'tb', 'INFO');
  assert.equal(calls.callsOf(BOB), 1);
  // The callee hangs up: its BYE carries the tags the other way round (§12.2.1.1).
  calls.request('c1', 'tb', 'ta', 'BYE');
  calls.response('c1', 'tb', 'ta', 'BYE', 200); // its 200 finds it ended already
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), DialogState.Ended);
  assert.equal(calls.endReasonOf('c1', 'ta', 'tb'), 'bye');
  assert.equal(calls.callsOf(ALICE), 0);
  assert.equal(calls.callsOf(BOB), 0);
  assert.equal(calls.busyUsers, 0);
  assert.deepEqual(changes.slice(2), [
    [ALICE, 0],
    [BOB, 0],
  ]);
});

test('a CANCELled INVITE and a refused one never count', () => {
  const { calls, changes } = setup();
  const cancelled = calls.invite('c1', 'ta', [ALICE, BOB]);
  cancelled.early('tb');
  cancelled.over(); // 487 went upstream, every branch over
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), DialogState.Ended);
  assert.equal(calls.endReasonOf('c1', 'ta', 'tb'), 'invite-failed');
  const refused = calls.invite('c2', 'ta2', [ALICE, BOB]);
  refused.over(); // 486 Busy Here without a provisional
  assert.equal(calls.stateOf('c2', 'ta2', 'tb'), undefined);
  assert.equal(calls.callsOf(ALICE) + calls.callsOf(BOB), 0);
  assert.deepEqual(changes, []);
});

test('a forked INVITE: only the branch whose 2xx is forwarded counts; the other early dialog ends with the INVITE', () => {
  const { calls } = setup();
  const a = calls.invite('c1', 'ta', [ALICE, BOB]);
  a.early('desk');
  a.early('mobile');
  a.confirm('mobile');
  a.over(); // the desk phone's 487 after the proxy CANCELled it
  assert.equal(calls.stateOf('c1', 'ta', 'mobile'), DialogState.Confirmed);
  assert.equal(calls.stateOf('c1', 'ta', 'desk'), DialogState.Ended);
  assert.equal(calls.callsOf(BOB), 1);
  assert.equal(calls.callsOf(ALICE), 1);
});

test('a 2xx retransmission and a re-INVITE count nothing again; a late 2xx cannot bring an ended dialog back', () => {
  const { calls } = setup();
  const a = calls.invite('c1', 'ta', [ALICE, BOB]);
  a.confirm('tb');
  a.confirm('tb'); // retransmitted 2xx, forwarded again (§16.7 step 5)
  calls.request('c1', 'ta', 'tb', 'INVITE'); // re-INVITE (hold)
  calls.response('c1', 'ta', 'tb', 'INVITE', 200);
  calls.request('c1', 'tb', 'ta', 'INVITE'); // re-INVITE from the callee
  calls.response('c1', 'tb', 'ta', 'INVITE', 491); // glare: nothing changes
  assert.equal(calls.callsOf(BOB), 1);
  assert.equal(calls.callsOf(ALICE), 1);
  calls.request('c1', 'ta', 'tb', 'BYE');
  assert.throws(() => a.confirm('tb'), (e: unknown) => e instanceof CallTrackerError && e.code === 'illegal-transition');
  assert.equal(calls.callsOf(BOB), 0);
});

test('481 or 408 to any in-dialog request ends the dialog (§12.2.1.2); other failures do not', () => {
  const { calls } = setup();
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb');
  calls.invite('c2', 'tc', [ALICE, CAROL]).confirm('td');
  calls.response('c1', 'ta', 'tb', 'INFO', 415);
  calls.response('c1', 'ta', 'tb', 'INVITE', 488);
  assert.equal(calls.callsOf(BOB), 1);
  calls.response('c1', 'ta', 'tb', 'INVITE', 481);
  assert.equal(calls.endReasonOf('c1', 'ta', 'tb'), 'no-dialog');
  assert.equal(calls.callsOf(BOB), 0);
  assert.equal(calls.callsOf(ALICE), 1, 'her call with carol goes on');
  calls.response('c2', 'td', 'tc', 'UPDATE', 408);
  assert.equal(calls.endReasonOf('c2', 'tc', 'td'), 'timeout');
  assert.equal(calls.callsOf(ALICE), 0);
  assert.equal(calls.callsOf(CAROL), 0);
});

test('the BYE itself ends the call, whatever comes back (§15.1.1): a BYE answered 408 or challenged counts once', () => {
  const { calls, changes } = setup();
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb');
  calls.request('c1', 'ta', 'tb', 'BYE'); // bob's phone has vanished: this BYE will time out
  assert.equal(calls.callsOf(BOB), 0);
  calls.response('c1', 'ta', 'tb', 'BYE', 408);
  calls.request('c1', 'ta', 'tb', 'BYE'); // sent again with credentials after a 401
  assert.deepEqual(
    changes.filter(([, n]) => n === 0),
    [
      [ALICE, 0],
      [BOB, 0],
    ],
  );
  // A BYE of an early dialog (§15: the caller may send one) ends it without counting.
  const ringing = calls.invite('c2', 'tc', [ALICE, BOB]);
  ringing.early('td');
  calls.request('c2', 'tc', 'td', 'BYE');
  assert.equal(calls.endReasonOf('c2', 'tc', 'td'), 'bye');
  // Requests of dialogs it does not know (a presence subscription, another proxy's call) change nothing.
  calls.response('zz', 'x', 'y', 'NOTIFY', 481);
  calls.request('zz', 'x', 'y', 'BYE');
  assert.equal(changes.length, 4);
});

test('two calls at once: 2, then 1, then 0', () => {
  const { calls, changes } = setup();
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb');
  calls.invite('c2', 'tc', [CAROL, BOB]).confirm('td');
  assert.equal(calls.callsOf(BOB), 2);
  calls.request('c1', 'ta', 'tb', 'BYE');
  assert.equal(calls.callsOf(BOB), 1);
  calls.request('c2', 'td', 'tc', 'BYE');
  assert.equal(calls.callsOf(BOB), 0);
  assert.deepEqual(
    changes.filter(([aor]) => aor === BOB).map(([, n]) => n),
    [1, 2, 1, 0],
  );
});

test('a user calling themself (another of their devices) is in one call', () => {
  const { calls } = setup();
  calls.invite('c1', 'ta', [ALICE, ALICE]).confirm('tb');
  assert.equal(calls.callsOf(ALICE), 1);
  calls.request('c1', 'tb', 'ta', 'BYE');
  assert.equal(calls.callsOf(ALICE), 0);
});

test('safety bound: a dialog without in-dialog traffic ends after the idle limit; traffic moves it', async () => {
  const { clock, calls } = setup({ idleLimitMs: 12 * HOUR });
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb');
  await clock.advance(11 * HOUR);
  calls.request('c1', 'tb', 'ta', 'INFO'); // alive
  await clock.advance(11 * HOUR);
  assert.equal(calls.callsOf(BOB), 1, '22 h, but only 11 h without traffic');
  await clock.advance(1 * HOUR + 1);
  assert.equal(calls.callsOf(BOB), 0);
  assert.equal(calls.endReasonOf('c1', 'ta', 'tb'), 'expired');
  await clock.advance(ENDED_LINGER_MS);
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), undefined, 'forgotten after the linger');
  assert.equal(calls.size, 0);
  assert.equal(clock.pending, 0, 'no timer left');
});

test('safety bound with session timers (RFC 4028): the session interval, refreshed by a 2xx to re-INVITE or UPDATE', async () => {
  const { clock, calls } = setup();
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb', sessionIntervalMs('1800;refresher=uac'));
  await clock.advance(1000_000);
  calls.request('c1', 'ta', 'tb', 'INFO'); // an INFO is no refresh
  calls.response('c1', 'ta', 'tb', 'UPDATE', 200, sessionIntervalMs('1800'));
  await clock.advance(1700_000);
  assert.equal(calls.callsOf(BOB), 1, 'refreshed at 1000 s');
  await clock.advance(100_001);
  assert.equal(calls.callsOf(BOB), 0, 'no refresh within 1800 s: the session is over (§10)');
  assert.equal(calls.endReasonOf('c1', 'ta', 'tb'), 'expired');
});

test('Session-Expires values', () => {
  assert.equal(sessionIntervalMs('1800;refresher=uas'), 1_800_000);
  assert.equal(sessionIntervalMs(' 90 '), 90_000);
  assert.equal(sessionIntervalMs(undefined), undefined);
  assert.equal(sessionIntervalMs('soon'), undefined);
  assert.equal(sessionIntervalMs('0'), undefined);
});

test('bounded: ended dialogs are forgotten first; a full table of live dialogs refuses a new one with a typed error', () => {
  const { calls } = setup({ maxDialogs: 2 });
  calls.invite('c1', 'ta', [ALICE, BOB]).confirm('tb');
  calls.request('c1', 'ta', 'tb', 'BYE'); // ended, remembered
  calls.invite('c2', 'tc', [ALICE, BOB]).confirm('td');
  calls.invite('c3', 'te', [CAROL, BOB]).confirm('tf'); // the ended c1 makes room
  assert.equal(calls.stateOf('c1', 'ta', 'tb'), undefined);
  assert.equal(calls.size, 2);
  assert.throws(
    () => calls.invite('c4', 'tg', [ALICE, CAROL]).confirm('th'),
    (e: unknown) => e instanceof CallTrackerError && e.code === 'table-full',
  );
  assert.equal(calls.callsOf(BOB), 2);
  assert.equal(calls.callsOf(ALICE), 1, 'the untracked call counts nothing');
  const early = calls.invite('c5', 'ti', [ALICE, CAROL]);
  assert.throws(() => early.early('tj'), CallTrackerError);
});

test('a listener that throws does not stop the others; close() stops every timer and is idempotent', async () => {
  const clock = new VirtualClock(0);
  const errors: unknown[] = [];
  const calls = new CallTracker({ clock, onError: (e) => errors.push(e) });
  const seen: string[] = [];
  calls.onChange(() => {
    throw new Error('boom');
  });
  const stop = calls.onChange((aor) => seen.push(aor));
  calls.invite('c1', 'ta', [ALICE]).confirm('tb');
  assert.deepEqual(seen, [ALICE]);
  assert.equal(errors.length, 1);
  stop();
  calls.request('c1', 'ta', 'tb', 'BYE');
  assert.deepEqual(seen, [ALICE]);
  calls.invite('c2', 'tc', [ALICE]).confirm('td');
  assert.ok(clock.pending > 0);
  calls.close();
  calls.close();
  assert.equal(clock.pending, 0);
  assert.equal(calls.callsOf(ALICE), 0);
  assert.throws(() => new CallTracker({ idleLimitMs: 0 }), TypeError);
});
