import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { TlsError, TLS_ERROR_CODES, canonicalIp, ensureTlsMaterial, sameSans, sanEntries } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'parley-tls-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `d${++n}`);
const NAMES = ['localhost', '127.0.0.1', '::1', 'fe01.example.com'];
const DAY = 86_400_000;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

test('first start: a private CA and a server certificate for every name, keys 0600', async () => {
  const dataDir = freshDir();
  const m = await ensureTlsMaterial({ dataDir, names: NAMES, hostname: 'fe01' });
  assert.equal(m.issued, true);
  assert.equal(m.caIssued, true);
  assert.equal(m.source, 'generated');
  assert.equal(m.caPath, join(dataDir, 'tls', 'ca.pem'));
  assert.equal(readFileSync(m.caPath!, 'utf8'), m.ca);

  const ca = new X509Certificate(m.ca!);
  const cert = new X509Certificate(m.cert);
  assert.equal(ca.ca, true);
  assert.match(ca.subject, /CN=Parley Local CA fe01/);
  assert.ok(ca.verify(ca.publicKey), 'CA is self-signed');
  assert.ok(cert.verify(ca.publicKey), 'server certificate is signed by the CA');
  assert.ok(cert.checkIssued(ca));
  assert.equal(cert.ca, false);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkHost('fe01.example.com'), 'fe01.example.com');
  assert.equal(cert.checkHost('other.example.com'), undefined);
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  assert.deepEqual([...(cert.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(m.fingerprint256, cert.fingerprint256);

  const days = (Date.parse(cert.validTo) - Date.now()) / DAY;
  assert.ok(days > 396 && days <= 397, `server lifetime ${days} days`);
  const caYears = (Date.parse(ca.validTo) - Date.now()) / DAY / 365.25;
  assert.ok(caYears > 9.9 && caYears <= 10.01, `CA lifetime ${caYears} years`);

  const dir = join(dataDir, 'tls');
  assert.equal(mode(join(dir, 'ca-key.pem')), 0o600);
  assert.equal(mode(join(dir, 'server-key.pem')), 0o600);
  assert.equal(readFileSync(join(dir, 'server.pem'), 'utf8'), m.cert);
  assert.equal(readFileSync(join(dir, 'server-key.pem'), 'utf8'), m.key);
});

test('a TLS client that trusts only ca.pem connects to a server using the certificate', async () => {
  const m = await ensureTlsMaterial({ dataDir: freshDir(), names: NAMES });
  const server = tls.createServer({ key: m.key, cert: m.cert }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const connect = (options: tls.ConnectionOptions): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => undefined);
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  try {
    const ca = readFileSync(m.caPath!);
    assert.equal(await connect({ ca, servername: 'localhost' }), 'hello');
    assert.equal(await connect({ ca }), 'hello', 'IP address SAN matches when no SNI is sent');
    await assert.rejects(connect({ servername: 'localhost' }), /unable to verify|self-signed|local issuer/i);
    await assert.rejects(connect({ ca, servername: 'wrong.example.com' }), /altnames|does not match/i);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('later starts reuse the files; a loosened key file mode is restored', async () => {
  const dataDir = freshDir();
  const first = await ensureTlsMaterial({ dataDir, names: NAMES });
  chmodSync(join(dataDir, 'tls', 'server-key.pem'), 0o644);
  const second = await ensureTlsMaterial({ dataDir, names: [...NAMES].reverse().map((s) => s.toUpperCase()) });
  assert.equal(second.issued, false);
  assert.equal(second.caIssued, false);
  assert.equal(second.cert, first.cert);
  assert.equal(second.key, first.key);
  assert.equal(second.fingerprint256, first.fingerprint256);
  assert.equal(mode(join(dataDir, 'tls', 'server-key.pem')), 0o600);
});

test('changed names re-issue the server certificate from the same CA', async () => {
  const dataDir = freshDir();
  const first = await ensureTlsMaterial({ dataDir, names: NAMES });
  const second = await ensureTlsMaterial({ dataDir, names: [...NAMES, 'sip.example.com', '192.0.2.7'] });
  assert.equal(second.issued, true);
  assert.equal(second.caIssued, false);
  assert.equal(second.ca, first.ca);
  assert.notEqual(second.fingerprint256, first.fingerprint256);
  const cert = new X509Certificate(second.cert);
  assert.equal(cert.checkHost('sip.example.com'), 'sip.example.com');
  assert.equal(cert.checkIP('192.0.2.7'), '192.0.2.7');
  assert.ok(cert.verify(new X509Certificate(first.ca!).publicKey));
  const third = await ensureTlsMaterial({ dataDir, names: ['localhost'] });
  assert.equal(third.issued, true, 'dropping a name re-issues too');
  assert.equal(new X509Certificate(third.cert).checkHost('sip.example.com'), undefined);
});

test('within 30 days of expiry the server certificate is re-issued', async () => {
  const dataDir = freshDir();
  const first = await ensureTlsMaterial({ dataDir, names: NAMES });
  const at = (days: number) => () => new Date(Date.now() + days * DAY);
  assert.equal((await ensureTlsMaterial({ dataDir, names: NAMES, now: at(360) })).issued, false);
  const renewed = await ensureTlsMaterial({ dataDir, names: NAMES, now: at(370) });
  assert.equal(renewed.issued, true);
  assert.equal(renewed.ca, first.ca);
  assert.ok(renewed.notAfter.getTime() > first.notAfter.getTime());
});

test('a damaged server certificate is re-issued; a missing CA key or a damaged CA is reported', async () => {
  const dataDir = freshDir();
  await ensureTlsMaterial({ dataDir, names: NAMES });
  const dir = join(dataDir, 'tls');
  unlinkSync(join(dir, 'server-key.pem'));
  assert.equal((await ensureTlsMaterial({ dataDir, names: NAMES })).issued, true);
  unlinkSync(join(dir, 'ca-key.pem'));
  assert.equal((await ensureTlsMaterial({ dataDir, names: NAMES })).issued, false, 'valid certificate still usable');
  await assert.rejects(ensureTlsMaterial({ dataDir, names: ['other.example.com'] }), (err: unknown) => {
    assert.ok(TlsError.is(err, 'ca-key-missing'));
    assert.equal(err.path, join(dir, 'ca-key.pem'));
    return true;
  });
  writeFileSync(join(dir, 'ca.pem'), 'garbage');
  await assert.rejects(ensureTlsMaterial({ dataDir, names: NAMES }), (err: unknown) => TlsError.is(err, 'invalid'));
});

test('a configured certificate and key are used as they are, and checked to match', async () => {
  const dataDir = freshDir();
  const own = await ensureTlsMaterial({ dataDir, names: ['admin.example.com'] });
  const dir = join(dataDir, 'tls');
  const files = { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
  const m = await ensureTlsMaterial({ dataDir: freshDir(), names: NAMES, files });
  assert.equal(m.source, 'configured');
  assert.equal(m.cert, own.cert);
  assert.equal(m.key, own.key);
  assert.equal(m.ca, undefined);
  assert.equal(m.issued, false);
  assert.equal(m.fingerprint256, own.fingerprint256);

  await assert.rejects(
    ensureTlsMaterial({ dataDir, names: NAMES, files: { ...files, keyFile: join(dir, 'ca-key.pem') } }),
    (err: unknown) => TlsError.is(err, 'invalid') && /is not the key of/.test(err.message),
  );
  await assert.rejects(
    ensureTlsMaterial({ dataDir, names: NAMES, files: { ...files, certFile: join(dir, 'nope.pem') } }),
    (err: unknown) => TlsError.is(err, 'unreadable'),
  );
  await assert.rejects(
    ensureTlsMaterial({ dataDir, names: NAMES, files: { certFile: files.keyFile, keyFile: files.keyFile } }),
    (err: unknown) => TlsError.is(err, 'invalid'),
  );
});

test('names: IP addresses become IP entries in one spelling; no names is misuse', async () => {
  assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalIp('2001:DB8:0:0::1'), '2001:db8::1');
  assert.deepEqual(sanEntries(['LocalHost', '[::1]', '0::1', '10.0.0.1', ' ']), [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '::1' },
    { type: 'ip', value: '10.0.0.1' },
  ]);
  assert.ok(sameSans(sanEntries(['a', '::1']), [{ type: 'ip', value: '0:0:0:0:0:0:0:1' }, { type: 'dns', value: 'A' }]));
  assert.ok(!sameSans(sanEntries(['a']), sanEntries(['a', 'b'])));
  assert.throws(() => sanEntries([]), TypeError);
  await assert.rejects(ensureTlsMaterial({ dataDir: freshDir(), names: [] }), TypeError);
  assert.ok(Object.keys(TLS_ERROR_CODES).length === 3);
});
