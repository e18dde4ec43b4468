import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multipartBoundary, parseMultipart } from '@parley/sip';
import type { AggregatedState } from './aggregate.js';
import { AVAILABILITY } from './availability.js';
import { ListWatch } from './watches.js';

function source() {
  const states = new Map<string, AggregatedState>();
  const set = (owner: string, note: string) =>
    states.set(owner, { availability: AVAILABILITY.available, activity: undefined, note, location: undefined, idleSince: undefined, devices: 1 });
  return { set, stateOf: (o: string) => states.get(o)!, cardOf: () => undefined };
}

function parts(body: { contentType: string; body: string | Buffer }) {
  const all = parseMultipart(Buffer.from(body.body), multipartBoundary(body.contentType)!);
  const rlmi = all[0].body.toString();
  return {
    rlmi,
    full: /fullState="true"/.test(rlmi),
    active: [...rlmi.matchAll(/<resource uri="sip:([^"]+)">(?:<name>[^<]*<\/name>)?<instance id="i\d+" state="active"/g)].map((m) => m[1]),
    pending: [...rlmi.matchAll(/<resource uri="sip:([^"]+)">(?:<name>[^<]*<\/name>)?<instance id="i\d+" state="pending"\/>/g)].map((m) => m[1]),
    pidfs: all.length - 1,
  };
}

test('a partial list NOTIFY looks at the contacts that changed only', () => {
  const src = source();
  const w = new ListWatch(src, 'sip:alice;list=contacts@example.com', 'alice@example.com', 'example.com');
  for (let i = 0; i < 5; i++) {
    src.set(`u${i}@example.com`, `n${i}`);
    w.set(`u${i}@example.com`, 'colleagues');
  }
  assert.equal(parts(w.render(true)!).active.length, 5);
  assert.equal(w.render(false), undefined, 'nothing changed');
  src.set('u3@example.com', 'new note');
  w.touched('u3@example.com');
  const p = parts(w.render(false)!);
  assert.deepEqual([p.full, p.active], [false, ['u3@example.com']]);
});

test('over UDP a full state that does not fit one datagram lists the rest pending and sends their state next (RFC 4662 §5.2)', () => {
  const src = source();
  const w = new ListWatch(src, 'sip:alice;list=contacts@example.com', 'alice@example.com', 'example.com');
  const all: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = `user${i}@example.com`;
    src.set(r, `note ${'x'.repeat(200)} ${i}`);
    w.set(r, 'colleagues');
    all.push(r);
  }
  const budget = 8000;
  const first = w.render(true, budget)!;
  assert.equal(first.more, true);
  assert.ok(Buffer.byteLength(first.body) <= budget, `${Buffer.byteLength(first.body)} bytes`);
  const p1 = parts(first);
  assert.equal(p1.full, true);
  assert.deepEqual([...p1.active, ...p1.pending], all, 'a full state lists every resource, in order');
  assert.ok(p1.active.length > 0 && p1.pending.length > 0);
  assert.equal(p1.pidfs, p1.active.length);
  const seen = new Set(p1.active);
  for (let k = 0; k < 40 && seen.size < all.length; k++) {
    const next = w.render(false, budget)!;
    assert.ok(Buffer.byteLength(next.body) <= budget);
    const p = parts(next);
    assert.equal(p.full, false);
    assert.deepEqual(p.pending, [], 'a partial NOTIFY lists only what it carries');
    for (const r of p.active) seen.add(r);
    assert.equal(next.more === true, seen.size < all.length);
  }
  assert.equal(seen.size, all.length, 'every state was sent');
  assert.equal(w.render(false, budget), undefined);
  // Over a connection there is no limit: one NOTIFY.
  const one = w.render(true);
  assert.equal(one?.more, undefined);
  assert.equal(parts(one!).active.length, 40);
});

test('list changes between NOTIFYs: a removed contact is not sent, a changed relationship is, in the order they changed', () => {
  const src = source();
  const w = new ListWatch(src, 'sip:alice;list=contacts@example.com', 'alice@example.com', 'example.com');
  for (let i = 0; i < 6; i++) {
    src.set(`u${i}@example.com`, `n${i}`);
    w.set(`u${i}@example.com`, 'colleagues');
  }
  w.render(true);
  src.set('u4@example.com', 'four');
  w.touched('u4@example.com');
  src.set('u1@example.com', 'one');
  w.touched('u1@example.com');
  w.touched('nobody@example.com'); // not in the list: nothing
  w.delete('u1@example.com'); // changed, then removed: not sent
  w.set('u2@example.com', 'blocked'); // the view changes (Offline)
  src.set('u5@example.com', 'five');
  w.touched('u5@example.com');
  w.touched('u4@example.com'); // twice: once
  assert.deepEqual(w.resources, ['u0@example.com', 'u2@example.com', 'u3@example.com', 'u4@example.com', 'u5@example.com']);
  assert.equal(w.has('u1@example.com'), false);
  const p = parts(w.render(false)!);
  assert.deepEqual(p.active, ['u4@example.com', 'u2@example.com', 'u5@example.com']);
  assert.equal(p.pidfs, 3);
  assert.match(p.rlmi, /<resource uri="sip:u2@example\.com">/);
  assert.equal(w.render(false), undefined);
  // Set again with the same relationship: considered, but nothing changed for the watcher.
  w.set('u3@example.com', 'colleagues');
  assert.equal(w.render(false), undefined);
  // Added back: a new resource at the end, sent as changed.
  w.set('u1@example.com', 'colleagues');
  assert.deepEqual(parts(w.render(false)!).active, ['u1@example.com']);
  assert.deepEqual(parts(w.render(true)!).active, ['u0@example.com', 'u2@example.com', 'u3@example.com', 'u4@example.com', 'u5@example.com', 'u1@example.com']);
});

test('a contact removed while its state is owed (UDP) is owed no more; the others still follow', () => {
  const src = source();
  const w = new ListWatch(src, 'sip:alice;list=contacts@example.com', 'alice@example.com', 'example.com');
  const all: string[] = [];
  for (let i = 0; i < 30; i++) {
    const r = `user${i}@example.com`;
    src.set(r, `note ${'x'.repeat(200)} ${i}`);
    w.set(r, 'colleagues');
    all.push(r);
  }
  const first = parts(w.render(true, 6000)!);
  assert.ok(first.pending.length > 2);
  const gone = first.pending[1];
  w.delete(gone);
  const seen = new Set(first.active);
  for (let k = 0; k < 30; k++) {
    const next = w.render(false, 6000);
    if (!next) break;
    for (const r of parts(next).active) seen.add(r);
  }
  assert.deepEqual([...seen].sort(), all.filter((r) => r !== gone).sort());
});

test('a relationship outside the five is refused', () => {
  const w = new ListWatch(source(), 'sip:alice;list=contacts@example.com', 'alice@example.com', 'example.com');
  assert.throws(() => w.set('u@example.com', 'stranger' as never), RangeError);
});
