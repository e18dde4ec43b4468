import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerChallenge } from './answer-challenge.js';
import { computeHa1 } from './compute.js';
import { parseCredentials } from './credentials.js';
import { DigestClient } from './digest-client.js';
import { DigestError, DigestParseError } from './errors.js';
import { pickChallenge } from './pick-challenge.js';

const OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const common = `realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="${OPAQUE}"`;
// RFC 7616 §3.9.1: the server offers SHA-256 first, then MD5.
const RFC7616_CHALLENGES = [`Digest ${common}, algorithm=SHA-256`, `Digest ${common}, algorithm=MD5`];
const RFC7616_REQUEST = {
  method: 'GET',
  uri: '/dir/index.html',
  username: 'Mufasa',
  password: 'Circle of Life',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

describe('answerChallenge: published vectors', () => {
  it('RFC 7616 §3.9.1 SHA-256 Authorization', () => {
    const value = answerChallenge({ challenge: RFC7616_CHALLENGES[0], ...RFC7616_REQUEST });
    assert.deepEqual(parseCredentials(value), {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: '/dir/index.html',
      algorithm: 'SHA-256',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      qop: 'auth',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
      opaque: OPAQUE,
      extensions: [],
    });
  });

  it('RFC 7616 §3.9.1 MD5 Authorization', () => {
    const value = answerChallenge({ challenge: RFC7616_CHALLENGES[1], ...RFC7616_REQUEST });
    assert.equal(parseCredentials(value).response, '8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2617 §3.5 Authorization (no algorithm parameter = MD5)', () => {
    const value = answerChallenge({
      challenge:
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: '0a4f113b',
    });
    const c = parseCredentials(value);
    assert.equal(c.response, '6629fae49393a05397450978507c4ef1');
    assert.equal(c.algorithm, undefined);
    assert.equal(c.opaque, '5ccc069c403ebaf9f0171e9517f40e41');
  });

  it('RFC 7616 §3.9.2 userhash with SHA-512/256 proper (erratum 4897 values)', () => {
    const value = answerChallenge({
      challenge:
        'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", ' +
        'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true',
      method: 'GET',
      uri: '/doe.json',
      username: 'J\u00e4s\u00f8n Doe',
      password: 'Secret, or not?',
      cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
    });
    const c = parseCredentials(value);
    assert.equal(c.userhash, true);
    assert.equal(c.username, '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b');
    assert.equal(c.response, '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
  });

  it('accepts an HA1 instead of the password', () => {
    const ha1 = computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const { password: _, ...rest } = RFC7616_REQUEST;
    const value = answerChallenge({ challenge: RFC7616_CHALLENGES[0], ...rest, ha1 });
    assert.equal(parseCredentials(value).response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('answers an RFC 2069 challenge without qop, nc or cnonce', () => {
    const c = parseCredentials(
      answerChallenge({ challenge: 'Digest realm="r", nonce="n"', method: 'REGISTER', uri: 'sip:r', username: 'u', password: 'p' }),
    );
    assert.equal(c.qop, undefined);
    assert.equal(c.nc, undefined);
    assert.equal(c.cnonce, undefined);
  });

  it('fails with typed errors', () => {
    const request = { method: 'REGISTER', uri: 'sip:r', username: 'u', password: 'p' };
    assert.throws(
      () => answerChallenge({ challenge: 'Digest realm="r", nonce="n", algorithm=SHA3', ...request }),
      (e: unknown) => e instanceof DigestError && e.code === 'unsupported-algorithm',
    );
    assert.throws(
      () => answerChallenge({ challenge: 'Digest realm="r", nonce="n", qop="auth-conf"', ...request }),
      (e: unknown) => e instanceof DigestError && e.code === 'unsupported-qop',
    );
    assert.throws(() => answerChallenge({ challenge: 'Digest realm="r', ...request }), DigestParseError);
    assert.throws(() => answerChallenge({ challenge: 'Digest realm="r", nonce="n"', method: 'A', uri: 'u', username: 'u' }), TypeError);
  });
});

describe('pickChallenge', () => {
  it('prefers SHA-2 over MD5 whatever the order, and the server order among SHA-2', () => {
    assert.equal(pickChallenge([...RFC7616_CHALLENGES].reverse())?.algorithm, 'SHA-256');
    const both = [`Digest ${common}, algorithm=SHA-256`, `Digest ${common}, algorithm=SHA-512-256`];
    assert.equal(pickChallenge(both)?.algorithm, 'SHA-256');
    assert.equal(pickChallenge([...both].reverse())?.algorithm, 'SHA-512-256');
  });

  it('skips other schemes, broken values, unknown algorithms and qops', () => {
    const values = [
      'Basic realm="r"',
      'Digest realm="r',
      'Digest realm="r", nonce="n", algorithm=SHA3-256',
      'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth-conf"',
      'Digest realm="r", nonce="n", algorithm=md5, qop="auth"',
    ];
    assert.equal(pickChallenge(values)?.algorithm, 'md5');
    assert.equal(pickChallenge(values.slice(0, 4)), undefined);
  });

  it('honours the algorithms the caller allows and a realm', () => {
    assert.equal(pickChallenge(RFC7616_CHALLENGES, { algorithms: ['MD5'] })?.algorithm, 'MD5');
    assert.equal(pickChallenge(RFC7616_CHALLENGES, { realm: 'elsewhere' }), undefined);
  });
});

describe('DigestClient', () => {
  const request = { method: 'REGISTER', uri: 'sip:example.com' };
  const challenge = (nonce: string, extra = '') => `Digest realm="example.com", nonce="${nonce}", algorithm=SHA-256, qop="auth"${extra}`;

  it('counts requests per nonce and starts again at 1 on a new nonce', () => {
    const client = new DigestClient({ username: 'alice', password: 'pw' });
    const nc = (values: string[]) => parseCredentials(values[0]).nc;
    assert.equal(nc(client.answer([challenge('n1')], request)), '00000001');
    assert.equal(nc(client.authorize(request)), '00000002');
    assert.equal(nc(client.authorize(request)), '00000003');
    assert.equal(nc(client.answer([challenge('n2', ', stale=TRUE')], request)), '00000001');
    assert.equal(nc(client.authorize(request)), '00000002');
    // Coming back to a nonce it still remembers, the count goes on.
    assert.equal(nc(client.answer([challenge('n1')], request)), '00000004');
  });

  it('uses a fresh cnonce each time', () => {
    const client = new DigestClient({ username: 'alice', password: 'pw' });
    const a = parseCredentials(client.answer([challenge('n')], request)[0]).cnonce;
    const b = parseCredentials(client.authorize(request)[0]).cnonce;
    assert.notEqual(a, b);
  });

  it('sends nothing before a challenge, and nothing after forget()', () => {
    const client = new DigestClient({ username: 'alice', password: 'pw' });
    assert.deepEqual(client.authorize(request), []);
    client.answer([challenge('n')], request);
    client.forget('example.com');
    assert.deepEqual(client.authorize(request), []);
  });

  it('answers only the algorithms it has an HA1 for', () => {
    const client = new DigestClient({ username: 'alice', ha1: { MD5: computeHa1('MD5', 'alice', 'example.com', 'pw') } });
    const values = [challenge('n'), challenge('n').replace('SHA-256', 'MD5')];
    assert.equal(parseCredentials(client.answer(values, request)[0]).algorithm, 'MD5');
    assert.throws(
      () => client.answer([challenge('n')], request),
      (e: unknown) => e instanceof DigestError && e.code === 'no-usable-challenge',
    );
  });

  it('refuses to be built without a secret', () => {
    assert.throws(() => new DigestClient({ username: 'alice' }), TypeError);
  });
});
