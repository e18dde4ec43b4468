import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomInto, randomText } from './random.js';
import { newBranch, newTag, randomToken } from './factory.js';

describe('random pool', () => {
  it('hands out fresh bytes: no repeats across many refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(randomText(12, 'hex'));
    assert.equal(seen.size, 20_000);
  });

  it('gives the lengths asked for, in the encodings asked for', () => {
    assert.match(randomText(8, 'hex'), /^[0-9a-f]{16}$/);
    assert.match(randomText(12, 'base64url'), /^[A-Za-z0-9_-]{16}$/);
    const b = Buffer.alloc(20);
    randomInto(b, 4, 8);
    assert.ok(b.subarray(0, 4).equals(Buffer.alloc(4)) && b.subarray(12).equals(Buffer.alloc(8)), 'only the asked range is written');
    assert.throws(() => randomText(257, 'hex'), RangeError);
  });

  it('tags, branches and tokens stay token characters and distinct', () => {
    const tags = new Set(Array.from({ length: 5000 }, () => newTag()));
    assert.equal(tags.size, 5000);
    for (const t of tags) assert.match(t, /^[A-Za-z0-9.-]{11}$/);
    assert.match(newBranch(), /^z9hG4bK[A-Za-z0-9.-]{16}$/);
    assert.match(randomToken(15), /^[A-Za-z0-9.-]{20}$/);
  });
});
