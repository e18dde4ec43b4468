// Kamailio anchor: render bench/kamailio/kamailio.cfg into a temp dir, start
// `kamailio -DD -E -f cfg` in the foreground on a free loopback port (UDP and
// TCP, same number), wait until it answers OPTIONS on both, stop it by PID.
//
//   const k = await startKamailio({ users: { alice: 'alicepw' } });
//   // k.remote === '127.0.0.1:PORT', k.realm === 'parley.test'
//   // user0..userN authenticate with k.benchPassword ('secret')
//   await k.stop();
//
// With { durable: true } it runs the template's WITH_DB variant ("durable
// registrations"): usrloc db_mode 1 (write-through) into an SQLite file made
// here from Kamailio's own schema (k.dbFile), credentials from its
// `subscriber` table (stored HA1: user0..user{benchUserCount-1}, user90000
// and o.users). Needs db_sqlite.so (Debian package kamailio-sqlite-modules).
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.mjs';
import net from 'node:net';
import { startProcess, makeTempDir, removeDir, which, sleep, waitFor } from './proc.mjs';
import { makeTestCerts } from './certs.mjs';
import { waitForSip } from './probe.mjs';

export const KAMAILIO_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'kamailio', 'kamailio.cfg');

export const KAMAILIO_MODULES_DIR = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
/** Kamailio's SQL schema for SQLite (kamailio-sqlite-modules). */
export const KAMAILIO_SQLITE_SCHEMA_DIR = '/usr/share/kamailio/db_sqlite';

export function kamailioPath() {
  return which('kamailio');
}

/** Whether a Kamailio module (e.g. 'db_sqlite') is installed. */
export function kamailioHasModule(name) {
  return existsSync(join(KAMAILIO_MODULES_DIR, `${name}.so`));
}

/** Skip reason for tests of the durable variant, or false (as skipUnlessBinaries: never skips when CI is set). */
export function skipUnlessKamailioDurable() {
  if (process.env.CI) return false;
  if (!kamailioPath()) return 'missing kamailio (Debian package kamailio)';
  const missing = ['db_sqlite', 'auth_db'].filter((m) => !kamailioHasModule(m));
  if (missing.length) {
    return `missing ${missing.map((m) => `${m}.so`).join(', ')} (Debian packages kamailio-sqlite-modules, kamailio); set CI=1 to make this a failure`;
  }
  return false;
}

const md5 = (s) => createHash('md5').update(s).digest('hex');

/**
 * Create the SQLite file of the durable variant: Kamailio's tables `version`,
 * `location` (+ `location_attrs`) and `subscriber` from its shipped schema,
 * WAL mode, and one subscriber per user with ha1 = MD5(user:realm:password).
 * Uses better-sqlite3 (a dependency of the repository).
 */
export async function prepareKamailioDb(
  file,
  { realm = 'parley.test', benchPassword = 'secret', benchUserCount = 20000, benchUserExtra = ['user90000'], users = {} } = {},
) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    for (const f of ['standard-create.sql', 'usrloc-create.sql', 'auth_db-create.sql']) {
      const sql = join(KAMAILIO_SQLITE_SCHEMA_DIR, f);
      if (!existsSync(sql)) throw new Error(`${sql} missing (Debian package kamailio-sqlite-modules)`);
      db.exec(readFileSync(sql, 'utf8'));
    }
    const all = new Map();
    for (let i = 0; i < benchUserCount; i++) all.set(`user${i}`, benchPassword);
    for (const u of benchUserExtra) all.set(u, benchPassword);
    for (const [u, p] of Object.entries(users)) all.set(u, p);
    const ins = db.prepare('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const [u, p] of all) ins.run(u, realm, p, md5(`${u}:${realm}:${p}`), md5(`${u}@${realm}:${realm}:${p}`));
    })();
    return all.size;
  } finally {
    db.close();
  }
}

const esc = (s) => String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * Fill the template. users: { name: password } for per-user credentials;
 * every user matching ^user[0-9]+$ also authenticates with benchPassword.
 */
export function renderKamailioConfig({
  port,
  children = 2,
  tcpChildren = 2,
  debug = 0,
  realm = 'parley.test',
  benchPassword = 'secret',
  users = {},
  tls,
  dbFile,
  template = KAMAILIO_TEMPLATE,
}) {
  if (!port) throw new Error('renderKamailioConfig: port is required');
  if (dbFile && !/^\/[A-Za-z0-9._/-]+$/.test(dbFile)) throw new Error(`dbFile must be an absolute path without special characters: ${dbFile}`);
  for (const [u, p] of Object.entries(users)) {
    if (!/^[A-Za-z0-9._-]+$/.test(u)) throw new Error(`bad user name: ${u}`);
    if (/[\r\n]/.test(p)) throw new Error('password may not contain newlines');
  }
  const userLines = Object.entries(users)
    .map(([u, p]) => `\t$sht(users=>${u}) = "${esc(p)}";`)
    .join('\n');
  const values = {
    PORT: port,
    CHILDREN: children,
    TCP_CHILDREN: tcpChildren,
    DEBUG: debug,
    REALM: realm,
    BENCH_PASS: esc(benchPassword),
    USERS: userLines || '\t$var(none) = 0;',
    // only read by Kamailio when started with -A WITH_TLS
    TLS_PORT: tls?.port ?? 0,
    TLS_CERT: esc(tls?.certFile ?? '/nonexistent'),
    TLS_KEY: esc(tls?.keyFile ?? '/nonexistent'),
    // only read by Kamailio when started with -A WITH_DB
    DB_FILE: esc(dbFile ?? '/nonexistent'),
  };
  return readFileSync(template, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (m, k) => {
    if (!(k in values)) throw new Error(`template token ${m} has no value`);
    return String(values[k]);
  });
}

/** Rows of a query on a Kamailio SQLite file, opened read-only (WAL: does not block Kamailio). */
export async function readKamailioTable(file, sql) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

function childPids(ppid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid ...
      const ppidField = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidField === ppid) out.push(Number(d));
    } catch {
      /* raced */
    }
  }
  return out;
}

/**
 * @param {object} [o]
 * @param {number} [o.port]          default: a free UDP+TCP port
 * @param {string} [o.realm='parley.test']
 * @param {Record<string,string>} [o.users]
 * @param {string} [o.benchPassword='secret']
 * @param {number} [o.children=2]    UDP workers (durable: default 1, see below)
 * @param {number} [o.tcpChildren=2] (durable: default 1)
 * @param {number} [o.debug=0]       Kamailio log level (2 = info: shows requests handled)
 * @param {number} [o.shmMb=128]
 * @param {number} [o.pkgMb=8]
 * @param {number} [o.startTimeoutMs=10000]
 * @param {true | {certFile: string, keyFile: string}} [o.tls]  also listen on TLS
 *        (tlsPort); `true` makes a throw-away CA + certificate (result.certs.caFile)
 * @param {boolean} [o.durable=false]  the WITH_DB variant: registrations written through to
 *        SQLite (usrloc db_mode 1), credentials from its `subscriber` table (result.dbFile).
 *        One worker per transport unless children/tcpChildren say otherwise: db_sqlite 5.6
 *        has no busy timeout, so two workers writing at once get "database is locked" and 500s.
 * @param {number} [o.benchUserCount=20000]  durable: subscribers user0..user{n-1} (benchPassword)
 * @param {string[]} [o.benchUserExtra=['user90000']]  durable: more subscribers with benchPassword
 * @param {string} [o.dbDir]         durable: folder for the SQLite file (default: the temp dir
 *        of this Kamailio, under os.tmpdir(); e.g. '/dev/shm' for a tmpfs)
 * @param {(line: string) => void} [o.onLog]
 */
export async function startKamailio(o = {}) {
  const bin = kamailioPath();
  if (!bin) throw new Error('kamailio not installed (Debian package kamailio)');
  const port = o.port ?? (await freePort());
  const realm = o.realm ?? 'parley.test';
  const benchPassword = o.benchPassword ?? 'secret';
  const dir = makeTempDir('parley-kamailio-');
  let proc;
  let tls = null;
  let certs = null;
  let dbDir = null;
  let dbFile = null;
  try {
    if (o.durable) {
      for (const m of ['db_sqlite', 'auth_db']) {
        if (!kamailioHasModule(m)) throw new Error(`the durable Kamailio needs ${m}.so (Debian package kamailio-sqlite-modules), which is not installed`);
      }
      if (o.dbDir) dbDir = mkdtempSync(join(o.dbDir, 'parley-kamailio-db-'));
      dbFile = join(dbDir ?? dir, 'kamailio.sqlite');
      await prepareKamailioDb(dbFile, { ...o, realm, benchPassword });
    }
    if (o.tls) {
      if (!kamailioHasModule('tls')) {
        throw new Error('Kamailio TLS needs tls.so (Debian package kamailio-tls-modules), which is not installed');
      }
      if (o.tls === true) certs = makeTestCerts({ names: [realm] });
      const files = o.tls === true ? certs : o.tls;
      tls = { port: await freePort({ udp: false }), certFile: files.certFile, keyFile: files.keyFile };
    }
    const cfg = join(dir, 'kamailio.cfg');
    const workers = o.durable ? { children: o.children ?? 1, tcpChildren: o.tcpChildren ?? 1 } : {};
    writeFileSync(cfg, renderKamailioConfig({ ...o, ...workers, port, realm, benchPassword, tls, dbFile }));
    const args = [
      '-DD', '-E',
      '-f', cfg,
      '-Y', dir, // runtime dir (default /run/kamailio may not exist)
      '-w', dir,
      '-P', join(dir, 'kamailio.pid'),
      '-m', String(o.shmMb ?? 128),
      '-M', String(o.pkgMb ?? 8),
    ];
    if (tls) args.push('-A', 'WITH_TLS');
    if (dbFile) args.push('-A', 'WITH_DB');
    proc = startProcess(bin, args, { cwd: dir, onLine: o.onLog, maxOutput: 2 * 1024 * 1024 });
    const isAlive = proc.isRunning;
    const timeoutMs = o.startTimeoutMs ?? 10000;
    await waitForSip({ port, transport: 'udp', timeoutMs, expect: 200, isAlive });
    await waitForSip({ port, transport: 'tcp', timeoutMs, expect: 200, isAlive });
    if (tls) {
      await waitFor(
        () =>
          new Promise((resolve) => {
            const c = net.connect({ host: '127.0.0.1', port: tls.port }, () => {
              c.destroy();
              resolve(true);
            });
            c.on('error', () => resolve(false));
          }),
        { timeoutMs, what: `kamailio TLS listener on ${tls.port}` },
      );
    }
  } catch (err) {
    const out = proc?.output() ?? '';
    if (proc) await stopTree(proc);
    removeDir(dir);
    if (dbDir) removeDir(dbDir);
    if (certs) removeDir(certs.dir);
    throw new Error(`kamailio did not start: ${err.message}\n${out.slice(-3000)}`);
  }
  return {
    pid: proc.pid,
    host: '127.0.0.1',
    port,
    remote: `127.0.0.1:${port}`,
    realm,
    benchPassword,
    users: o.users ?? {},
    tlsPort: tls?.port ?? null,
    tlsRemote: tls ? `127.0.0.1:${tls.port}` : null,
    certs,
    dir,
    durable: Boolean(dbFile),
    children: o.children ?? (dbFile ? 1 : 2),
    tcpChildren: o.tcpChildren ?? (dbFile ? 1 : 2),
    /** durable: the SQLite file (tables location, subscriber); removed by stop() */
    dbFile,
    /** durable: the rows of table `location` (username, contact, expires, cseq, callid), read-only */
    async locationRows() {
      if (!dbFile) throw new Error('locationRows(): not a durable Kamailio');
      return readKamailioTable(dbFile, 'SELECT username, contact, expires, cseq, callid FROM location ORDER BY id');
    },
    output: proc.output,
    isRunning: proc.isRunning,
    /** SIGTERM the main process, then SIGKILL it and any surviving workers, by PID. */
    async stop() {
      await stopTree(proc);
      removeDir(dir);
      if (dbDir) removeDir(dbDir);
      if (certs) removeDir(certs.dir);
    },
  };
}

async function stopTree(proc) {
  const kids = proc.isRunning() ? childPids(proc.pid) : [];
  await proc.stop({ graceMs: 5000 });
  await sleep(50);
  for (const pid of kids) {
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
