import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCredentials, serializeCredentials } from './credentials.js';
import { DigestParseError } from './errors.js';

const isCode = (code: string) => (e: unknown) => e instanceof DigestParseError && e.code === code;

// RFC 3261 §22.4 / RFC 2617 §3.5 shape.
const EXAMPLE =
  'Digest username="Mufasa",\r\n realm="testrealm@host.com",\r\n nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n' +
  ' uri="/dir/index.html",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce="0a4f113b",\r\n' +
  ' response="6629fae49393a05397450978507c4ef1",\r\n opaque="5ccc069c403ebaf9f0171e9517f40e41"';

describe('parseCredentials', () => {
  it('reads the RFC 2617 §3.5 example', () => {
    assert.deepEqual(parseCredentials(EXAMPLE), {
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      cnonce: '0a4f113b',
      nc: '00000001',
      qop: 'auth',
      extensions: [],
    });
  });

  it('reads algorithm, userhash, a quoted qop and unknown params', () => {
    const c = parseCredentials(
      'digest USERNAME="u", realm="r", nonce="n", uri="sip:r", response="ab", algorithm=sha-256, ' +
        'qop="AUTH", nc=0000000A, cnonce="c", userhash=FALSE, x-ext="1"',
    );
    assert.equal(c.algorithm, 'sha-256');
    assert.equal(c.qop, 'auth');
    assert.equal(c.nc, '0000000A');
    assert.equal(c.userhash, false);
    assert.deepEqual(c.extensions, [{ name: 'x-ext', value: '1' }]);
  });

  it('reads RFC 2069 credentials (no qop, nc, cnonce)', () => {
    const c = parseCredentials('Digest username="u", realm="r", nonce="n", uri="sip:r", response="ab"');
    assert.equal(c.qop, undefined);
    assert.equal(c.nc, undefined);
  });

  it('refuses incomplete or ill-typed credentials', () => {
    const full = 'username="u", realm="r", nonce="n", uri="sip:r", response="ab"';
    assert.throws(() => parseCredentials(`Basic ${full}`), isCode('unsupported-scheme'));
    for (const name of ['username', 'realm', 'nonce', 'uri', 'response']) {
      const without = full
        .split(', ')
        .filter((p) => !p.startsWith(`${name}=`))
        .join(', ');
      assert.throws(() => parseCredentials(`Digest ${without}`), isCode('missing-param'), name);
    }
    assert.throws(() => parseCredentials(`Digest ${full}, qop=auth, nc=00000001`), isCode('missing-param'));
    assert.throws(() => parseCredentials(`Digest ${full}, qop=auth, cnonce="c"`), isCode('missing-param'));
    assert.throws(() => parseCredentials(`Digest ${full}, qop=auth, cnonce="c", nc=1`), isCode('invalid-value'));
    assert.throws(() => parseCredentials(`Digest ${full}, qop=auth, cnonce="c", nc=0000000g`), isCode('invalid-value'));
    assert.throws(() => parseCredentials(`Digest ${full}, qop="auth,auth-int", cnonce="c", nc=00000001`), isCode('invalid-value'));
    assert.throws(() => parseCredentials(`Digest ${full}, username="v"`), isCode('duplicate-param'));
  });
});

describe('serializeCredentials', () => {
  it('quotes as RFC 3261 §25.1 does and round-trips', () => {
    const text = serializeCredentials({
      username: 'bob',
      realm: 'biloxi.com',
      nonce: 'n',
      uri: 'sip:bob@biloxi.com',
      response: '0123',
      algorithm: 'SHA-256',
      cnonce: 'c',
      opaque: 'o',
      qop: 'auth',
      nc: '00000001',
    });
    assert.equal(
      text,
      'Digest username="bob", realm="biloxi.com", nonce="n", uri="sip:bob@biloxi.com", response="0123", ' +
        'algorithm=SHA-256, cnonce="c", opaque="o", qop=auth, nc=00000001',
    );
    assert.deepEqual(parseCredentials(serializeCredentials(parseCredentials(EXAMPLE))), parseCredentials(EXAMPLE));
  });

  it('refuses to write a header-injecting username', () => {
    assert.throws(
      () => serializeCredentials({ username: 'a\r\nVia: x', realm: 'r', nonce: 'n', uri: 'u', response: 'r' }),
      TypeError,
    );
  });
});
