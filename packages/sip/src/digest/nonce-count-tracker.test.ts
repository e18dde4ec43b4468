import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NonceCountTracker } from './nonce-count-tracker.js';

const NOW = 1_700_000_000_000;

function setup(options: { maxNonces?: number; window?: number } = {}) {
  const clock = { now: NOW };
  const tracker = new NonceCountTracker({ ...options, clock: () => clock.now });
  const use = (nonce: string, nc: number, issuedAt = NOW) =>
    tracker.accept({ nonce, nc, issuedAt, expiresAt: issuedAt + 300_000 });
  return { clock, tracker, use };
}

describe('NonceCountTracker', () => {
  it('accepts rising counts and refuses a repeated one', () => {
    const { use } = setup();
    assert.equal(use('n', 1), 'fresh');
    assert.equal(use('n', 1), 'replay');
    assert.equal(use('n', 2), 'fresh');
    assert.equal(use('n', 2), 'replay');
    assert.equal(use('n', 10), 'fresh');
    assert.equal(use('n', 10), 'replay');
  });

  it('accepts a late count inside the window once, refuses one below it', () => {
    const { use } = setup({ window: 32 });
    assert.equal(use('n', 100), 'fresh');
    assert.equal(use('n', 99), 'fresh');
    assert.equal(use('n', 99), 'replay');
    assert.equal(use('n', 69), 'fresh'); // 31 behind: the last bit of the window
    assert.equal(use('n', 69), 'replay');
    assert.equal(use('n', 68), 'replay'); // 32 behind: outside
    assert.equal(use('n', 101), 'fresh');
    assert.equal(use('n', 70), 'fresh'); // 31 behind 101, never seen
    assert.equal(use('n', 69), 'replay');
  });

  it('forgets the window after a big jump', () => {
    const { use } = setup();
    assert.equal(use('n', 1), 'fresh');
    assert.equal(use('n', 1000), 'fresh');
    assert.equal(use('n', 999), 'fresh');
    assert.equal(use('n', 1), 'replay');
  });

  it('handles the top of the count range', () => {
    const { use } = setup();
    assert.equal(use('n', 0xffffffff), 'fresh');
    assert.equal(use('n', 0xffffffff), 'replay');
    assert.equal(use('n', 0xfffffffe), 'fresh');
    assert.throws(() => use('n', 0), TypeError);
    assert.throws(() => use('n', 2 ** 32), TypeError);
  });

  it('keeps nonces apart', () => {
    const { use } = setup();
    assert.equal(use('a', 1), 'fresh');
    assert.equal(use('b', 1), 'fresh');
    assert.equal(use('a', 1), 'replay');
  });

  it('stays within maxNonces, and an evicted live nonce cannot be replayed', () => {
    const { tracker, use } = setup({ maxNonces: 3 });
    assert.equal(use('old', 1, NOW - 10), 'fresh');
    for (let i = 0; i < 10; i++) assert.equal(use(`n${i}`, 1, NOW - 5 + i), 'fresh');
    assert.equal(tracker.size, 3);
    // 'old' was evicted while still live: its counts must not start over.
    assert.equal(use('old', 1, NOW - 10), 'forgotten');
    assert.equal(use('old', 2, NOW - 10), 'forgotten');
    // A nonce issued after every evicted one is still welcome.
    assert.equal(use('new', 1, NOW + 100), 'fresh');
  });

  it('keeps recently used nonces when evicting (LRU)', () => {
    const { use } = setup({ maxNonces: 2 });
    use('a', 1, NOW + 1);
    use('b', 1, NOW + 2);
    use('a', 2, NOW + 1); // a is now the most recent
    use('c', 1, NOW + 3); // evicts b
    assert.equal(use('a', 2, NOW + 1), 'replay');
    assert.equal(use('b', 2, NOW + 2), 'forgotten');
  });

  it('drops expired nonces and refuses expired uses', () => {
    const { clock, tracker, use } = setup();
    for (let i = 0; i < 10; i++) use(`n${i}`, 1);
    clock.now += 300_000;
    assert.equal(tracker.sweep(), 10);
    assert.equal(tracker.size, 0);
    assert.equal(use('n0', 2), 'forgotten');
    assert.equal(tracker.size, 0);
  });

  it('sweeps a few expired entries on each call without being asked', () => {
    const { clock, tracker, use } = setup();
    for (let i = 0; i < 8; i++) use(`n${i}`, 1);
    clock.now += 300_000;
    use('fresh', 1, clock.now);
    assert.ok(tracker.size < 9);
  });

  it('stays bounded under a flood of distinct nonces', () => {
    const { tracker, use } = setup({ maxNonces: 1000 });
    for (let i = 0; i < 20_000; i++) use(`flood${i}`, 1, NOW + i);
    assert.equal(tracker.size, 1000);
  });

  it('refuses bad options with TypeError', () => {
    assert.throws(() => new NonceCountTracker({ window: 33 }), TypeError);
    assert.throws(() => new NonceCountTracker({ window: 0 }), TypeError);
    assert.throws(() => new NonceCountTracker({ maxNonces: 0 }), TypeError);
  });
});
