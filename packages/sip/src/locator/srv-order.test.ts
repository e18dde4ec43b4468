import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isServiceRefused, orderSrvRecords } from './srv-order.js';
import { seededRandom, srv } from './fake-resolver.js';

describe('orderSrvRecords (RFC 2782)', () => {
  it('orders by priority ascending whatever the weights', () => {
    const records = [srv(20, 100, 5060, 'c'), srv(10, 0, 5060, 'a'), srv(30, 5, 5060, 'd'), srv(10, 0, 5060, 'b')];
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const order = orderSrvRecords(records, random).map((r) => r.priority);
      assert.deepEqual(order, [10, 10, 20, 30]);
    }
  });

  it('picks within a priority in proportion to weight', () => {
    const records = [srv(10, 1, 5060, 'light'), srv(10, 3, 5060, 'heavy')];
    const random = seededRandom(42);
    let heavyFirst = 0;
    for (let i = 0; i < 4000; i++) if (orderSrvRecords(records, random)[0].name === 'heavy') heavyFirst++;
    // Expected 3/4; the seeded sequence makes the count exact and repeatable.
    assert.ok(heavyFirst > 2850 && heavyFirst < 3150, `heavy first ${heavyFirst} of 4000`);
  });

  it('is deterministic for a given random source', () => {
    const records = [srv(1, 10, 1, 'a'), srv(1, 20, 2, 'b'), srv(1, 30, 3, 'c'), srv(1, 40, 4, 'd')];
    const once = orderSrvRecords(records, seededRandom(7)).map((r) => r.name);
    const again = orderSrvRecords(records, seededRandom(7)).map((r) => r.name);
    assert.deepEqual(once, again);
    assert.equal(new Set(once).size, 4);
  });

  it('puts weight-0 records after weighted ones, in random order among themselves', () => {
    const records = [srv(1, 0, 1, 'zero-a'), srv(1, 5, 1, 'five'), srv(1, 0, 1, 'zero-b')];
    assert.deepEqual(orderSrvRecords(records, () => 0).map((r) => r.name), ['five', 'zero-a', 'zero-b']);
    assert.deepEqual(orderSrvRecords(records, () => 0.999).map((r) => r.name), ['five', 'zero-b', 'zero-a']);
  });

  it('drops root targets and recognises "service decidedly not available"', () => {
    assert.deepEqual(orderSrvRecords([srv(0, 0, 0, '.')]), []);
    assert.equal(isServiceRefused([srv(0, 0, 0, '.')]), true);
    assert.equal(isServiceRefused([srv(0, 0, 5060, 'a.example.com')]), false);
  });
});
