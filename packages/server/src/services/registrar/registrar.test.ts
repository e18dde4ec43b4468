import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { newBranch, newTag, parseMessage, SipRequest, type SipResponse } from '@parley/sip';
import { DigestClient } from '@parley/sip/digest';
import type { Flow } from '@parley/sip/transport';
import { StoreError } from '../../store/index.js';
import { tempStore } from '../../testing/sqlite.js';
import { Authenticator } from '../auth/index.js';
import { DomainResolver } from '../domains/index.js';
import { UserService } from '../users/index.js';
import { LocationService, Registrar } from './index.js';

const flow: Flow = { id: 'udp:1', protocol: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.1', remotePort: 40000 };

async function setup() {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const t = await tempStore(now);
  const users = new UserService(t.store);
  await users.addDomain('example.com');
  await users.addUser({ address: 'alice@example.com', password: 'Correct-Horse-9' });
  const domains = new DomainResolver(t.store, ['127.0.0.1', 'localhost'], 0, now);
  const auth = new Authenticator(t.store, { secret: randomBytes(32), now, perUserLimit: 3 });
  const location = new LocationService(t.store, now);
  const registrar = new Registrar(t.store, auth, domains, location, { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, now });
  return { ...t, registrar, location, auth, advance: (ms: number) => (clock += ms) };
}

let cseq = 1;
function register(opts: { user?: string; host?: string; contact?: string; expires?: number; headers?: string[]; callId?: string }): SipRequest {
  const user = opts.user ?? 'alice';
  const host = opts.host ?? 'example.com';
  const lines = [
    `REGISTER sip:${host} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:40000;branch=${newBranch()};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${host}>;tag=${newTag()}`,
    `To: <sip:${user}@${host}>`,
    `Call-ID: ${opts.callId ?? 'reg-test-1'}`,
    `CSeq: ${cseq++} REGISTER`,
    `Contact: ${opts.contact ?? '<sip:alice@127.0.0.1:40000>'}`,
    ...(opts.expires !== undefined ? [`Expires: ${opts.expires}`] : []),
    ...(opts.headers ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(lines.join('\r\n')).validate() as SipRequest;
}

async function withAuth(r: Registrar, make: () => SipRequest, password = 'Correct-Horse-9', username = 'alice'): Promise<SipResponse> {
  const first = (await r.handle(make(), flow)).response;
  if (first.status !== 401) return first;
  const client = new DigestClient({ username, password });
  const req = make();
  const [value] = client.answer(first.getAll('www-authenticate'), { method: 'REGISTER', uri: req.requestUri });
  req.append('Authorization', value);
  return (await r.handle(req, flow)).response;
}

test('REGISTER without credentials is challenged; with them, 200 lists the binding', async () => {
  const s = await setup();
  try {
    const res = await withAuth(s.registrar, () => register({}));
    assert.equal(res.status, 200);
    assert.match(res.get('contact') ?? '', /<sip:alice@127\.0\.0\.1:40000>;expires=3600/);
    assert.equal(s.location.lookup('alice@example.com').length, 1);
  } finally {
    await s.cleanup();
  }
});

test('unknown user and wrong password get the same answer (a new challenge), then 403 when throttled', async () => {
  const s = await setup();
  try {
    const wrong = await withAuth(s.registrar, () => register({}), 'Wrong-Password-1');
    const unknown = await withAuth(s.registrar, () => register({ user: 'mallory' }), 'Wrong-Password-1', 'mallory');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.getAll('www-authenticate').length, unknown.getAll('www-authenticate').length);
    let last: SipResponse | undefined;
    for (let i = 0; i < 4; i++) last = await withAuth(s.registrar, () => register({ user: 'mallory' }), 'x-Wrong-Password-2', 'mallory');
    assert.equal(last?.status, 403);
  } finally {
    await s.cleanup();
  }
});

test('Expires below the minimum gets 423 with Min-Expires; above the maximum is clamped', async () => {
  const s = await setup();
  try {
    const brief = await withAuth(s.registrar, () => register({ expires: 10 }));
    assert.equal(brief.status, 423);
    assert.equal(brief.get('min-expires'), '60');
    const long = await withAuth(s.registrar, () => register({ expires: 99999999 }));
    assert.equal(long.status, 200);
    assert.match(long.get('contact') ?? '', /expires=7200/);
  } finally {
    await s.cleanup();
  }
});

test('several devices; wildcard removal; a server name maps to the default domain', async () => {
  const s = await setup();
  try {
    assert.equal((await withAuth(s.registrar, () => register({ contact: '<sip:alice@10.0.0.1>' }))).status, 200);
    assert.equal((await withAuth(s.registrar, () => register({ host: '127.0.0.1', contact: '<sip:alice@10.0.0.2>' }))).status, 200);
    assert.equal(s.location.lookup('alice@example.com').length, 2);
    const bad = await withAuth(s.registrar, () => register({ contact: '*' }));
    assert.equal(bad.status, 400);
    const wild = await withAuth(s.registrar, () => register({ contact: '*', expires: 0 }));
    assert.equal(wild.status, 200);
    assert.equal(s.location.lookup('alice@example.com').length, 0);
  } finally {
    await s.cleanup();
  }
});

test('GRUU, outbound and Path', async () => {
  const s = await setup();
  try {
    const inst = '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"';
    const res = await withAuth(s.registrar, () =>
      register({
        contact: `<sip:alice@127.0.0.1:40000;transport=tcp;ob>;+sip.instance=${inst};reg-id=1`,
        headers: ['Supported: gruu, outbound, path'],
      }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.get('require'), 'outbound');
    assert.match(res.get('contact') ?? '', /pub-gruu="sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"/);
    assert.match(res.get('contact') ?? '', /temp-gruu="sip:tgruu\.[^"]+;gr"/);
    const b = s.location.lookup('alice@example.com')[0];
    assert.equal(b.flow?.connectionId, 'udp:1');
  } finally {
    await s.cleanup();
  }
});

test('registrations survive a restart until they expire', async () => {
  const s = await setup();
  try {
    await withAuth(s.registrar, () => register({ expires: 120 }));
    const fresh = new LocationService(s.store, () => Date.now());
    // the binding was written with the test clock, which is in the past of Date.now()
    const again = new LocationService(s.store, () => 1_700_000_000_000 + 60_000);
    assert.equal(await again.start(), 1);
    assert.equal(again.lookup('alice@example.com').length, 1);
    again.stop();
    const later = new LocationService(s.store, () => 1_700_000_000_000 + 121_000);
    assert.equal(await later.start(), 0);
    later.stop();
    fresh.stop();
  } finally {
    await s.cleanup();
  }
});

test('a refresh writes its new expiry through to the store (the three-column refresh path), a changed contact the whole row', async () => {
  const s = await setup();
  try {
    assert.equal((await withAuth(s.registrar, () => register({ expires: 120, callId: 'refresh-1' }))).status, 200);
    const [first] = s.location.lookup('alice@example.com');
    const repo = s.store.registrations;
    const refresh = repo.refresh.bind(repo);
    let refreshes = 0;
    repo.refresh = (...a: Parameters<typeof refresh>) => (refreshes++, refresh(...a));
    s.advance(60_000);
    assert.equal((await withAuth(s.registrar, () => register({ expires: 120, callId: 'refresh-1' }))).status, 200);
    const [refreshed] = s.location.lookup('alice@example.com');
    assert.equal(refreshed.id, first.id);
    assert.equal(refreshed.expiresAt, first.expiresAt + 60_000);
    assert.ok(refreshed.cseq > first.cseq);
    assert.equal(refreshes, 1);
    // What a restart would load: the refreshed expiry, not the first one.
    const [stored] = await s.store.registrations.listLive('alice@example.com', 0);
    assert.deepEqual({ ...stored }, (({ key: _k, ...r }) => r)(refreshed));
    // A new Call-ID (a restarted UA) is still a refresh of the same binding.
    assert.equal((await withAuth(s.registrar, () => register({ expires: 120, callId: 'refresh-2' }))).status, 200);
    assert.equal(refreshes, 2);
    assert.equal((await s.store.registrations.listLive('alice@example.com', 0))[0].callId, 'refresh-2');
    // A new user agent string is more than a refresh: the whole row is written.
    assert.equal((await withAuth(s.registrar, () => register({ expires: 120, callId: 'refresh-2', headers: ['User-Agent: other/2'] }))).status, 200);
    const [again] = await s.store.registrations.listLive('alice@example.com', 0);
    assert.equal(again.userAgent, 'other/2');
    assert.equal(again.id, first.id);
    assert.equal(refreshes, 2);
  } finally {
    await s.cleanup();
  }
});

test('a foreign domain is refused; another user\'s address is forbidden', async () => {
  const s = await setup();
  try {
    const foreign = await s.registrar.handle(register({ host: 'elsewhere.org' }), flow);
    assert.equal(foreign.response.status, 403);
    await new UserService(s.store).addUser({ address: 'bob@example.com', password: 'Rx-Secret-7744' });
    const make = () => {
      const r = register({});
      return r;
    };
    const first = (await s.registrar.handle(make(), flow)).response;
    const client = new DigestClient({ username: 'bob', password: 'Rx-Secret-7744' });
    const req = make();
    req.append('Authorization', client.answer(first.getAll('www-authenticate'), { method: 'REGISTER', uri: req.requestUri })[0]);
    assert.equal((await s.registrar.handle(req, flow)).response.status, 403);
  } finally {
    await s.cleanup();
  }
});

test('the 200 goes out only once the binding is committed to the file', async () => {
  const s = await setup();
  try {
    const res = await withAuth(s.registrar, () => register({ contact: '<sip:alice@10.0.0.9>' }));
    assert.equal(res.status, 200);
    // Another connection (another process after a crash) sees what was acknowledged.
    const other = new SqliteDatabase(join(s.dir, 'parley.db'), { readonly: true });
    try {
      const row = other.prepare('select contact_uri from registrations where aor = ?').get('alice@example.com') as { contact_uri: string } | undefined;
      assert.equal(row?.contact_uri, 'sip:alice@10.0.0.9');
    } finally {
      other.close();
    }
  } finally {
    await s.cleanup();
  }
});

test('a binding write that fails is never acknowledged: no 200, no binding in memory or on file', async () => {
  const s = await setup();
  try {
    await sql`create trigger fail_register before insert on registrations begin select raise(abort, 'disk trouble (test)'); end`.execute(s.store.db);
    const first = (await s.registrar.handle(register({}), flow)).response;
    assert.equal(first.status, 401);
    const client = new DigestClient({ username: 'alice', password: 'Correct-Horse-9' });
    const req = register({});
    req.append('Authorization', client.answer(first.getAll('www-authenticate'), { method: 'REGISTER', uri: req.requestUri })[0]);
    // The front end answers a rejected handler 500 (front-end.ts): nothing acknowledged.
    await assert.rejects(s.registrar.handle(req, flow), (e: unknown) => e instanceof StoreError);
    assert.equal(s.location.lookup('alice@example.com').length, 0);
    assert.equal((await s.store.registrations.listLive('alice@example.com', 0)).length, 0);
  } finally {
    await s.cleanup();
  }
});

test('REGISTERs of one turn share one commit and each gets its own 200', async () => {
  const s = await setup();
  try {
    const users = new UserService(s.store);
    for (let i = 0; i < 5; i++) await users.addUser({ address: `u${i}@example.com`, password: 'Correct-Horse-9' });
    const challenges = await Promise.all(Array.from({ length: 5 }, (_, i) => s.registrar.handle(register({ user: `u${i}`, callId: `c${i}` }), flow)));
    const reqs = challenges.map((c, i) => {
      const req = register({ user: `u${i}`, callId: `c${i}`, contact: `<sip:u${i}@10.0.0.${i + 1}>` });
      const client = new DigestClient({ username: `u${i}`, password: 'Correct-Horse-9' });
      req.append('Authorization', client.answer(c.response.getAll('www-authenticate'), { method: 'REGISTER', uri: req.requestUri })[0]);
      return req;
    });
    const stats = (s.store.groupWriter as unknown as { stats: { transactions: number } }).stats;
    const before = stats.transactions;
    const answers = await Promise.all(reqs.map((r) => s.registrar.handle(r, flow)));
    assert.deepEqual(answers.map((a) => a.response.status), [200, 200, 200, 200, 200]);
    for (let i = 0; i < 5; i++) assert.match(answers[i].response.get('contact') ?? '', new RegExp(`<sip:u${i}@10\\.0\\.0\\.${i + 1}>`));
    assert.equal(stats.transactions - before, 1, 'one transaction for the five bindings');
  } finally {
    await s.cleanup();
  }
});
