import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  CONFIG_FLAGS,
  ConfigError,
  CONFIG_ERROR_CODES,
  SETTINGS,
  defaultPublicNames,
  envName,
  fromArgv,
  fromEnv,
  fromFileText,
  loadConfig,
  resolveConfig,
  type HostFacts,
  type LoadConfigOptions,
} from './index.js';

const CWD = '/srv/parley';
const HOST: HostFacts = {
  hostname: () => 'FE01',
  networkInterfaces: () => ({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.10/24' },
      { address: '2001:db8::10', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: '2001:db8::10/64', scopeid: 0 },
    ],
  }),
};

/** loadConfig over an in-memory file system. */
function load(options: Omit<LoadConfigOptions, 'readFile'> & { files?: Record<string, string> } = {}) {
  const files = options.files ?? {};
  return loadConfig({
    cwd: CWD,
    env: {},
    host: HOST,
    ...options,
    readFile: (path) => {
      if (path in files) return files[path];
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
  });
}

function throwsConfig(fn: () => unknown, code: keyof typeof CONFIG_ERROR_CODES, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one-line message');
    return true;
  });
}

test('defaults: Standard Edition ports, data folder under cwd, SQLite in it', () => {
  const c = load();
  assert.equal(c.dataDir, join(CWD, 'data'));
  assert.equal(c.host, '0.0.0.0');
  assert.deepEqual([c.sipPort, c.sipsPort, c.httpsPort], [5060, 5061, 8443]);
  assert.equal(c.defaultDomain, 'parley.local');
  assert.deepEqual(c.registrar, { minExpires: 60, maxExpires: 7200, defaultExpires: 3600 });
  assert.equal(c.security.lockoutSeconds, 300);
  assert.equal(c.tls, undefined);
  assert.deepEqual(c.store, { driver: 'sqlite', file: join(CWD, 'data', 'parley.db') });
  assert.deepEqual(c.log, { level: 'info', pretty: false });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.registrar));
});

test('default public names: host name, localhost, loopback and non-internal IPv4 only', () => {
  assert.deepEqual(defaultPublicNames(HOST), ['fe01', 'localhost', '127.0.0.1', '192.0.2.10']);
  assert.deepEqual(load().publicNames, ['fe01', 'localhost', '127.0.0.1', '192.0.2.10']);
});

test('precedence: defaults ← DATA/parley.json ← flags ← env', () => {
  const files = {
    [join(CWD, 'data', 'parley.json')]: JSON.stringify({ sipPort: 5070, sipsPort: 5071, httpsPort: 9443, host: '10.0.0.1' }),
  };
  const fileOnly = load({ files });
  assert.deepEqual([fileOnly.host, fileOnly.sipPort, fileOnly.sipsPort, fileOnly.httpsPort], ['10.0.0.1', 5070, 5071, 9443]);
  const withFlags = load({ files, argv: ['--sip-port', '6060', '--host=127.0.0.1'] });
  assert.deepEqual([withFlags.host, withFlags.sipPort, withFlags.sipsPort], ['127.0.0.1', 6060, 5071]);
  const withEnv = load({ files, argv: ['--sip-port', '6060'], env: { PARLEY_SIP_PORT: '7060', PARLEY_HTTPS_PORT: '' } });
  assert.equal(withEnv.sipPort, 7060);
  assert.equal(withEnv.httpsPort, 9443, 'empty variable counts as unset');
});

test('--config names the file; its relative paths are relative to it; --data moves DATA/parley.json', () => {
  const files = {
    '/etc/parley/parley.json': JSON.stringify({
      $schema: 'x',
      dataDir: 'state',
      tls: { certFile: 'cert.pem', keyFile: '/keys/key.pem' },
      registrar: { minExpires: 120 },
      store: { driver: 'postgres', url: 'postgres://parley@db/parley' },
      publicNames: ['FE01.example.com', 'sip.example.com', '192.0.2.10'],
      log: { level: 'debug', pretty: true },
    }),
    '/var/lib/parley/parley.json': JSON.stringify({ defaultDomain: 'example.com' }),
  };
  const c = load({ files, argv: ['--config', '/etc/parley/parley.json'] });
  assert.equal(c.dataDir, '/etc/parley/state');
  assert.deepEqual(c.tls, { certFile: '/etc/parley/cert.pem', keyFile: '/keys/key.pem' });
  assert.equal(c.registrar.minExpires, 120);
  assert.deepEqual(c.store, { driver: 'postgres', url: 'postgres://parley@db/parley' });
  assert.deepEqual(c.publicNames, ['fe01.example.com', 'sip.example.com', '192.0.2.10']);
  assert.deepEqual(c.log, { level: 'debug', pretty: true });
  assert.equal(load({ files, argv: ['--data', '/var/lib/parley'] }).defaultDomain, 'example.com');
  assert.equal(load({ files, env: { PARLEY_DATA_DIR: '/var/lib/parley' } }).defaultDomain, 'example.com');
  assert.equal(load({ files, env: { PARLEY_CONFIG: '/var/lib/parley/parley.json' } }).defaultDomain, 'example.com');
});

test('flags parsed by a CLI framework are accepted as an object', () => {
  const c = load({ flags: { sipPort: '0', sipsPort: '0', httpsPort: '0', host: '127.0.0.1', other: true } });
  assert.deepEqual([c.sipPort, c.sipsPort, c.httpsPort, c.host], [0, 0, 0, '127.0.0.1']);
  assert.deepEqual(
    CONFIG_FLAGS.map((f) => f.flag),
    ['--config', '--data', '--host', '--sip-port', '--sips-port', '--https-port'],
  );
  assert.equal(CONFIG_FLAGS.find((f) => f.flag === '--https-port')?.property, 'httpsPort');
});

test('every setting has an environment variable', () => {
  assert.equal(envName('registrar.minExpires'), 'PARLEY_REGISTRAR_MIN_EXPIRES');
  assert.equal(envName('security.authFailuresPerSourcePerMinute'), 'PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE');
  const env = {
    PARLEY_PUBLIC_NAMES: 'a.example.com, 192.0.2.1',
    PARLEY_LOG_LEVEL: 'WARN',
    PARLEY_LOG_PRETTY: 'yes',
    PARLEY_SECURITY_LOCKOUT_SECONDS: '60',
    PARLEY_STORE_FILE: 'db/p.sqlite',
    PARLEY_DEFAULT_DOMAIN: 'Example.COM',
    PARLEY_PRESENCE_INACTIVE_AFTER_SECONDS: '30',
  };
  const c = load({ env });
  assert.deepEqual(c.presence, { inactiveAfterSeconds: 30, awayAfterSeconds: 300 });
  assert.deepEqual(c.publicNames, ['a.example.com', '192.0.2.1']);
  assert.deepEqual(c.log, { level: 'warn', pretty: true });
  assert.equal(c.security.lockoutSeconds, 60);
  assert.deepEqual(c.store, { driver: 'sqlite', file: join(CWD, 'db/p.sqlite') });
  assert.equal(c.defaultDomain, 'example.com');
  assert.equal(new Set(SETTINGS.map((s) => envName(s.key))).size, SETTINGS.length);
});

test('bad values: one-line errors naming the source', () => {
  throwsConfig(() => load({ argv: ['--sip-port', '70000'] }), 'invalid', /^--sip-port: must be an integer port 0–65535, got "70000"$/);
  throwsConfig(() => load({ argv: ['--sip-port', '50.5'] }), 'invalid', /^--sip-port: /);
  throwsConfig(() => load({ env: { PARLEY_HTTPS_PORT: '-1' } }), 'invalid', /^PARLEY_HTTPS_PORT: /);
  throwsConfig(() => load({ env: { PARLEY_HOST: 'not a host' } }), 'invalid', /^PARLEY_HOST: must be an IP address or host name/);
  throwsConfig(() => load({ env: { PARLEY_LOG_LEVEL: 'loud' } }), 'invalid', /must be one of trace, debug, info/);
  throwsConfig(() => load({ env: { PARLEY_LOG_PRETTY: 'maybe' } }), 'invalid', /must be true or false/);
  throwsConfig(() => load({ env: { PARLEY_DEFAULT_DOMAIN: '10.0.0.1' } }), 'invalid', /must be a domain name/);
  throwsConfig(() => load({ env: { PARLEY_PUBLIC_NAMES: 'ok.example, bad_name' } }), 'invalid', /"bad_name" is not a host name/);
  throwsConfig(() => load({ env: { PARLEY_REGISTRAR_MIN_EXPIRES: '0' } }), 'invalid', /must be an integer 1–/);
  throwsConfig(() => load({ env: { PARLEY_STORE_URL: 'mysql://u:secret@h/db' } }), 'invalid', /^PARLEY_STORE_URL: must be a postgres/);
  assert.throws(() => load({ env: { PARLEY_STORE_URL: 'mysql://u:secret@h/db' } }), (e: Error) => !e.message.includes('secret'));
});

test('config file problems: unknown keys, wrong JSON types, bad JSON, missing named file', () => {
  const path = join(CWD, 'data', 'parley.json');
  throwsConfig(() => load({ files: { [path]: '{"sipport": 1}' } }), 'unknown-setting', /parley\.json: sipport: no such setting$/);
  throwsConfig(() => load({ files: { [path]: '{"registrar": {"min": 1}}' } }), 'unknown-setting', /registrar\.min: no such setting/);
  throwsConfig(() => load({ files: { [path]: '{"sipPort": "5060"}' } }), 'invalid', /sipPort: must be an integer port/);
  throwsConfig(() => load({ files: { [path]: '{"publicNames": "a"}' } }), 'invalid', /publicNames: must be a list/);
  throwsConfig(() => load({ files: { [path]: '{"sipPort": ' } }), 'unreadable-file', /not valid JSON/);
  throwsConfig(() => load({ files: { [path]: '[1]' } }), 'unreadable-file', /must hold a JSON object/);
  throwsConfig(() => load({ argv: ['--config', 'nope.json'] }), 'unreadable-file', /nope\.json: file not found$/);
  throwsConfig(() => fromArgv(['--sip-prot', '1'], CWD), 'unknown-setting', /^command line: Unknown option '--sip-prot'/);
  throwsConfig(() => fromArgv(['serve'], CWD), 'unknown-setting', /^command line: /);
});

test('settings that contradict each other', () => {
  throwsConfig(() => load({ argv: ['--sips-port', '8443'] }), 'conflict', /^httpsPort: port 8443 is also sipsPort$/);
  throwsConfig(() => load({ argv: ['--sip-port', '5061'] }), 'conflict', /^sipsPort: port 5061 is also sipPort$/);
  throwsConfig(
    () => load({ env: { PARLEY_REGISTRAR_MIN_EXPIRES: '4000' } }),
    'conflict',
    /^registrar: need minExpires ≤ defaultExpires ≤ maxExpires, got 4000 ≤ 3600 ≤ 7200$/,
  );
  throwsConfig(() => load({ env: { PARLEY_TLS_CERT_FILE: 'c.pem' } }), 'conflict', /^tls: give both certFile and keyFile/);
  throwsConfig(() => load({ env: { PARLEY_STORE_DRIVER: 'postgres' } }), 'conflict', /^store\.url: the postgres driver needs a URL/);
  throwsConfig(() => load({ env: { PARLEY_STORE_URL: 'postgres://h/db' } }), 'conflict', /^store\.url: is only for the postgres/);
  throwsConfig(
    () => load({ env: { PARLEY_STORE_DRIVER: 'postgres', PARLEY_STORE_URL: 'postgres://h/db', PARLEY_STORE_FILE: 'x.db' } }),
    'conflict',
    /^store\.file: is only for the sqlite/,
  );
  // Zero means any free port, so several zeros do not clash.
  assert.equal(load({ argv: ['--sip-port', '0', '--sips-port', '0'] }).sipsPort, 0);
});

test('sources are pure: same input, same layer; resolveConfig takes layers lowest first', () => {
  assert.deepEqual(fromEnv({ PARLEY_SIP_PORT: '1' }, CWD), { layer: { sipPort: 1 } });
  assert.deepEqual(fromFileText('{"store":{"file":":memory:"}}', '/x/p.json').layer, { 'store.file': ':memory:' });
  const c = resolveConfig([{ sipPort: 1 }, { sipPort: 2 }], { cwd: '/', host: HOST });
  assert.equal(c.sipPort, 2);
  assert.equal(c.dataDir, '/data');
});

test('every error code is documented', () => {
  for (const code of ['invalid', 'unknown-setting', 'unreadable-file', 'conflict'] as const) {
    assert.ok(CONFIG_ERROR_CODES[code].length > 0);
  }
});
