import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { computeHa1, computeResponse, computeUserhash, formatNc, hashBody } from './compute.js';

// RFC 2617 §3.5 (password "Circle Of Life", capital O).
const RFC2617 = {
  username: 'Mufasa',
  realm: 'testrealm@host.com',
  password: 'Circle Of Life',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
  uri: '/dir/index.html',
  cnonce: '0a4f113b',
  response: '6629fae49393a05397450978507c4ef1',
};

// RFC 7616 §3.9.1 (password "Circle of Life", small o: erratum 4495).
const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  md5: '8ca523f5e9506fed4657c9700eebdbec',
  sha256: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
};

describe('computeResponse: published vectors', () => {
  it('RFC 2617 §3.5, MD5, qop=auth', () => {
    const ha1 = computeHa1('MD5', RFC2617.username, RFC2617.realm, RFC2617.password);
    const response = computeResponse({
      algorithm: 'MD5',
      ha1,
      method: 'GET',
      uri: RFC2617.uri,
      nonce: RFC2617.nonce,
      nc: '00000001',
      cnonce: RFC2617.cnonce,
      qop: 'auth',
    });
    assert.equal(response, RFC2617.response);
  });

  for (const [algorithm, expected] of [
    ['MD5', RFC7616.md5],
    ['SHA-256', RFC7616.sha256],
  ] as const) {
    it(`RFC 7616 §3.9.1, ${algorithm}`, () => {
      const ha1 = computeHa1(algorithm, RFC7616.username, RFC7616.realm, RFC7616.password);
      const response = computeResponse({
        algorithm,
        ha1,
        method: 'GET',
        uri: RFC7616.uri,
        nonce: RFC7616.nonce,
        nc: 1,
        cnonce: RFC7616.cnonce,
        qop: 'auth',
      });
      assert.equal(response, expected);
    });
  }

  // RFC 7616 §3.9.2 publishes userhash 488869477b… and response ae66e67d…,
  // but those were computed with the first 256 bits of SHA-512, not with
  // SHA-512/256 (FIPS 180-4, which §3.2 names); erratum 4897 reports it. We
  // show both: the published numbers come out of truncated SHA-512, and
  // SHA-512-256 proper gives the erratum's numbers.
  const rfc7616_392 = {
    username: 'J\u00e4s\u00f8n Doe',
    realm: 'api@example.org',
    password: 'Secret, or not?',
    nonce: '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK',
    uri: '/doe.json',
    cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
  };

  it('RFC 7616 §3.9.2 published values are truncated SHA-512 (erratum 4897)', () => {
    const h = (s: string) => createHash('sha512').update(s, 'utf8').digest('hex').slice(0, 64);
    const v = rfc7616_392;
    assert.equal(h(`${v.username}:${v.realm}`), '488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec');
    const ha1 = h(`${v.username}:${v.realm}:${v.password}`);
    const response = h(`${ha1}:${v.nonce}:00000001:${v.cnonce}:auth:${h(`GET:${v.uri}`)}`);
    assert.equal(response, 'ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd');
  });

  it('RFC 7616 §3.9.2 with SHA-512/256 proper', () => {
    const v = rfc7616_392;
    const ha1 = computeHa1('SHA-512-256', v.username, v.realm, v.password);
    const response = computeResponse({
      algorithm: 'SHA-512-256',
      ha1,
      method: 'GET',
      uri: v.uri,
      nonce: v.nonce,
      nc: 1,
      cnonce: v.cnonce,
      qop: 'auth',
    });
    assert.equal(response, '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
    assert.equal(
      computeUserhash('SHA-512-256', v.username, v.realm),
      createHash('sha512-256').update(`${v.username}:${v.realm}`, 'utf8').digest('hex'),
    );
  });
});

describe('computeResponse: forms', () => {
  const base = { algorithm: 'SHA-256', method: 'REGISTER', uri: 'sip:example.com', nonce: 'n' } as const;
  const ha1 = computeHa1('SHA-256', 'alice', 'example.com', 'pw');
  const h = (s: string) => createHash('sha256').update(s).digest('hex');

  it('RFC 2069 form without qop: H(HA1:nonce:H(A2))', () => {
    assert.equal(computeResponse({ ...base, ha1 }), h(`${ha1}:n:${h('REGISTER:sip:example.com')}`));
  });

  it('auth-int puts H(body) in A2', () => {
    const bodyHash = hashBody('SHA-256', 'v=0\r\n');
    const r = computeResponse({ ...base, ha1, qop: 'auth-int', nc: 1, cnonce: 'c', bodyHash });
    assert.equal(r, h(`${ha1}:n:00000001:c:auth-int:${h(`REGISTER:sip:example.com:${bodyHash}`)}`));
    assert.equal(hashBody('SHA-256', new Uint8Array()), h(''));
  });

  it('uses a string nc exactly as sent', () => {
    const upper = computeResponse({ ...base, ha1, qop: 'auth', nc: '0000000A', cnonce: 'c' });
    const lower = computeResponse({ ...base, ha1, qop: 'auth', nc: 10, cnonce: 'c' });
    assert.notEqual(upper, lower);
    assert.equal(lower, computeResponse({ ...base, ha1, qop: 'auth', nc: '0000000a', cnonce: 'c' }));
  });

  it('accepts an upper-case HA1', () => {
    const a = computeResponse({ ...base, ha1, qop: 'auth', nc: 1, cnonce: 'c' });
    assert.equal(computeResponse({ ...base, ha1: ha1.toUpperCase(), qop: 'auth', nc: 1, cnonce: 'c' }), a);
  });

  it('refuses misuse with TypeError', () => {
    assert.throws(() => computeResponse({ ...base, ha1: 'abc' }), TypeError);
    assert.throws(() => computeResponse({ ...base, ha1: computeHa1('MD5', 'a', 'b', 'c') }), TypeError);
    assert.throws(() => computeResponse({ ...base, ha1, qop: 'auth' }), TypeError);
    assert.throws(() => computeResponse({ ...base, ha1, qop: 'auth-int', nc: 1, cnonce: 'c' }), TypeError);
    // @ts-expect-error: not an algorithm
    assert.throws(() => computeHa1('SHA-1', 'a', 'b', 'c'), TypeError);
  });

  it('formatNc writes 8 lowercase hex digits and refuses out-of-range counts', () => {
    assert.equal(formatNc(1), '00000001');
    assert.equal(formatNc(0xabc), '00000abc');
    assert.equal(formatNc(0xffffffff), 'ffffffff');
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) assert.throws(() => formatNc(bad), TypeError);
  });
});
