import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as digest from './index.js';

describe('digest public API', () => {
  it('exports the documented values', () => {
    for (const name of [
      'parseChallenge',
      'serializeChallenge',
      'parseCredentials',
      'serializeCredentials',
      'computeHa1',
      'computeResponse',
      'computeUserhash',
      'hashBody',
      'formatNc',
      'NonceManager',
      'NonceCountTracker',
      'DigestServer',
      'DigestClient',
      'answerChallenge',
      'pickChallenge',
      'DigestError',
      'DigestParseError',
      'DIGEST_ALGORITHMS',
    ]) {
      assert.ok(name in digest, `${name} is exported`);
    }
    // Test-only instrumentation stays private.
    assert.ok(!('hashOperationCount' in digest));
  });

  it('documents every error code in errors.ts', () => {
    // Run from src (tsx) or from dist (compiled): the comments live in the .ts source.
    const candidates = [new URL('./errors.ts', import.meta.url), new URL('../../src/digest/errors.ts', import.meta.url)];
    const file = candidates.find((u) => existsSync(u));
    assert.ok(file, 'errors.ts found');
    const source = readFileSync(file, 'utf8');
    for (const code of digest.DIGEST_ERROR_CODES) {
      assert.match(source, new RegExp(`/\\*\\*[^*]*\\*/\\s*\\| '${code}'`), `${code} has a doc comment`);
    }
  });

  it('error classes carry their code and name', () => {
    const e = new digest.DigestParseError('syntax', 'bad', 3);
    assert.ok(e instanceof digest.DigestError && e instanceof Error);
    assert.equal(e.code, 'syntax');
    assert.equal(e.name, 'DigestParseError');
    assert.equal(e.position, 3);
  });
});
