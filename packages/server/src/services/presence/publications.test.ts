import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '@parley/sip/transaction';
import { tempStore } from '../../testing/sqlite.js';
import { PresenceError } from './errors.js';
import { parsePidf } from './pidf-parse.js';
import { PublicationRepo } from './publication-repo.js';
import { PublicationTable, type PublishRequest } from './publications.js';

const T0 = 1_700_000_000_000;
const doc = (basic: string, note = '') =>
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com"><tuple id="t"><status><basic>${basic}</basic></status></tuple><note>${note}</note></presence>`;
const body = (basic: string, note?: string) => ({ document: doc(basic, note), state: parsePidf(doc(basic, note)) });
const req = (r: Partial<PublishRequest>): PublishRequest => ({ owner: 'bob@example.com', ifMatch: undefined, body: undefined, expiresS: 600, source: 'udp:1.2.3.4:5060', ...r });

async function setup() {
  const clock = new VirtualClock(T0);
  const t = await tempStore(() => clock.now());
  const changes: string[] = [];
  const table = new PublicationTable({ store: new PublicationRepo(t.store), clock, onChange: (o) => changes.push(o) });
  return { ...t, clock, table, changes };
}

test('RFC 3903: create, refresh and modify change the entity-tag; an unknown one is 412; Expires: 0 removes', async () => {
  const s = await setup();
  try {
    const created = await s.table.publish(req({ body: body('open', 'hi') }));
    assert.equal(created.kind, 'created');
    const etag1 = 'publication' in created ? created.publication.etag : '';
    assert.deepEqual(s.changes, ['bob@example.com']);
    const refreshed = await s.table.publish(req({ ifMatch: etag1 }));
    assert.equal(refreshed.kind, 'refreshed');
    const etag2 = 'publication' in refreshed ? refreshed.publication.etag : '';
    assert.notEqual(etag2, etag1);
    assert.equal(s.changes.length, 1, 'a bare refresh changes no state');
    await assert.rejects(s.table.publish(req({ ifMatch: etag1 })), (e: unknown) => e instanceof PresenceError && e.code === 'unknown-etag');
    await assert.rejects(s.table.publish(req({ ifMatch: etag2, owner: 'eve@example.com' })), (e: unknown) => e instanceof PresenceError && e.code === 'unknown-etag');
    await assert.rejects(s.table.publish(req({})), (e: unknown) => e instanceof PresenceError && e.code === 'missing-body');
    const modified = await s.table.publish(req({ ifMatch: etag2, body: body('open', 'changed') }));
    assert.equal(modified.kind, 'modified');
    assert.equal(s.table.of('bob@example.com')[0].state.note, 'changed');
    assert.equal(s.table.of('bob@example.com').length, 1, 'one publication, modified in place');
    const etag3 = 'publication' in modified ? modified.publication.etag : '';
    assert.equal((await s.table.publish(req({ ifMatch: etag3, expiresS: 0 }))).kind, 'removed');
    assert.equal(s.table.of('bob@example.com').length, 0);
    assert.equal(s.changes.length, 3);
  } finally {
    s.table.close();
    await s.cleanup();
  }
});

test('publications expire on their own timer, and survive a restart until then', async () => {
  const s = await setup();
  try {
    await s.table.publish(req({ body: body('open'), expiresS: 120 }));
    await s.table.publish(req({ body: body('closed'), expiresS: 60, source: 'udp:other' }));
    // A new table on the same store: what a restart sees.
    const again = new PublicationTable({ store: new PublicationRepo(s.store), clock: s.clock, onChange: () => undefined });
    assert.equal(await again.start(), 2);
    assert.equal(again.of('bob@example.com').length, 2);
    again.close();
    await s.clock.advance(60_000);
    assert.equal(s.table.of('bob@example.com').length, 1);
    assert.deepEqual(s.changes, ['bob@example.com', 'bob@example.com', 'bob@example.com']);
    await s.clock.advance(60_000);
    assert.equal(s.table.of('bob@example.com').length, 0);
    await new Promise((r) => setTimeout(r, 20));
    const later = new PublicationTable({ store: new PublicationRepo(s.store), clock: s.clock, onChange: () => undefined });
    assert.equal(await later.start(), 0);
    later.close();
  } finally {
    s.table.close();
    await s.cleanup();
  }
});

test('a registered device that signs out takes its publications along, the forgotten one too; others stay', async () => {
  const s = await setup();
  try {
    // baresip may send two initial PUBLISHes over its registered flow and later withdraw only the second.
    const first = await s.table.publish(req({ body: body('open'), sourceRegistered: true }));
    const second = await s.table.publish(req({ body: body('open'), sourceRegistered: true }));
    // Another device: published without a registration on its flow (a presence-only client).
    await s.table.publish(req({ body: body('open', 'web'), source: 'conn:ws-7' }));
    // A third registered device, still registered.
    await s.table.publish(req({ body: body('open', 'desk'), source: 'udp:5.6.7.8:5060', sourceRegistered: true }));
    assert.equal(s.table.of('bob@example.com').length, 4);
    const etag2 = 'publication' in second ? second.publication.etag : '';
    await s.table.publish(req({ ifMatch: etag2, expiresS: 0 }));
    s.changes.length = 0;
    // The first device un-REGISTERs: its flow is no longer among the bindings.
    assert.equal(s.table.withdrawUnbound('bob@example.com', new Set(['udp:5.6.7.8:5060'])), 1);
    assert.deepEqual(s.changes, ['bob@example.com']);
    const left = s.table.of('bob@example.com').map((p) => p.state.note).sort();
    assert.deepEqual(left, ['desk', 'web']);
    assert.ok('publication' in first);
    // Nothing more to withdraw: no change reported.
    assert.equal(s.table.withdrawUnbound('bob@example.com', new Set(['udp:5.6.7.8:5060'])), 0);
    assert.equal(s.changes.length, 1);
    // A refresh keeps what the publication was tied to, even if the refresh itself did not say.
    const desk = s.table.of('bob@example.com').find((p) => p.state.note === 'desk')!;
    await s.table.publish(req({ ifMatch: desk.etag, source: 'udp:5.6.7.8:5060' }));
    assert.equal(s.table.withdrawUnbound('bob@example.com', new Set()), 1);
    assert.deepEqual(s.table.of('bob@example.com').map((p) => p.state.note), ['web']);
  } finally {
    s.table.close();
    await s.cleanup();
  }
});
