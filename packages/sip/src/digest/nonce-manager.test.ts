import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { NonceManager } from './nonce-manager.js';

function fakeClock(start = 1_700_000_000_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('NonceManager', () => {
  const secret = randomBytes(32);

  it('accepts its own nonce and reports issue and expiry times', () => {
    const clock = fakeClock();
    const nonces = new NonceManager({ secret, clock: clock.read });
    const nonce = nonces.create('example.com');
    assert.match(nonce, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(nonces.check(nonce, 'example.com'), 'valid');
    assert.deepEqual(nonces.inspect(nonce, 'example.com'), {
      status: 'valid',
      issuedAt: clock.now,
      expiresAt: clock.now + 300_000,
    });
  });

  it('gives a different nonce each time', () => {
    const nonces = new NonceManager({ secret });
    const seen = new Set(Array.from({ length: 100 }, () => nonces.create('r')));
    assert.equal(seen.size, 100);
  });

  it('is checked by another front end with the same secret (pool)', () => {
    const a = new NonceManager({ secret: Buffer.from(secret) });
    const b = new NonceManager({ secret: Buffer.from(secret) });
    assert.equal(b.check(a.create('r'), 'r'), 'valid');
  });

  it('goes stale at the end of its lifetime', () => {
    const clock = fakeClock();
    const nonces = new NonceManager({ secret, lifetimeMs: 1000, clock: clock.read });
    const nonce = nonces.create('r');
    clock.now += 999;
    assert.equal(nonces.check(nonce, 'r'), 'valid');
    clock.now += 1;
    assert.equal(nonces.check(nonce, 'r'), 'stale');
  });

  it('calls a nonce from too far in the future stale (clock step), within the skew valid', () => {
    const clock = fakeClock();
    const ahead = new NonceManager({ secret, clock: () => clock.now + 10_000 });
    const farAhead = new NonceManager({ secret, clock: () => clock.now + 60_000 });
    const nonces = new NonceManager({ secret, clock: clock.read });
    assert.equal(nonces.check(ahead.create('r'), 'r'), 'valid');
    assert.equal(nonces.check(farAhead.create('r'), 'r'), 'stale');
  });

  it('refuses a nonce for another realm, another secret, or tampered', () => {
    const nonces = new NonceManager({ secret });
    const nonce = nonces.create('a.example');
    assert.equal(nonces.check(nonce, 'b.example'), 'invalid');
    assert.equal(new NonceManager({ secret: randomBytes(32) }).check(nonce, 'a.example'), 'invalid');
    const raw = Buffer.from(nonce, 'base64url');
    for (const index of [0, 7, 8, 15, 16, 31]) {
      const bad = Buffer.from(raw);
      bad[index] ^= 1;
      assert.equal(nonces.check(bad.toString('base64url'), 'a.example'), 'invalid', `byte ${index}`);
    }
  });

  it('checks the same whether it still remembers issuing the nonce or only has its MAC', () => {
    const clock = fakeClock();
    const nonces = new NonceManager({ secret, clock: clock.read });
    const first = nonces.create('r');
    for (let i = 0; i < 5000; i++) nonces.create('r'); // the first is no longer among the remembered ones
    const last = nonces.create('r');
    for (const n of [first, last]) assert.deepEqual(nonces.inspect(n, 'r'), { status: 'valid', issuedAt: clock.now, expiresAt: clock.now + 300_000 });
    assert.equal(nonces.check(last, 'other'), 'invalid');
    clock.now += 300_000;
    for (const n of [first, last]) assert.equal(nonces.check(n, 'r'), 'stale');
  });

  it('refuses a forged nonce with a fresh timestamp', () => {
    const raw = Buffer.alloc(32);
    raw.writeBigUInt64BE(BigInt(Date.now()), 0);
    assert.equal(new NonceManager({ secret }).check(raw.toString('base64url'), 'r'), 'invalid');
  });

  it('refuses garbage and non-canonical spellings of a good nonce', () => {
    const nonces = new NonceManager({ secret });
    for (const bad of ['', 'x', 'a'.repeat(43), `${nonces.create('r')}A`, '!'.repeat(43)]) {
      assert.equal(nonces.check(bad, 'r'), 'invalid', bad);
    }
    const nonce = nonces.create('r');
    // The last base64url character carries 4 data bits and 2 spare ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(nonce[42]);
    const twin = nonce.slice(0, 42) + alphabet[last ^ 1];
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(nonce, 'base64url'));
    assert.equal(nonces.check(twin, 'r'), 'invalid');
  });

  it('accepts nonces made with a previous secret during rotation', () => {
    const old = randomBytes(32);
    const before = new NonceManager({ secret: old }).create('r');
    const after = new NonceManager({ secret, previousSecrets: [old] });
    assert.equal(after.check(before, 'r'), 'valid');
    assert.equal(new NonceManager({ secret: old }).check(after.create('r'), 'r'), 'invalid');
  });

  it('refuses weak configuration with TypeError', () => {
    assert.throws(() => new NonceManager({ secret: Buffer.alloc(8) }), TypeError);
    assert.throws(() => new NonceManager({ secret, lifetimeMs: 0 }), TypeError);
    assert.throws(() => new NonceManager({ secret, previousSecrets: [Buffer.alloc(1)] }), TypeError);
  });
});
