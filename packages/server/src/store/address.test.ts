/**
 * Canonical domain names and user addresses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeAddress, normalizeDomain, splitAddress } from './address.js';
import { StoreError } from './errors.js';

const invalid = (fn: () => unknown) => assert.throws(fn, (err) => StoreError.is(err, 'invalid'));

describe('address', () => {
  it('domains are lowercased, trimmed, and lose a trailing dot', () => {
    assert.equal(normalizeDomain(' Example.COM. '), 'example.com');
    assert.equal(normalizeDomain('localhost'), 'localhost');
    assert.equal(normalizeDomain('a-b.c1.example'), 'a-b.c1.example');
  });

  it('bad domains are invalid', () => {
    for (const bad of ['', '.', 'a..b', '-a.b', 'a-.b', 'a_b.c', 'a b', 'x'.repeat(64), `${'a.'.repeat(127)}ab`]) {
      invalid(() => normalizeDomain(bad));
    }
    assert.throws(() => normalizeDomain(42 as unknown as string), TypeError);
  });

  it('addresses are user@domain, lowercase, without a sip: scheme', () => {
    assert.equal(normalizeAddress('Alice@Example.COM'), 'alice@example.com');
    assert.equal(normalizeAddress('sip:alice@example.com'), 'alice@example.com');
    assert.equal(normalizeAddress('SIPS:alice.smith+x@example.com'), 'alice.smith+x@example.com');
    assert.deepEqual(splitAddress('bob@other.example'), { user: 'bob', domain: 'other.example' });
  });

  it('bad addresses are invalid', () => {
    for (const bad of ['', 'alice', '@example.com', 'alice@', 'al ice@example.com', 'a;b@example.com', 'a:b@example.com', 'a@b@c', 'alice@exa mple.com']) {
      invalid(() => normalizeAddress(bad));
    }
  });
});
