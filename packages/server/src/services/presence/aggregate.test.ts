import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, type BindingInput, type PublicationInput } from './aggregate.js';
import { AVAILABILITY, classOf } from './availability.js';
import type { PublishedState } from './pidf-parse.js';
import { defaultRelationship, sameView, selfView, viewFor } from './privacy.js';
import { buildPidf } from './pidf-build.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const policy = { inactiveAfterMs: 5 * MIN, awayAfterMs: 5 * MIN };

let seq = 0;
function pub(state: Partial<PublishedState>, at = T0, source?: string): PublicationInput {
  return {
    id: `p${++seq}`,
    publishedAt: at,
    source,
    state: { entity: undefined, basic: 'open', availability: undefined, activities: [], note: undefined, idle: false, idleSince: undefined, location: undefined, contacts: [], ...state },
  };
}
const reg = (flowKey?: string, contactUri = `sip:dev${++seq}@10.0.0.1`): BindingInput => ({ contactUri, flowKey });
const at = (p: PublicationInput[], b: BindingInput[], now = T0) => aggregate(p, b, now, policy).state;

test('nobody signed in and nothing published: Offline', () => {
  const s = at([], []);
  assert.equal(s.availability, AVAILABILITY.offline);
  assert.equal(s.devices, 0);
});

test('a registered device that publishes nothing makes the user Available', () => {
  assert.equal(at([], [reg()]).availability, AVAILABILITY.available);
});

test('a chosen state applies to every device; the latest choice wins, whichever device made it', () => {
  const s = at([pub({ availability: 6500, note: 'Busy writing' }, T0, 'udp:a'), pub({}, T0 + 1, 'udp:b')], [reg('udp:a'), reg('udp:b')]);
  assert.equal(s.availability, 6500);
  assert.equal(s.note, 'Busy writing');
  assert.equal(s.devices, 2);
  const later = at([pub({ availability: 6500 }, T0), pub({ availability: 3500 }, T0 + 1000)], []);
  assert.equal(later.availability, 3500);
  assert.equal(at([pub({ activities: ['away'] })], []).availability, AVAILABILITY.away);
  assert.equal(at([pub({ availability: 12500 })], []).availability, AVAILABILITY.brb);
});

test('the most active device wins; idleness goes Inactive, then Away, and says when', () => {
  const idle = pub({ idle: true, idleSince: T0 }, T0, 'udp:a');
  const active = pub({}, T0, 'udp:b');
  assert.equal(at([idle, active], [], T0 + 20 * MIN).availability, AVAILABILITY.available, 'one device in use');
  const r = aggregate([idle], [], T0 + MIN, policy);
  assert.equal(r.state.availability, AVAILABILITY.available);
  assert.equal(r.nextChangeAt, T0 + 5 * MIN);
  const inactive = aggregate([idle], [], T0 + 6 * MIN, policy);
  assert.equal(classOf(inactive.state.availability), 'inactive');
  assert.equal(inactive.state.idleSince, T0);
  assert.equal(inactive.nextChangeAt, T0 + 10 * MIN);
  assert.equal(at([idle], [], T0 + 11 * MIN).availability, AVAILABILITY.away);
  // Busy goes Busy-idle, and stays there.
  const busyIdle = pub({ availability: 6500, idle: true, idleSince: T0 });
  assert.equal(classOf(at([busyIdle], [], T0 + 6 * MIN).availability), 'busy-idle');
  assert.equal(classOf(at([busyIdle], [], T0 + 60 * MIN).availability), 'busy-idle');
  // Do Not Disturb ignores idleness.
  assert.equal(at([pub({ availability: 9500, idle: true, idleSince: T0 })], [], T0 + 60 * MIN).availability, AVAILABILITY.dnd);
});

test('a registered device without a publication of its own keeps the user active', () => {
  const idle = pub({ idle: true, idleSince: T0 }, T0, 'udp:a');
  assert.equal(at([idle], [reg('udp:a')], T0 + 20 * MIN).availability, AVAILABILITY.away, 'the binding is the idle device');
  assert.equal(at([idle], [reg('udp:a'), reg('udp:other')], T0 + 20 * MIN).availability, AVAILABILITY.available);
  const byContact = pub({ idle: true, idleSince: T0, contacts: ['sip:bob@10.0.0.9'] });
  assert.equal(at([byContact], [reg(undefined, 'sip:bob@10.0.0.9')], T0 + 20 * MIN).availability, AVAILABILITY.away);
});

test('in a call or a meeting overrides a chosen Available or Away; presenting is Do Not Disturb', () => {
  const call = pub({ activities: ['on-the-phone'] }, T0, 'udp:phone');
  const s = at([pub({ availability: 3500 }, T0 + 1000), call], []);
  assert.equal(s.availability, AVAILABILITY.busy);
  assert.equal(s.activity, 'on-the-phone');
  assert.equal(at([pub({ activities: ['away'] }, T0 + 1000), call], []).availability, AVAILABILITY.busy);
  assert.equal(at([pub({ availability: 9500 }, T0 + 1000), call], []).availability, AVAILABILITY.dnd, 'Do Not Disturb stays');
  const busy = at([pub({ availability: 6500 }, T0 + 1000), call], []);
  assert.equal(busy.availability, 6500);
  assert.equal(busy.activity, 'on-the-phone');
  const presenting = at([pub({ activities: ['presentation'] }), pub({ availability: 6500 }, T0 + 1)], []);
  assert.equal(presenting.availability, AVAILABILITY.dnd);
  assert.equal(presenting.activity, 'presentation');
  // A call does not go idle.
  assert.equal(at([pub({ activities: ['meeting'], idle: true, idleSince: T0 })], [], T0 + 60 * MIN).availability, AVAILABILITY.busy);
});

test('a closed publication signs its device out; "appear offline" is Offline; the note stays', () => {
  const closed = pub({ basic: 'closed', note: 'On holiday' }, T0, 'udp:a');
  const s = at([closed], [reg('udp:a')]);
  assert.equal(s.availability, AVAILABILITY.offline);
  assert.equal(s.note, 'On holiday');
  assert.equal(at([closed], [reg('udp:a'), reg('udp:b')]).availability, AVAILABILITY.available);
  assert.equal(at([pub({ availability: 18500 })], [reg()]).availability, AVAILABILITY.offline);
  assert.equal(at([pub({ note: 'old' }, T0), pub({ note: '' }, T0 + 1)], [reg()]).note, undefined, 'an empty note clears it');
});

test('what each relationship sees', () => {
  const s = { availability: 9500, activity: 'presentation', note: 'Keynote', location: 'Hall B', idleSince: undefined, devices: 1 };
  const card = { displayName: 'Bob', phone: '+1 555 0100' };
  const ext = viewFor(s, 'external', card);
  assert.deepEqual([ext.availability, ext.activity, ext.note, ext.location, ext.interruptible, ext.card], [9500, 'busy', undefined, undefined, false, undefined]);
  const col = viewFor(s, 'colleagues', card);
  assert.deepEqual([col.activity, col.note, col.location, col.interruptible, col.card], ['presentation', 'Keynote', undefined, false, undefined]);
  const wg = viewFor(s, 'workgroup', card);
  assert.deepEqual([wg.note, wg.location, wg.interruptible], ['Keynote', undefined, true]);
  const ff = viewFor(s, 'friends-family', card);
  assert.deepEqual([ff.location, ff.card, ff.interruptible], ['Hall B', card, false], 'friends and family see more but may not interrupt DND (only workgroup may)');
  const bl = viewFor(s, 'blocked', card);
  assert.deepEqual([bl.availability, bl.note, bl.activity], [AVAILABILITY.offline, undefined, undefined]);
  const local = (d: string) => d === 'example.com';
  assert.equal(defaultRelationship('bob@example.com', 'alice@example.com', local), 'colleagues');
  assert.equal(defaultRelationship('bob@example.com', 'eve@other.org', local), 'external');
  assert.equal(defaultRelationship('bob@example.com', 'bob@example.com', local), 'friends-family');
});

test('a registered device that publishes closed with the AOR as tuple <contact> (baresip) no longer keeps the user Available', () => {
  const aor = 'sip:alice@example.com';
  const phone = reg('udp:10.0.0.9:5060', 'sip:alice@10.0.0.9:5060;transport=udp');
  const open = pub({ contacts: [aor] }, T0, 'udp:10.0.0.9:5060');
  const closed = pub({ basic: 'closed', contacts: [aor] }, T0 + 1000, 'udp:10.0.0.9:5060');
  assert.equal(at([open], [phone]).availability, AVAILABILITY.available);
  assert.equal(at([open], [phone]).devices, 1, 'one device, not a publication plus a registration');
  // Its latest publication (a new one, not a modification of the open one) says closed: the device is signed out.
  const s = at([open, closed], [phone]);
  assert.equal(s.availability, AVAILABILITY.offline);
  assert.equal(s.devices, 0);
  // The same over a flow the registration did not use (a new TCP connection): tied by elimination.
  const overTcp = reg('conn:17', 'sip:alice@10.0.0.9:5062;transport=tcp');
  assert.equal(at([pub({ basic: 'closed', contacts: [aor] }, T0, 'conn:99')], [overTcp]).availability, AVAILABILITY.offline);
  // Its tuple names the device's Contact with other parameters and brackets: still that device.
  assert.equal(at([pub({ basic: 'closed', contacts: ['<SIP:alice@10.0.0.9:5062;ob>'] }, T0, 'conn:99')], [overTcp]).availability, AVAILABILITY.offline);
  // Two registered devices and a closed publication that names neither: the other may well be in use, so Available.
  assert.equal(at([pub({ basic: 'closed', contacts: [aor] }, T0, 'conn:99')], [overTcp, reg('udp:b')]).availability, AVAILABILITY.available);
  // One device closed, the other open and idle: the user follows the open one.
  const idleOther = pub({ idle: true, idleSince: T0 }, T0, 'udp:b');
  assert.equal(at([open, closed, idleOther], [phone, reg('udp:b')], T0 + 11 * MIN).availability, AVAILABILITY.away);
  // Open again later: back.
  assert.equal(at([open, closed, pub({ contacts: [aor] }, T0 + 2000, 'udp:10.0.0.9:5060')], [phone]).availability, AVAILABILITY.available);
});

test('the state chosen by hand is kept apart (manual), and only the owner\'s own view and document show it', () => {
  const machine = at([pub({})], [reg()]);
  assert.equal(machine.manual, undefined, 'nobody chose anything');
  const chosen = at([pub({ availability: 3500 }, T0, 'udp:a'), pub({ availability: 3500, idle: true, idleSince: T0 }, T0 + 1, 'udp:a')], [reg('udp:a')], T0 + 6 * MIN);
  assert.equal(chosen.manual, 3500, 'Available chosen by hand, although the machine is Inactive');
  assert.equal(chosen.availability, AVAILABILITY.inactive);
  const appearOffline = at([pub({ availability: 18500 })], [reg()]);
  assert.equal(appearOffline.availability, AVAILABILITY.offline);
  assert.equal(appearOffline.manual, 18500);
  assert.equal(at([pub({ activities: ['busy'] })], []).manual, AVAILABILITY.busy);
  assert.equal(at([pub({ activities: ['on-the-phone'] })], [reg()]).manual, undefined, 'a call is no choice');

  assert.equal(selfView(chosen).manual, 3500);
  assert.equal(viewFor(chosen, 'friends-family').manual, undefined);
  assert.match(buildPidf('sip:alice@example.com', selfView(chosen)), /<p:manual>3500<\/p:manual>/);
  assert.doesNotMatch(buildPidf('sip:alice@example.com', viewFor(chosen, 'friends-family')), /p:manual/);
  assert.equal(sameView(selfView(chosen), viewFor(chosen, 'friends-family')), false);
});

const withCalls = (p: PublicationInput[], b: BindingInput[], calls: number, now = T0) => aggregate(p, b, now, policy, { calls });

test('a live call routed by the server is "In a call" (6500) over Available, Busy, Be Right Back and Away', () => {
  const phone = reg(); // a standard SIP phone: registers, publishes nothing
  const s = withCalls([], [phone], 1);
  assert.equal(s.state.availability, AVAILABILITY.busy);
  assert.equal(s.state.activity, 'on-the-phone');
  assert.equal(s.state.manual, undefined, 'a call is no choice');
  for (const chosen of [3500, 12500, 15500]) {
    const c = withCalls([pub({ availability: chosen }, T0, 'udp:pc')], [phone, reg('udp:pc')], 2).state;
    assert.equal(c.availability, AVAILABILITY.busy, `over ${chosen}`);
    assert.equal(c.activity, 'on-the-phone');
    assert.equal(c.manual, chosen);
  }
  const busy = withCalls([pub({ availability: 6500, activities: ['busy'] })], [phone], 1).state;
  assert.equal(busy.availability, 6500);
  assert.equal(busy.activity, 'on-the-phone', 'the activity says why');
  // The same precedence as a published on-the-phone: presenting (DND) stays above it.
  assert.equal(withCalls([pub({ activities: ['presentation'] })], [phone], 1).state.availability, AVAILABILITY.dnd);
});

test('a live call does not override Do Not Disturb or Appear Offline', () => {
  const phone = reg();
  const dnd = withCalls([pub({ availability: 9500 })], [phone], 1).state;
  assert.equal(dnd.availability, AVAILABILITY.dnd);
  assert.equal(dnd.activity, undefined);
  const hidden = withCalls([pub({ availability: 18500 })], [phone], 1).state;
  assert.equal(hidden.availability, AVAILABILITY.offline);
  assert.equal(hidden.activity, undefined);
});

test('idleness does not apply during a call; when the call ends the state is what it was, idle timer included', () => {
  const desk = pub({ idle: true, idleSince: T0 }, T0, 'udp:pc');
  const devices = [reg('udp:pc')];
  const during = withCalls([desk], devices, 1, T0 + 20 * MIN);
  assert.equal(during.state.availability, AVAILABILITY.busy);
  assert.equal(during.state.idleSince, undefined);
  assert.equal(during.nextChangeAt, undefined);
  const after = withCalls([desk], devices, 0, T0 + 20 * MIN);
  assert.equal(after.state.availability, AVAILABILITY.away, 'idle 20 minutes: Away again');
  assert.equal(after.state.activity, undefined);
  const before = withCalls([], [reg()], 0);
  assert.equal(before.state.availability, AVAILABILITY.available);
  const brb = withCalls([pub({ availability: 12500 })], [reg()], 0).state;
  assert.equal(brb.availability, AVAILABILITY.brb, 'a chosen Be Right Back comes back');
});

test('a call is a point of presence: a user in a call shows In a call although no device registered or stays open', () => {
  const closed = pub({ basic: 'closed' }, T0, 'udp:a');
  assert.equal(withCalls([closed], [reg('udp:a')], 0).state.availability, AVAILABILITY.offline);
  const s = withCalls([closed], [reg('udp:a')], 1).state;
  assert.equal(s.availability, AVAILABILITY.busy);
  assert.equal(s.activity, 'on-the-phone');
  assert.equal(withCalls([], [], 1).state.availability, AVAILABILITY.busy);
  assert.equal(withCalls([pub({ availability: 18500 })], [], 1).state.availability, AVAILABILITY.offline, 'appear offline still wins');
});

test('what each relationship sees of a live call: colleagues and closer "on-the-phone", external contacts Busy, blocked Offline', () => {
  const s = withCalls([pub({ note: 'Quarterly report' })], [reg()], 1).state;
  for (const rel of ['friends-family', 'workgroup', 'colleagues'] as const) {
    const v = viewFor(s, rel);
    assert.equal(v.availability, AVAILABILITY.busy, rel);
    assert.equal(v.activity, 'on-the-phone', rel);
    assert.equal(v.interruptible, false, `${rel}: a call is no Do Not Disturb`);
  }
  const ext = viewFor(s, 'external');
  assert.equal(ext.availability, AVAILABILITY.busy);
  assert.equal(ext.activity, 'busy', 'availability only: no activity behind it');
  assert.equal(ext.note, undefined);
  assert.equal(viewFor(s, 'blocked').availability, AVAILABILITY.offline);
  assert.match(buildPidf('sip:bob@example.com', viewFor(s, 'colleagues')), /on-the-phone/);
  assert.doesNotMatch(buildPidf('sip:bob@example.com', viewFor(s, 'external')), /on-the-phone/);
});
