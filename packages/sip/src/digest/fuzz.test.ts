import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatAuthValue, scanAuthValue } from './auth-params.js';
import { parseChallenge, serializeChallenge } from './challenge.js';
import { parseCredentials, serializeCredentials } from './credentials.js';
import { DigestServer } from './digest-server.js';
import { DigestParseError } from './errors.js';
import { NonceCountTracker } from './nonce-count-tracker.js';
import { NonceManager } from './nonce-manager.js';

/** Runs `parse`; success or a DigestParseError are fine, anything else fails the property. */
function onlyParseErrors(parse: (s: string) => unknown, input: string): void {
  try {
    parse(input);
  } catch (error) {
    if (!(error instanceof DigestParseError)) throw error;
    assert.equal(typeof error.code, 'string');
  }
}

const parsers = { scanAuthValue, parseChallenge, parseCredentials };

// Strings heavy in the characters the grammar cares about.
const grammarChar = fc.constantFrom(
  ...'Digest realm nonce="\\,= \t\r\n\u0000\u007f\u00e4qop=auth nc=00000001 username uri response'.split(''),
);
const grammarString = fc.array(grammarChar, { maxLength: 80 }).map((a) => a.join(''));

const VALID_CREDENTIALS =
  'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
  'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"';

/** A valid value with a few random edits. */
const mutated = fc
  .array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 4 })
  .map((edits) => {
    let s = VALID_CREDENTIALS;
    for (const [at, remove, insert] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + insert + s.slice(i + remove);
    }
    return s;
  });

// Quoted-string content: anything but control characters (which the writer refuses).
const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ''));
const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);

describe('fuzz: parsers throw only DigestParseError', () => {
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: arbitrary strings`, () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => onlyParseErrors(parse, s)), {
        numRuns: 2000,
      });
    });

    it(`${name}: grammar-shaped strings`, () => {
      fc.assert(fc.property(grammarString, (s) => onlyParseErrors(parse, `Digest ${s}`)), { numRuns: 3000 });
    });

    it(`${name}: mutations of a valid value`, () => {
      fc.assert(fc.property(mutated, (s) => onlyParseErrors(parse, s)), { numRuns: 2000 });
    });
  }
});

describe('fuzz: round trips', () => {
  it('formatAuthValue then scanAuthValue gives the same parameters', () => {
    const params = fc.uniqueArray(fc.record({ name: token, value: text, quoted: fc.boolean() }), {
      minLength: 1,
      maxLength: 6,
      selector: (p) => p.name.toLowerCase(),
    });
    fc.assert(
      fc.property(params, (ps) => {
        const written = formatAuthValue('Digest', ps);
        assert.deepEqual(
          scanAuthValue(written).params,
          ps.map((p) => ({ name: p.name.toLowerCase(), value: p.value })),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('serializeChallenge then parseChallenge is the identity', () => {
    fc.assert(
      fc.property(
        fc.record({ realm: text, nonce: text, opaque: fc.option(text, { nil: undefined }), stale: fc.boolean() }),
        (init) => {
          const { opaque, ...rest } = init;
          const c = parseChallenge(serializeChallenge({ ...rest, ...(opaque === undefined ? {} : { opaque }) }));
          assert.equal(c.realm, init.realm);
          assert.equal(c.nonce, init.nonce);
          assert.equal(c.opaque, opaque);
          assert.equal(c.stale, init.stale);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('serializeCredentials then parseCredentials is the identity', () => {
    fc.assert(
      fc.property(
        fc.record({ username: text, realm: text, nonce: text, uri: text, response: text, cnonce: text }),
        (init) => {
          const value = { ...init, qop: 'auth', nc: '0000002a', extensions: [] };
          assert.deepEqual(parseCredentials(serializeCredentials(value)), value);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz: server and nonces', () => {
  const server = new DigestServer({ realm: 'example.com', secret: randomBytes(32) });
  const lookupHa1 = () => undefined;

  it('DigestServer.verify never throws and never says ok on garbage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), mutated, grammarString), async (s) => {
        const result = await server.verify({ credentials: s, method: 'REGISTER', lookupHa1 });
        assert.equal(result.ok, false);
      }),
      { numRuns: 1000 },
    );
  });

  it('NonceManager never calls a random string valid', () => {
    const nonces = new NonceManager({ secret: randomBytes(32) });
    const base64ish = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
    fc.assert(
      fc.property(fc.oneof(base64ish, fc.string({ unit: 'binary' })), (s) => {
        assert.equal(nonces.check(s, 'r'), 'invalid');
      }),
      { numRuns: 2000 },
    );
  });

  it('NonceCountTracker agrees with a simple model: each count once, late ones only within the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 200 }), (counts) => {
        const tracker = new NonceCountTracker({ window: 32, clock: () => 0 });
        const seen = new Set<number>();
        let highest = 0;
        for (const nc of counts) {
          const verdict = tracker.accept({ nonce: 'n', nc, issuedAt: 0, expiresAt: 1 });
          const expected = !seen.has(nc) && (nc > highest || highest - nc < 32) ? 'fresh' : 'replay';
          assert.equal(verdict, expected, `nc ${nc} after ${[...seen].join(',')}`);
          if (verdict === 'fresh') {
            seen.add(nc);
            highest = Math.max(highest, nc);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
