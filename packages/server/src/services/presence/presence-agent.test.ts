import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '@parley/sip/transaction';
import { tempStore } from '../../testing/sqlite.js';
import { LocationService } from '../registrar/index.js';
import { DEFAULT_IDLE_POLICY } from './aggregate.js';
import { parsePidf } from './pidf-parse.js';
import { FANOUT_CHUNK, PresenceAgent } from './presence-agent.js';
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

/** An agent over bindings the test sets: a binding makes its user Available, none Offline. */
function bareAgent() {
  const clock = new VirtualClock(T0);
  const publications = new PublicationTable({ clock, onChange: () => undefined });
  const bound = new Set<string>();
  const bindings = {
    lookup: (aor: string) => (bound.has(aor) ? [{ key: `k-${aor}`, contactUri: `sip:${aor}`, flow: null }] : []),
  };
  const agent = new PresenceAgent({ publications, bindings, clock, idle: DEFAULT_IDLE_POLICY, loadCard: async () => undefined });
  const toggle = (aor: string) => {
    if (!bound.delete(aor)) bound.add(aor);
    agent.bindingsChanged(aor);
  };
  return { agent, toggle };
}

const turn = () => new Promise((r) => setImmediate(r));

test('a fan-out spans turns of the event loop: a watcher removed meanwhile is skipped, one added meanwhile waits for the next change, nobody is told twice', async () => {
  const { agent, toggle } = bareAgent();
  const told: number[] = [];
  const n = 3 * FANOUT_CHUNK + 5;
  const watchers = Array.from({ length: n }, (_, i) => ({ presenceChanged: (owner: string) => (assert.equal(owner, BOB), told.push(i)) }));
  for (const w of watchers) agent.watch(BOB, w);
  const late = { presenceChanged: () => told.push(-1) };
  toggle(BOB);
  assert.deepEqual(told, [...Array(FANOUT_CHUNK).keys()], 'the first chunk at once');
  // Between chunks: one not yet told goes, one already told goes, another comes.
  assert.equal(agent.unwatch(BOB, watchers[FANOUT_CHUNK + 3]), true);
  assert.equal(agent.unwatch(BOB, watchers[2]), true);
  agent.watch(BOB, late);
  for (let i = 0; i < 5; i++) await turn();
  assert.deepEqual(
    told,
    [...Array(n).keys()].filter((i) => i !== FANOUT_CHUNK + 3),
    'each watcher present when the change happened and still there is told once, in order',
  );
  // The holes are closed: the watchers in the order they came, the late one last.
  assert.deepEqual(agent.watchersOf(BOB), [...watchers.filter((_, i) => i !== 2 && i !== FANOUT_CHUNK + 3), late]);
  told.length = 0;
  toggle(BOB);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(told.length, n - 1);
  assert.equal(told.at(-1), -1, 'the late watcher hears of the next change');
  agent.close();
});

test('watch is once per watcher; unwatch says whether it watched; the last one gone stops following the user', () => {
  const { agent } = bareAgent();
  const w = { presenceChanged: () => undefined };
  assert.equal(agent.watch(BOB, w), BOB);
  agent.watch(BOB, w);
  assert.deepEqual(agent.watchersOf(BOB), [w]);
  assert.equal(agent.watchedCount, 1);
  assert.equal(agent.unwatch(BOB, w), true);
  assert.equal(agent.unwatch(BOB, w), false);
  assert.equal(agent.watchedCount, 0);
  assert.deepEqual(agent.watchersOf(BOB), []);
  agent.close();
});

test('a watcher removed during a fan-out that empties the user ends it cleanly; watching again starts afresh', async () => {
  const { agent, toggle } = bareAgent();
  const told: number[] = [];
  const ws = Array.from({ length: FANOUT_CHUNK + 2 }, (_, i) => ({ presenceChanged: () => told.push(i) }));
  for (const w of ws) agent.watch(BOB, w);
  toggle(BOB);
  for (const w of ws) agent.unwatch(BOB, w);
  assert.equal(agent.watchedCount, 0);
  const again = { presenceChanged: () => told.push(-1) };
  agent.watch(BOB, again);
  for (let i = 0; i < 3; i++) await turn();
  assert.deepEqual(told, [...Array(FANOUT_CHUNK).keys()], 'nobody after the removals, and not the new watcher');
  toggle(BOB);
  assert.deepEqual(told.slice(FANOUT_CHUNK), [-1]);
  agent.close();
});
