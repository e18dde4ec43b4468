import './test-env.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { ParleyConfig } from '../../config/index.js';
import type { StartedServer } from '../../standard-server.js';
import { bootstrap, call, sipRegister, start, tempDir, testConfig, type JsonReply } from './test-kit.js';

const ADMIN = { address: 'admin@example.com', password: 'Tulip-Ocean-42' };
const ALICE = { address: 'alice@example.com', password: 'Maple-River-42' };
const CAROL = { address: 'carol@example.com', password: 'Cedar-Stone-42' };

let dir: string;
let config: ParleyConfig;
let server: StartedServer;
let adminToken: string;

async function signIn(who: { address: string; password: string }): Promise<JsonReply> {
  return call(server, 'POST', '/api/v1/session', { json: who });
}

async function tokenOf(who: { address: string; password: string }): Promise<string> {
  const r = await signIn(who);
  assert.equal(r.status, 201, r.text);
  return r.body.token as string;
}

const admin = (method: string, path: string, json?: unknown) => call(server, method, `/api/v1/admin${path}`, { token: adminToken, json });

function assertError(r: JsonReply, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.error, code, r.text);
  assert.equal(typeof r.body.message, 'string');
  assert.deepEqual(Object.keys(r.body).sort(), ['error', 'message']);
  assert.doesNotMatch(r.text, /\bat .+\.(ts|js):\d+/, 'no stack trace');
}

before(async () => {
  dir = tempDir();
  config = testConfig(dir, {
    PARLEY_SECURITY_AUTH_FAILURES_PER_USER_PER_MINUTE: '3',
    PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000',
  });
  // The first administrator comes from the CLI (`parley user add … --admin`).
  await bootstrap(config, async (users) => {
    await users.addDomain('example.com');
    await users.addUser({ ...ADMIN, displayName: 'Admin', role: 'admin' });
    await users.addUser({ ...ALICE, displayName: 'Alice' });
    await users.addUser({ ...CAROL, enabled: false });
  });
  server = await start(config);
  adminToken = await tokenOf(ADMIN);
});

after(async () => {
  await server?.stop({ drainMs: 100 });
  rmSync(dir, { recursive: true, force: true });
});

test('sign-in: token, user and expiry in the body; an HttpOnly, Secure, SameSite=Strict cookie', async () => {
  const r = await signIn(ALICE);
  assert.equal(r.status, 201);
  assert.match(r.body.token, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(r.body.user, { address: 'alice@example.com', displayName: 'Alice', role: 'user' });
  const left = Date.parse(r.body.expiresAt) - Date.now();
  assert.ok(left > 11.9 * 3600_000 && left <= 12 * 3600_000, `12 h, got ${left} ms`);
  const cookie = String(r.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^parley_session=${r.body.token};`));
  for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=43200']) assert.ok(cookie.includes(attr), attr);
  assert.equal(r.headers['cache-control'], 'no-store');
  // The address is matched as the CLI does: any case, `sip:` allowed.
  assert.equal((await signIn({ address: 'SIP:Alice@Example.com', password: ALICE.password })).status, 201);
});

test('token and cookie both authenticate GET /me', async () => {
  const token = await tokenOf(ALICE);
  const byToken = await call(server, 'GET', '/api/v1/me', { token });
  assert.equal(byToken.status, 200);
  assert.deepEqual(byToken.body.user, { address: 'alice@example.com', displayName: 'Alice', role: 'user' });
  const byCookie = await call(server, 'GET', '/api/v1/me', { cookie: `theme=dark; parley_session=${token}` });
  assert.equal(byCookie.status, 200);
  assert.equal(byCookie.body.user.address, 'alice@example.com');
});

test('wrong password, unknown user, disabled user, malformed address: one and the same 401', async () => {
  const answers = [
    await signIn({ address: ALICE.address, password: 'Wrong-Secret-42' }),
    await signIn({ address: 'nobody@example.com', password: 'Wrong-Secret-42' }),
    await signIn(CAROL),
    await signIn({ address: 'not an address', password: 'Wrong-Secret-42' }),
  ];
  for (const r of answers) {
    assertError(r, 401, 'invalid-credentials');
    assert.equal(r.text, answers[0].text);
    assert.equal(r.headers['set-cookie'], undefined);
  }
});

test('failed sign-ins for one address are throttled: 429 with Retry-After, even with the right password', async () => {
  const who = 'mallory@example.com';
  for (let i = 0; i < 3; i++) assertError(await signIn({ address: who, password: `Wrong-${i}-Secret` }), 401, 'invalid-credentials');
  const locked = await signIn({ address: who, password: 'Wrong-3-Secret' });
  assertError(locked, 429, 'too-many-attempts');
  assert.equal(locked.headers['retry-after'], '300');
  assertError(await signIn({ address: who, password: 'Wrong-4-Secret' }), 429, 'too-many-attempts');
  // Other addresses from the same source are not affected (the per-source limit is high here).
  assert.equal((await signIn(ALICE)).status, 201);
});

test('no session, a bad token, an expired one: 401; a non-admin: 403', async () => {
  assertError(await call(server, 'GET', '/api/v1/me'), 401, 'unauthenticated');
  assertError(await call(server, 'GET', '/api/v1/me', { token: 'A'.repeat(43) }), 401, 'unauthenticated');
  assertError(await call(server, 'GET', '/api/v1/admin/users'), 401, 'unauthenticated');
  // Authentication comes before validation: no hints about the schema for strangers.
  assertError(await call(server, 'POST', '/api/v1/admin/users', { json: {} }), 401, 'unauthenticated');
  const alice = await tokenOf(ALICE);
  for (const [method, path] of [
    ['GET', '/users'],
    ['GET', '/domains'],
    ['POST', '/domains'],
    ['DELETE', '/users/admin@example.com'],
    ['GET', '/registrations'],
    ['GET', '/status'],
  ]) {
    assertError(await call(server, method, `/api/v1/admin${path}`, { token: alice, json: method === 'POST' ? { name: 'x.org' } : undefined }), 403, 'forbidden');
  }
});

test('sign-out ends the session for token and cookie alike, and clears the cookie', async () => {
  const token = await tokenOf(ALICE);
  const out = await call(server, 'DELETE', '/api/v1/session', { token });
  assert.equal(out.status, 204);
  assert.match(String(out.headers['set-cookie']), /^parley_session=; Path=\/; Max-Age=0;/);
  assertError(await call(server, 'GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  assertError(await call(server, 'GET', '/api/v1/me', { cookie: `parley_session=${token}` }), 401, 'unauthenticated');
  assert.equal((await call(server, 'DELETE', '/api/v1/session', { token })).status, 204, 'idempotent');
});

test('a cookie-authenticated change from another origin is refused; the same origin passes', async () => {
  const cookie = `parley_session=${adminToken}`;
  const evil = await call(server, 'POST', '/api/v1/admin/domains', { cookie, json: { name: 'evil.example' }, headers: { origin: 'https://evil.example' } });
  assertError(evil, 403, 'forbidden');
  const origin = `https://127.0.0.1:${server.ports.https}`;
  const ok = await call(server, 'POST', '/api/v1/admin/domains', { cookie, json: { name: 'same-origin.example' }, headers: { origin } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal((await admin('DELETE', '/domains/same-origin.example')).status, 204);
});

test('admin: domains — list, add, duplicate 409, malformed 400, unknown 404, in use 409, force', async () => {
  const list = await admin('GET', '/domains');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.domains.map((d: { name: string }) => d.name), ['example.com']);
  assert.equal(list.body.domains[0].isDefault, true);

  const added = await admin('POST', '/domains', { name: 'Example.ORG' });
  assert.equal(added.status, 201);
  assert.equal(added.body.domain.name, 'example.org');
  assert.equal(added.headers.location, '/api/v1/admin/domains/example.org');
  assertError(await admin('POST', '/domains', { name: 'example.org' }), 409, 'duplicate-domain');
  assertError(await admin('POST', '/domains', { name: 'bad_domain!' }), 400, 'invalid');
  assertError(await admin('POST', '/domains', { nom: 'x.org' }), 400, 'invalid-request');
  assertError(await admin('DELETE', '/domains/nowhere.example'), 404, 'unknown-domain');

  assert.equal((await admin('POST', '/users', { address: 'dave@example.org', generatePassword: true })).status, 201);
  assertError(await admin('DELETE', '/domains/example.org'), 409, 'domain-in-use');
  assertError(await admin('DELETE', '/domains/example.org?force=maybe'), 400, 'invalid-request');
  assert.equal((await admin('DELETE', '/domains/example.org?force=true')).status, 204);
  assertError(await admin('GET', '/users/dave@example.org'), 404, 'not-found');
  // Forcing out the domain of every administrator would lock them all out.
  assertError(await admin('DELETE', '/domains/example.com?force=true'), 409, 'last-admin');
});

test('admin: users — create, duplicate 409, weak 400, unknown domain 404, malformed 400, generated password', async () => {
  const created = await admin('POST', '/users', { address: 'Bob@Example.com', displayName: 'Bob', password: 'Amber-Field-4242' });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.user.address, 'bob@example.com');
  assert.equal(created.body.user.role, 'user');
  assert.equal(created.body.user.enabled, true);
  assert.equal(created.body.password, undefined, 'a chosen password is not echoed');
  assert.equal(created.headers.location, '/api/v1/admin/users/bob%40example.com');
  assert.doesNotMatch(created.text, /ha1|scrypt|passwordHash|credentials/i, 'no secrets');

  assertError(await admin('POST', '/users', { address: 'bob@example.com', password: 'Amber-Field-4242' }), 409, 'duplicate-user');
  assertError(await admin('POST', '/users', { address: 'erin@example.com', password: 'short' }), 400, 'weak-password');
  assertError(await admin('POST', '/users', { address: 'erin@example.com' }), 400, 'weak-password');
  assertError(await admin('POST', '/users', { address: 'erin@nowhere.example', password: 'Quiet-Harbor-4242' }), 404, 'unknown-domain');
  assertError(await admin('POST', '/users', { address: 'erin-at-example.com', password: 'Quiet-Harbor-4242' }), 400, 'malformed-address');
  assertError(await admin('POST', '/users', { address: 'erin@example.com', password: 'Quiet-Harbor-4242', role: 'root' }), 400, 'invalid-request');
  assertError(await admin('POST', '/users', { displayName: 'nobody' }), 400, 'invalid-request');

  const gen = await admin('POST', '/users', { address: 'frank@example.com', generatePassword: true, role: 'admin' });
  assert.equal(gen.status, 201);
  assert.match(gen.body.password, /^.{16}$/);
  const frank = await signIn({ address: 'frank@example.com', password: gen.body.password });
  assert.equal(frank.status, 201);
  assert.equal(frank.body.user.role, 'admin');
  assert.equal((await call(server, 'GET', '/api/v1/admin/status', { token: frank.body.token })).status, 200);
  assert.equal((await admin('GET', '/users/frank@example.com')).body.user.role, 'admin');
  assert.equal((await admin('DELETE', '/users/frank%40example.com')).status, 204);
  assertError(await call(server, 'GET', '/api/v1/me', { token: frank.body.token }), 401, 'unauthenticated');
});

test('admin: users — paged list with search and total; one user; unknown 404', async () => {
  for (let i = 0; i < 5; i++) await admin('POST', '/users', { address: `page${i}@example.com`, password: 'Page-Secret-4242' });
  const page = await admin('GET', '/users?search=page&limit=2&offset=1');
  assert.equal(page.status, 200);
  assert.equal(page.body.total, 5);
  assert.deepEqual(page.body.users.map((u: { address: string }) => u.address), ['page1@example.com', 'page2@example.com']);
  assert.deepEqual([page.body.limit, page.body.offset], [2, 1]);
  const all = await admin('GET', '/users');
  assert.equal(all.body.total, all.body.users.length);
  assert.ok(all.body.users.some((u: { address: string }) => u.address === 'alice@example.com'));
  assertError(await admin('GET', '/users?limit=0'), 400, 'invalid-request');
  assertError(await admin('GET', '/users?limit=lots'), 400, 'invalid-request');
  const one = await admin('GET', '/users/alice@example.com');
  assert.equal(one.body.user.displayName, 'Alice');
  assertError(await admin('GET', '/users/ghost@example.com'), 404, 'not-found');
  assertError(await admin('GET', '/users/ghost'), 400, 'malformed-address');
});

test('admin: PATCH and password reset end the user\'s sessions where they should', async () => {
  await admin('POST', '/users', { address: 'gina@example.com', password: 'Silver-Brook-4242' });
  const gina = await tokenOf({ address: 'gina@example.com', password: 'Silver-Brook-4242' });

  const renamed = await admin('PATCH', '/users/gina@example.com', { displayName: 'Gina G.', role: 'admin' });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.user.displayName, 'Gina G.');
  assert.equal(renamed.body.user.role, 'admin');
  assert.equal((await call(server, 'GET', '/api/v1/admin/status', { token: gina })).status, 200, 'the role applies at once');
  assert.equal((await admin('PATCH', '/users/gina@example.com', { role: 'user' })).body.user.role, 'user');
  assertError(await call(server, 'GET', '/api/v1/admin/status', { token: gina }), 403, 'forbidden');
  assertError(await admin('PATCH', '/users/gina@example.com', {}), 400, 'invalid-request');
  assertError(await admin('PATCH', '/users/ghost@example.com', { enabled: false }), 404, 'not-found');

  const reset = await admin('POST', '/users/gina@example.com/password', { generatePassword: true });
  assert.equal(reset.status, 200);
  assertError(await call(server, 'GET', '/api/v1/me', { token: gina }), 401, 'unauthenticated');
  assertError(await signIn({ address: 'gina@example.com', password: 'Silver-Brook-4242' }), 401, 'invalid-credentials');
  const again = await tokenOf({ address: 'gina@example.com', password: reset.body.password });
  assertError(await admin('POST', '/users/gina@example.com/password', { password: 'gina1234' }), 400, 'weak-password');

  const disabled = await admin('PATCH', '/users/gina@example.com', { enabled: false });
  assert.equal(disabled.body.user.enabled, false);
  assertError(await call(server, 'GET', '/api/v1/me', { token: again }), 401, 'unauthenticated');
  assertError(await signIn({ address: 'gina@example.com', password: reset.body.password }), 401, 'invalid-credentials');
  assert.equal((await admin('PATCH', '/users/gina@example.com', { enabled: true })).body.user.enabled, true);
  assert.equal((await signIn({ address: 'gina@example.com', password: reset.body.password })).status, 201);

  // An admin resetting their own password keeps the session they did it from.
  const own = await admin('POST', '/users/admin@example.com/password', { password: ADMIN.password });
  assert.equal(own.status, 200);
  assert.equal((await call(server, 'GET', '/api/v1/me', { token: adminToken })).status, 200);
});

test('the last enabled administrator cannot be disabled, demoted or removed', async () => {
  assertError(await admin('PATCH', '/users/admin@example.com', { enabled: false }), 409, 'last-admin');
  assertError(await admin('PATCH', '/users/admin@example.com', { role: 'user' }), 409, 'last-admin');
  assertError(await admin('DELETE', '/users/admin@example.com'), 409, 'last-admin');
  assert.equal((await call(server, 'GET', '/api/v1/me', { token: adminToken })).body.user.role, 'admin');
});

test('errors: unknown API path 404, bad JSON 400, wrong content type 415 — all JSON from the one table', async () => {
  assertError(await call(server, 'GET', '/api/v1/nothing'), 404, 'not-found');
  assertError(await admin('GET', '/nothing'), 404, 'not-found');
  assertError(await call(server, 'POST', '/api/v1/session', { raw: '{"address":' }), 400, 'invalid-request');
  assertError(
    await call(server, 'POST', '/api/v1/session', { raw: '<a/>', headers: { 'content-type': 'application/xml' } }),
    415,
    'unsupported-media-type',
  );
  assertError(await call(server, 'POST', '/api/v1/session', { json: { address: 'a@b.c' } }), 400, 'invalid-request');
  // The rest of the HTTPS server is untouched.
  assert.equal((await call(server, 'GET', '/healthz')).status, 200);
});

test('registrations: a device that REGISTERed over UDP shows with its user agent, transport and expiry', async () => {
  const ok = await sipRegister(server, { user: 'alice', domain: 'example.com', password: ALICE.password, userAgent: 'TestPhone/1.0', expires: 600 });
  assert.equal(ok.status, 200);
  const one = await admin('GET', '/registrations?address=alice@example.com');
  assert.equal(one.status, 200);
  assert.equal(one.body.total, 1);
  const [device] = one.body.registrations;
  assert.equal(device.address, 'alice@example.com');
  assert.equal(device.userAgent, 'TestPhone/1.0');
  assert.equal(device.transport, 'udp');
  assert.equal(device.remoteAddress, '127.0.0.1');
  assert.match(device.contact, /^sip:alice@127\.0\.0\.1:\d+$/);
  assert.ok(device.expiresInS > 590 && device.expiresInS <= 600, String(device.expiresInS));
  const all = await admin('GET', '/registrations');
  assert.equal(all.body.total, 1);
  assert.equal((await admin('GET', '/registrations?address=bob@example.com')).body.total, 0);

  const status = await admin('GET', '/status');
  assert.equal(status.status, 200);
  assert.equal(status.body.version, '0.1.0');
  assert.deepEqual(status.body.ports, server.ports);
  assert.equal(status.body.registrations.live, 1);
  assert.equal(status.body.domains, 1);
  assert.ok(status.body.users.total >= 4 && status.body.users.admins === 1);
  assert.equal(typeof status.body.transactionsActive, 'number');
  assert.equal(typeof status.body.uptimeS, 'number');
});

test('sessions survive a restart of the server', async () => {
  const alice = await tokenOf(ALICE);
  await server.stop({ drainMs: 100 });
  server = await start(config);
  const me = await call(server, 'GET', '/api/v1/me', { token: alice });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.address, 'alice@example.com');
  assert.equal((await admin('GET', '/status')).status, 200);
  // So do registrations, and the API sees them after the restart.
  assert.equal((await admin('GET', '/registrations?address=alice@example.com')).body.total, 1);
});
