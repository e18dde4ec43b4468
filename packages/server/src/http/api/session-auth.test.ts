import './test-env.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { UserService } from '../../services/users/index.js';
import { tempStore } from '../../testing/sqlite.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { hashToken, readCookie, SESSION_TTL_MS, SessionAuth, tokenOf, type SignInThrottleOptions } from './session-auth.js';
import { SessionRepo, type SessionsTable } from './session-repo.js';

const HOUR = 3600_000;
const PASSWORD = 'Maple-River-42';

/** What SessionAuth reads of a request: its headers. */
function requestWith(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}
const bearer = (token: string) => requestWith({ authorization: `Bearer ${token}` });

async function setup(throttle: SignInThrottleOptions = {}) {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const t = await tempStore(now);
  const users = new UserService(t.store);
  await users.addDomain('example.com');
  await users.addUser({ address: 'alice@example.com', password: PASSWORD });
  const repo = new SessionRepo(t.store);
  const auth = new SessionAuth(t.store, repo, throttle, now);
  const rows = () => t.store.db.withTables<{ sessions: SessionsTable }>().selectFrom('sessions').selectAll().execute();
  return { ...t, users, auth, rows, advance: (ms: number) => (clock += ms) };
}

async function rejectsWith(p: Promise<unknown>, code: ApiErrorCode): Promise<ApiError> {
  let caught: unknown;
  await p.catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof ApiError, `expected ApiError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

test('the store keeps only the SHA-256 of a token', async () => {
  const s = await setup();
  try {
    const { token } = await s.auth.signIn('alice@example.com', PASSWORD, { ip: '192.0.2.1', userAgent: 'Browser/1' });
    const [row] = await s.rows();
    assert.equal(row.token_hash, hashToken(token));
    assert.notEqual(row.token_hash, token);
    assert.ok(!JSON.stringify(await s.rows()).includes(token));
    assert.deepEqual([row.address, row.user_agent, row.remote_address], ['alice@example.com', 'Browser/1', '192.0.2.1']);
  } finally {
    await s.cleanup();
  }
});

test('12 hours, sliding: each use moves the expiry; 12 hours unused ends the session', async () => {
  const s = await setup();
  try {
    const { token } = await s.auth.signIn('alice@example.com', PASSWORD, { ip: '192.0.2.1' });
    s.advance(30_000);
    assert.equal((await s.auth.authenticate(bearer(token))).refreshed, false, 'written at most once a minute');
    s.advance(11 * HOUR);
    const used = await s.auth.authenticate(bearer(token));
    assert.equal(used.refreshed, true);
    s.advance(11 * HOUR);
    const cookie = await s.auth.authenticate(requestWith({ cookie: `parley_session=${token}` }));
    assert.equal(cookie.via, 'cookie');
    assert.equal(cookie.user.address, 'alice@example.com');
    s.advance(SESSION_TTL_MS);
    await rejectsWith(s.auth.authenticate(bearer(token)), 'unauthenticated');
    // The next sign-in sweeps the expired row away.
    await s.auth.signIn('alice@example.com', PASSWORD, { ip: '192.0.2.1' });
    assert.equal((await s.rows()).length, 1);
  } finally {
    await s.cleanup();
  }
});

test('removing a user removes their sessions (on delete cascade)', async () => {
  const s = await setup();
  try {
    const { token } = await s.auth.signIn('alice@example.com', PASSWORD, { ip: '192.0.2.1' });
    await s.users.removeUser('alice@example.com');
    assert.equal((await s.rows()).length, 0);
    await rejectsWith(s.auth.authenticate(bearer(token)), 'unauthenticated');
  } finally {
    await s.cleanup();
  }
});

test('failures per source IP lock that source out, whichever addresses it tries; other sources go on', async () => {
  const s = await setup({ perSource: 2, perAddress: 100, lockoutMs: 60_000 });
  try {
    const from = { ip: '198.51.100.7' };
    await rejectsWith(s.auth.signIn('a@example.com', 'Wrong-Pass-1', from), 'invalid-credentials');
    await rejectsWith(s.auth.signIn('b@example.com', 'Wrong-Pass-1', from), 'invalid-credentials');
    const locked = await rejectsWith(s.auth.signIn('c@example.com', 'Wrong-Pass-1', from), 'too-many-attempts');
    assert.equal(locked.retryAfterS, 60);
    await rejectsWith(s.auth.signIn('alice@example.com', PASSWORD, from), 'too-many-attempts');
    assert.ok((await s.auth.signIn('alice@example.com', PASSWORD, { ip: '198.51.100.8' })).token);
    s.advance(61_000);
    assert.ok((await s.auth.signIn('alice@example.com', PASSWORD, from)).token, 'the lock-out ends');
  } finally {
    await s.cleanup();
  }
});

test('tokens: Authorization wins over the cookie; malformed values are ignored', () => {
  const t = 'x'.repeat(43);
  assert.deepEqual(tokenOf(requestWith({ authorization: `bearer ${t}`, cookie: 'parley_session=' + 'y'.repeat(43) })), { token: t, via: 'bearer' });
  assert.equal(tokenOf(requestWith({ authorization: 'Basic YWxpY2U6cHc=' })), undefined);
  assert.equal(tokenOf(requestWith({ cookie: 'parley_session=short' })), undefined);
  assert.equal(tokenOf(requestWith({ cookie: `parley_session=${t};x=1` }))?.via, 'cookie');
  assert.equal(readCookie('a=1; parley_session = v ; b=2', 'parley_session'), 'v');
  assert.equal(readCookie(undefined, 'a'), undefined);
});
