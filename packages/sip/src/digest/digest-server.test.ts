import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type DigestAlgorithm, hashOperationCount } from './algorithms.js';
import { answerChallenge } from './answer-challenge.js';
import { parseChallenge } from './challenge.js';
import { computeHa1 } from './compute.js';
import { parseCredentials, serializeCredentials } from './credentials.js';
import { DigestClient } from './digest-client.js';
import { DigestServer, type DigestServerOptions, type Ha1Lookup } from './digest-server.js';

const REALM = 'example.com';
const URI = 'sip:example.com';
const REGISTER = { method: 'REGISTER', uri: URI } as const;

/** A user store holding HA1 values only, as Parley's does. */
function store(users: Record<string, string>): Ha1Lookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = (username: string, realm: string, algorithm: DigestAlgorithm) => {
    calls.push(username);
    const password = Object.hasOwn(users, username) ? users[username] : undefined;
    return password === undefined ? undefined : computeHa1(algorithm, username, realm, password);
  };
  return Object.assign(lookup, { calls });
}

function setup(options: Partial<DigestServerOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const server = new DigestServer({ realm: REALM, secret: randomBytes(32), clock: () => clock.now, ...options });
  const lookupHa1 = store({ alice: 'wonderland', bob: 'builder' });
  const verify = (credentials: string | string[], request: { method: string; uri: string; body?: string } = REGISTER) =>
    server.verify({
      credentials,
      lookupHa1,
      method: request.method,
      requestUri: request.uri,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
  return { clock, server, lookupHa1, verify };
}

describe('DigestServer.challenge', () => {
  it('offers one challenge per algorithm, in preference order, with one fresh nonce', () => {
    const { server } = setup({ algorithms: ['SHA-512-256', 'SHA-256', 'MD5'] });
    const values = server.challenge();
    const parsed = values.map(parseChallenge);
    assert.deepEqual(
      parsed.map((c) => c.algorithm),
      ['SHA-512-256', 'SHA-256', 'MD5'],
    );
    assert.ok(parsed.every((c) => c.realm === REALM && c.nonce === parsed[0].nonce && !c.stale));
    assert.deepEqual(parsed[0].qop, ['auth']);
    assert.notEqual(parseChallenge(server.challenge()[0]).nonce, parsed[0].nonce);
    assert.match(values[1], /^Digest realm="example\.com", nonce="[A-Za-z0-9_-]{43}", algorithm=SHA-256, qop="auth"$/);
  });

  it('says stale=TRUE when asked', () => {
    const { server } = setup();
    assert.ok(server.challenge({ stale: true }).every((v) => parseChallenge(v).stale));
  });

  it('refuses bad options with TypeError', () => {
    const secret = randomBytes(32);
    assert.throws(() => new DigestServer({ realm: '', secret }), TypeError);
    assert.throws(() => new DigestServer({ realm: REALM, secret, algorithms: [] }), TypeError);
    assert.throws(() => new DigestServer({ realm: REALM, secret, algorithms: ['SHA-1' as DigestAlgorithm] }), TypeError);
    assert.throws(() => new DigestServer({ realm: REALM, secret: Buffer.alloc(4) }), TypeError);
  });
});

describe('DigestServer.verify with DigestClient', () => {
  for (const algorithm of ['MD5', 'SHA-256', 'SHA-512-256'] as const) {
    it(`Alice registers with ${algorithm}`, async () => {
      const { server, verify } = setup({ algorithms: [algorithm] });
      const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
      const [credentials] = alice.answer(server.challenge(), REGISTER);
      assert.equal(parseCredentials(credentials).algorithm, algorithm);
      assert.deepEqual(await verify(credentials), {
        ok: true,
        username: 'alice',
        realm: REALM,
        algorithm,
        qop: 'auth',
        nc: 1,
      });
    });
  }

  it('a client holding only HA1 values authenticates', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', ha1: { 'SHA-256': computeHa1('SHA-256', 'alice', REALM, 'wonderland') } });
    const result = await verify(alice.answer(server.challenge(), REGISTER));
    assert.equal(result.ok, true);
  });

  it('the client takes SHA-256 over MD5 whatever the order', async () => {
    const { server, verify } = setup({ algorithms: ['MD5', 'SHA-256'] });
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const result = await verify(alice.answer(server.challenge(), REGISTER));
    assert.ok(result.ok && result.algorithm === 'SHA-256');
  });

  it('an MD5-only phone still finds its challenge', async () => {
    const { server, verify } = setup();
    const phone = new DigestClient({ username: 'bob', password: 'builder', algorithms: ['MD5'] });
    const result = await verify(phone.answer(server.challenge(), REGISTER));
    assert.ok(result.ok && result.algorithm === 'MD5');
  });

  it('later requests on the same nonce count up and pass', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    await verify(alice.answer(server.challenge(), REGISTER));
    const second = await verify(alice.authorize(REGISTER));
    const third = await verify(alice.authorize({ method: 'INVITE', uri: 'sip:bob@example.com' }), {
      method: 'INVITE',
      uri: 'sip:bob@example.com',
    });
    assert.ok(second.ok && second.nc === 2);
    assert.ok(third.ok && third.nc === 3);
  });

  it('a replayed request is refused; out-of-order ones pass once', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const [first] = alice.answer(server.challenge(), REGISTER);
    const [second] = alice.authorize(REGISTER);
    const [third] = alice.authorize(REGISTER);
    assert.equal((await verify(first)).ok, true);
    assert.deepEqual(await verify(first), { ok: false, reason: 'replay', stale: true, username: 'alice' });
    assert.equal((await verify(third)).ok, true);
    assert.equal((await verify(second)).ok, true);
    assert.equal((await verify(second)).ok, false);
  });

  it('an expired nonce with a good response gets stale=true, and the retry passes without the user', async () => {
    const { clock, server, verify } = setup({ lifetimeMs: 60_000 });
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const [credentials] = alice.answer(server.challenge(), REGISTER);
    clock.now += 60_000;
    const result = await verify(credentials);
    assert.deepEqual(result, { ok: false, reason: 'stale', stale: true, username: 'alice' });
    const retry = alice.answer(server.challenge({ stale: result.stale }), REGISTER);
    assert.equal((await verify(retry)).ok, true);
  });

  it('an expired nonce with a wrong password is not stale (the user must be asked)', async () => {
    const { clock, server, verify } = setup({ lifetimeMs: 60_000 });
    const mallory = new DigestClient({ username: 'alice', password: 'guess' });
    const [credentials] = mallory.answer(server.challenge(), REGISTER);
    clock.now += 60_000;
    assert.deepEqual(await verify(credentials), { ok: false, reason: 'bad-response', stale: false, username: 'alice' });
  });

  it('a forged nonce is refused before the user store is asked', async () => {
    const { verify, lookupHa1 } = setup();
    const forged = 'Digest realm="example.com", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", algorithm=SHA-256, qop="auth"';
    const credentials = answerChallenge({ challenge: forged, ...REGISTER, username: 'alice', password: 'wonderland' });
    assert.deepEqual(await verify(credentials), { ok: false, reason: 'invalid-nonce', stale: false, username: 'alice' });
    const other = new DigestServer({ realm: REALM, secret: randomBytes(32) });
    const alien = answerChallenge({ challenge: other.challenge()[0], ...REGISTER, username: 'alice', password: 'wonderland' });
    assert.equal((await verify(alien)).ok, false);
    assert.deepEqual(lookupHa1.calls, []);
  });

  it('an unknown user and a wrong password look the same and cost the same hashing', async () => {
    const { server, verify, lookupHa1 } = setup();
    const wrong = new DigestClient({ username: 'alice', password: 'not-it' });
    const nobody = new DigestClient({ username: 'nobody', password: 'not-it' });
    const challenge = server.challenge();
    const wrongCredentials = wrong.answer(challenge, REGISTER);
    const nobodyCredentials = nobody.answer(challenge, REGISTER);

    let before = hashOperationCount();
    const a = await verify(wrongCredentials);
    const wrongWork = hashOperationCount() - before;
    before = hashOperationCount();
    const b = await verify(nobodyCredentials);
    const nobodyWork = hashOperationCount() - before;

    assert.ok(!a.ok && !b.ok);
    assert.equal(a.stale, b.stale);
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    assert.equal(a.reason, 'bad-response');
    assert.equal(b.reason, 'unknown-user');
    // The store computes an HA1 for alice (one hash) that it has none of for
    // nobody; the server's own work is what must match: H(A2) + response.
    assert.equal(wrongWork - 1, nobodyWork);
    assert.equal(nobodyWork, 2);
    assert.deepEqual(lookupHa1.calls, ['alice', 'nobody']);
  });

  it('checks that digest-uri is the Request-URI', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const credentials = alice.answer(server.challenge(), { method: 'REGISTER', uri: 'sip:other.example.com' });
    const result = await verify(credentials);
    assert.ok(!result.ok && result.reason === 'uri-mismatch');
    // Without requestUri, the uri is only hashed, and then it matches.
    const loose = await server.verify({ credentials, method: 'REGISTER', lookupHa1: store({ alice: 'wonderland' }) });
    assert.equal(loose.ok, true);
  });

  it('credentials for one method do not pass for another', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const credentials = alice.answer(server.challenge(), REGISTER);
    const result = await verify(credentials, { method: 'INVITE', uri: URI });
    assert.ok(!result.ok && result.reason === 'bad-response');
  });

  it('picks its realm among several credentials, else says unknown-realm', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const other = new DigestServer({ realm: 'other.org', secret: randomBytes(32) });
    const both = alice.answer([...other.challenge(), ...server.challenge()], REGISTER);
    assert.equal(both.length, 2);
    assert.equal((await verify(['Basic YWxhZGRpbjpvcGVuc2VzYW1l', ...both])).ok, true);
    const onlyOther = alice.answer(other.challenge(), REGISTER);
    assert.deepEqual(await verify(onlyOther), { ok: false, reason: 'unknown-realm', stale: false });
  });

  it('malformed credentials are malformed, never a throw', async () => {
    const { verify } = setup();
    for (const bad of ['', 'Digest', 'Digest username="a', 'Basic abc', 'Digest realm="example.com"']) {
      assert.deepEqual(await verify(bad), { ok: false, reason: 'malformed', stale: false });
    }
  });

  it('refuses an algorithm it did not offer', async () => {
    const { server, verify } = setup({ algorithms: ['SHA-256'] });
    const md5 = server.challenge()[0].replace('SHA-256', 'MD5');
    const credentials = answerChallenge({ challenge: md5, ...REGISTER, username: 'alice', password: 'wonderland' });
    const result = await verify(credentials);
    assert.ok(!result.ok && result.reason === 'unsupported-algorithm');
  });

  it('refuses credentials without qop unless RFC 2069 mode is on, and then uses each nonce once', async () => {
    const strict = setup();
    const legacy = (challenge: string) =>
      answerChallenge({ challenge: challenge.replace(/, qop="auth"/, ''), ...REGISTER, username: 'bob', password: 'builder' });
    const refused = await strict.verify(legacy(strict.server.challenge()[0]));
    assert.ok(!refused.ok && refused.reason === 'unsupported-qop');

    const lenient = setup({ allowNoQop: true });
    const credentials = legacy(lenient.server.challenge()[0]);
    assert.deepEqual(await lenient.verify(credentials), { ok: true, username: 'bob', realm: REALM, algorithm: 'SHA-256' });
    const again = await lenient.verify(credentials);
    assert.ok(!again.ok && again.stale);
  });

  it('refuses nc=00000000', async () => {
    const { server, verify } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const c = parseCredentials(alice.answer(server.challenge(), REGISTER)[0]);
    const result = await verify(serializeCredentials({ ...c, nc: '00000000' }));
    assert.ok(!result.ok && result.reason === 'unsupported-qop');
  });

  it('qop=auth-int covers the body', async () => {
    const { server, verify } = setup({ qop: 'auth-int' });
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n';
    const invite = { method: 'INVITE', uri: URI, body };
    const credentials = alice.answer(server.challenge(), invite);
    assert.equal(parseCredentials(credentials[0]).qop, 'auth-int');
    const result = await verify(credentials, invite);
    assert.ok(result.ok && result.qop === 'auth-int');
    const tampered = await verify(alice.authorize(invite), { ...invite, body: `${body}a=evil\r\n` });
    assert.ok(!tampered.ok && tampered.reason === 'bad-response');
  });

  it('accepts an async user store and an upper-case response', async () => {
    const { server } = setup();
    const alice = new DigestClient({ username: 'alice', password: 'wonderland' });
    const c = parseCredentials(alice.answer(server.challenge(), REGISTER)[0]);
    const result = await server.verify({
      credentials: serializeCredentials({ ...c, response: c.response.toUpperCase() }),
      ...REGISTER,
      requestUri: URI,
      lookupHa1: async (u, r, a) => computeHa1(a, u, r, 'wonderland'),
    });
    assert.equal(result.ok, true);
  });
});
