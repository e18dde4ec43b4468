import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenge, serializeChallenge } from './challenge.js';
import { DigestParseError } from './errors.js';

const isCode = (code: string) => (e: unknown) => e instanceof DigestParseError && e.code === code;

describe('parseChallenge', () => {
  it('reads the RFC 7616 §3.9.1 challenge', () => {
    const c = parseChallenge(
      'Digest\r\n realm="http-auth@example.org",\r\n qop="auth, auth-int",\r\n algorithm=SHA-256,\r\n' +
        ' nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    assert.deepEqual(c, {
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      algorithm: 'SHA-256',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      qop: ['auth', 'auth-int'],
      stale: false,
      extensions: [],
    });
  });

  it('reads stale, userhash, charset, domain case-insensitively and keeps unknown params', () => {
    const c = parseChallenge(
      'DIGEST realm="r", nonce="n", stale=TRUE, userhash=True, charset=UTF-8, domain="sip:a sip:b", X-Vendor="v 1", qop=AUTH',
    );
    assert.equal(c.stale, true);
    assert.equal(c.userhash, true);
    assert.equal(c.charset, 'UTF-8');
    assert.equal(c.domain, 'sip:a sip:b');
    assert.deepEqual(c.qop, ['auth']);
    assert.deepEqual(c.extensions, [{ name: 'x-vendor', value: 'v 1' }]);
    assert.equal(parseChallenge('Digest realm="r", nonce="n", stale=false').stale, false);
  });

  it('keeps an unknown algorithm as written (the client will skip it)', () => {
    assert.equal(parseChallenge('Digest realm="r", nonce="n", algorithm=SHA3-256').algorithm, 'SHA3-256');
  });

  it('leaves qop absent for an RFC 2069 challenge', () => {
    assert.equal(parseChallenge('Digest realm="r", nonce="n"').qop, undefined);
  });

  it('refuses what is not a Digest challenge', () => {
    assert.throws(() => parseChallenge('Basic realm="r"'), isCode('unsupported-scheme'));
    assert.throws(() => parseChallenge('Digest nonce="n"'), isCode('missing-param'));
    assert.throws(() => parseChallenge('Digest realm="r"'), isCode('missing-param'));
    assert.throws(() => parseChallenge('Digest realm="r", nonce="n", stale=maybe'), isCode('invalid-value'));
    assert.throws(() => parseChallenge('Digest realm="r", nonce="n", qop=" , "'), isCode('invalid-value'));
    assert.throws(() => parseChallenge('Digest realm="r", nonce="n", userhash=1'), isCode('invalid-value'));
  });
});

describe('serializeChallenge', () => {
  it('writes RFC 3261 §25.1 quoting', () => {
    assert.equal(
      serializeChallenge({ realm: 'atlanta.com', nonce: 'abc', algorithm: 'SHA-256', qop: ['auth'], stale: true }),
      'Digest realm="atlanta.com", nonce="abc", algorithm=SHA-256, qop="auth", stale=TRUE',
    );
  });

  it('round-trips every field', () => {
    const c = parseChallenge(
      'Digest realm="r \\"x\\"", nonce="n", domain="sip:d", opaque="o", algorithm=MD5, qop="auth,auth-int", stale=TRUE, userhash=false, charset=UTF-8, foo=bar',
    );
    assert.deepEqual(parseChallenge(serializeChallenge(c)), c);
  });

  it('refuses to write a header-injecting value', () => {
    assert.throws(() => serializeChallenge({ realm: 'r\r\nContact: evil', nonce: 'n' }), TypeError);
  });
});
