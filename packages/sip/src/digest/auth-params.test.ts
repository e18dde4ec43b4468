import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAuthValue, isToken, quoteString, scanAuthValue } from './auth-params.js';
import { DigestParseError, MAX_AUTH_VALUE_LENGTH } from './errors.js';

function parseError(input: string, code: string): void {
  assert.throws(
    () => scanAuthValue(input),
    (e: unknown) => e instanceof DigestParseError && e.code === code,
    `${JSON.stringify(input)} should fail with ${code}`,
  );
}

describe('scanAuthValue', () => {
  it('reads tokens and quoted strings, lowercasing names only', () => {
    const v = scanAuthValue('Digest Realm="Atlanta.com", NONCE=abc, Algorithm=SHA-256');
    assert.equal(v.scheme, 'Digest');
    assert.deepEqual(v.params, [
      { name: 'realm', value: 'Atlanta.com' },
      { name: 'nonce', value: 'abc' },
      { name: 'algorithm', value: 'SHA-256' },
    ]);
  });

  it('unescapes quoted-pairs', () => {
    const v = scanAuthValue('Digest realm="a\\"b\\\\c\\d"');
    assert.equal(v.params[0].value, 'a"b\\cd');
  });

  it('keeps commas and equals signs inside quotes', () => {
    const v = scanAuthValue('Digest qop="auth,auth-int", opaque="x=1, y=2"');
    assert.deepEqual(
      v.params.map((p) => p.value),
      ['auth,auth-int', 'x=1, y=2'],
    );
  });

  it('takes LWS around = and , including CRLF folds and tabs', () => {
    const v = scanAuthValue('  Digest\trealm \t=\r\n  "r" ,\r\n\tnonce=  "n"  ');
    assert.deepEqual(v.params, [
      { name: 'realm', value: 'r' },
      { name: 'nonce', value: 'n' },
    ]);
  });

  it('keeps a fold inside a quoted string as its whitespace', () => {
    assert.equal(scanAuthValue('Digest realm="a\r\n b"').params[0].value, 'a b');
  });

  it('accepts empty list elements and a trailing comma', () => {
    const v = scanAuthValue('Digest , realm="r",, nonce=n ,');
    assert.equal(v.params.length, 2);
  });

  it('accepts unquoted values a lenient peer sends (sip: URIs, base64)', () => {
    const v = scanAuthValue('Digest uri=sip:bob@biloxi.com;transport=tcp, nonce=ab/c+d==');
    assert.deepEqual(
      v.params.map((p) => p.value),
      ['sip:bob@biloxi.com;transport=tcp', 'ab/c+d=='],
    );
  });

  it('keeps non-ASCII text in quoted strings', () => {
    assert.equal(scanAuthValue('Digest username="J\u00e4s\u00f8n Doe"').params[0].value, 'J\u00e4s\u00f8n Doe');
  });

  it('refuses malformed input with typed errors', () => {
    parseError('', 'empty');
    parseError('   \t ', 'empty');
    parseError('x'.repeat(MAX_AUTH_VALUE_LENGTH + 1), 'too-long');
    parseError('Digest realm="abc', 'unterminated-quote');
    parseError('Digest realm="abc\\', 'unterminated-quote');
    parseError('Digest realm="r", realm="s"', 'duplicate-param');
    parseError('Digest realm="r", REALM="r"', 'duplicate-param');
    parseError('Digest realm', 'syntax');
    parseError('Digest realm=', 'syntax');
    parseError('Digest ="r"', 'syntax');
    parseError('Digest realm="r" nonce="n"', 'syntax');
    parseError('Digest realm="a\nb"', 'syntax');
    parseError('Digest realm="a\r\nb"', 'syntax');
    parseError('Digest realm="a\u0000b"', 'syntax');
    parseError('Digest realm="a\\\nb"', 'syntax');
    parseError('Digest realm=r\r\nnonce=n', 'syntax');
    parseError('Digest,realm=r', 'syntax');
    parseError('"Digest" realm=r', 'syntax');
  });

  it('refuses a non-string with TypeError', () => {
    assert.throws(() => scanAuthValue(42 as unknown as string), TypeError);
  });
});

describe('writing', () => {
  it('quoteString escapes " and \\ and refuses control characters', () => {
    assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
    assert.throws(() => quoteString('evil\r\nVia: x'), TypeError);
    assert.throws(() => quoteString('a\u0000'), TypeError);
  });

  it('isToken follows RFC 3261 token', () => {
    assert.ok(isToken('SHA-512-256'));
    assert.ok(isToken('00000001'));
    assert.ok(!isToken(''));
    assert.ok(!isToken('a b'));
    assert.ok(!isToken('a/b'));
  });

  it('formatAuthValue round-trips through scanAuthValue', () => {
    const text = formatAuthValue('Digest', [
      { name: 'realm', value: 'a "quoted" \\ realm', quoted: true },
      { name: 'algorithm', value: 'MD5' },
      { name: 'x-odd', value: 'has space' },
    ]);
    assert.equal(text, 'Digest realm="a \\"quoted\\" \\\\ realm", algorithm=MD5, x-odd="has space"');
    assert.deepEqual(scanAuthValue(text).params, [
      { name: 'realm', value: 'a "quoted" \\ realm' },
      { name: 'algorithm', value: 'MD5' },
      { name: 'x-odd', value: 'has space' },
    ]);
  });
});
