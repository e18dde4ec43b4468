import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('expires an entry after its TTL', () => {
    let now = 1000;
    const cache = new TtlCache<string>(10, () => now);
    cache.set('k', 'v', 500);
    now = 1499;
    assert.equal(cache.get('k'), 'v');
    now = 1500;
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0);
  });

  it('evicts the least recently used entry at the cap', () => {
    const cache = new TtlCache<number>(2);
    cache.set('a', 1, 60_000);
    cache.set('b', 2, 60_000);
    assert.equal(cache.get('a'), 1); // b is now the least recently used
    cache.set('c', 3, 60_000);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  it('stores nothing for a TTL of 0 or a size of 0', () => {
    const cache = new TtlCache<number>(2);
    cache.set('a', 1, 0);
    assert.equal(cache.get('a'), undefined);
    const off = new TtlCache<number>(0);
    off.set('a', 1, 1000);
    assert.equal(off.get('a'), undefined);
  });

  it('rejects a bad size', () => {
    assert.throws(() => new TtlCache(-1), TypeError);
  });
});
