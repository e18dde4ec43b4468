import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '@parley/sip/transaction';
import { tempStore } from '../../testing/sqlite.js';
import { LocationService } from '../registrar/index.js';
import { DEFAULT_IDLE_POLICY } from './aggregate.js';
import { parsePidf } from './pidf-parse.js';
import { PresenceAgent } from './presence-agent.js';
import { PublicationTable } from './publications.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const BOB = 'bob@example.com';
const idleDoc = (since: number) =>
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"><tuple id="t"><status><basic>open</basic></status>` +
  `<rpid:user-input last-input="${new Date(since).toISOString()}">idle</rpid:user-input></tuple></presence>`;

async function setup(wired: boolean) {
  const clock = new VirtualClock(T0);
  const t = await tempStore(() => clock.now());
  let agent: PresenceAgent | undefined;
  // What the composition root does: the location service's hook → the service's onBindingsChanged.
  const location = new LocationService(t.store, () => clock.now(), wired ? { onChange: (aor) => agent?.bindingsChanged(aor) } : {});
  const publications = new PublicationTable({ clock, onChange: (o) => agent?.ownerChanged(o) });
  agent = new PresenceAgent({ publications, bindings: location, clock, idle: DEFAULT_IDLE_POLICY, bindingPollMs: wired ? 0 : 50, loadCard: async () => undefined });
  const a = agent;
  const seen: number[] = [];
  a.watch(BOB, { presenceChanged: () => seen.push(a.stateOf(BOB).availability) });
  const register = (expiresAt = T0 + 10 * MIN) =>
    location.upsert({ aor: BOB, contactUri: 'sip:bob@10.0.0.1', callId: 'c1', cseq: 1, expiresAt, flow: { protocol: 'udp', remoteAddress: '10.0.0.1', remotePort: 5060 } });
  return { ...t, clock, location, publications, agent: a, seen, register };
}

test('with the location hook: a registration reaches watchers at once, with no timer', async () => {
  const s = await setup(true);
  try {
    assert.equal(s.agent.stateOf(BOB).availability, 18500);
    await s.register();
    assert.deepEqual(s.seen, [3500]);
    assert.equal(s.clock.pending, 0, 'no polling timer');
    await s.location.removeAll(BOB);
    assert.deepEqual(s.seen, [3500, 18500]);
  } finally {
    s.agent.close();
    await s.cleanup();
  }
});

test('without it, when asked to: watched users\' bindings are polled; expiry is seen too', async () => {
  const s = await setup(false);
  try {
    await s.register(T0 + 2 * MIN);
    assert.deepEqual(s.seen, []);
    await s.clock.advance(50);
    assert.deepEqual(s.seen, [3500]);
    await s.clock.advance(2 * MIN);
    assert.deepEqual(s.seen, [3500, 18500]);
  } finally {
    s.agent.close();
    await s.cleanup();
  }
});

test('idle since a time: Inactive after 5 minutes, Away after 5 more, on the agent\'s own timer', async () => {
  const s = await setup(true);
  try {
    await s.register(T0 + 60 * MIN);
    await s.publications.publish({ owner: BOB, ifMatch: undefined, body: { document: idleDoc(T0), state: parsePidf(idleDoc(T0)) }, expiresS: 3600, source: 'udp:10.0.0.1:5060' });
    assert.deepEqual(s.seen, [3500]);
    await s.clock.advance(5 * MIN + 1);
    assert.deepEqual(s.seen, [3500, 5000]);
    await s.clock.advance(5 * MIN);
    assert.deepEqual(s.seen, [3500, 5000, 15500]);
  } finally {
    s.agent.close();
    await s.cleanup();
  }
});
