// Kamailio anchor: render bench/kamailio/kamailio.cfg into a temp dir, start
// `kamailio -DD -E -f cfg` in the foreground on a free loopback port (UDP and
// TCP, same number), wait until it answers OPTIONS on both, stop it by PID.
//
//   const k = await startKamailio({ users: { alice: 'alicepw' } });
//   // k.remote === '127.0.0.1:PORT', k.realm === 'parley.test'
//   // user0..userN authenticate with k.benchPassword ('secret')
//   await k.stop();
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.mjs';
import net from 'node:net';
import { startProcess, makeTempDir, removeDir, which, sleep, waitFor } from './proc.mjs';
import { makeTestCerts } from './certs.mjs';
import { waitForSip } from './probe.mjs';

export const KAMAILIO_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'kamailio', 'kamailio.cfg');

export function kamailioPath() {
  return which('kamailio');
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
  template = KAMAILIO_TEMPLATE,
}) {
  if (!port) throw new Error('renderKamailioConfig: port is required');
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
  };
  return readFileSync(template, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (m, k) => {
    if (!(k in values)) throw new Error(`template token ${m} has no value`);
    return String(values[k]);
  });
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
 * @param {number} [o.children=2]    UDP workers
 * @param {number} [o.tcpChildren=2]
 * @param {number} [o.debug=0]       Kamailio log level (2 = info: shows requests handled)
 * @param {number} [o.shmMb=128]
 * @param {number} [o.pkgMb=8]
 * @param {number} [o.startTimeoutMs=10000]
 * @param {true | {certFile: string, keyFile: string}} [o.tls]  also listen on TLS
 *        (tlsPort); `true` makes a throw-away CA + certificate (result.certs.caFile)
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
  try {
    if (o.tls) {
      if (!existsSync('/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so')) {
        throw new Error('Kamailio TLS needs tls.so (Debian package kamailio-tls-modules), which is not installed');
      }
      if (o.tls === true) certs = makeTestCerts({ names: [realm] });
      const files = o.tls === true ? certs : o.tls;
      tls = { port: await freePort({ udp: false }), certFile: files.certFile, keyFile: files.keyFile };
    }
    const cfg = join(dir, 'kamailio.cfg');
    writeFileSync(cfg, renderKamailioConfig({ ...o, port, realm, benchPassword, tls }));
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
    output: proc.output,
    isRunning: proc.isRunning,
    /** SIGTERM the main process, then SIGKILL it and any surviving workers, by PID. */
    async stop() {
      await stopTree(proc);
      removeDir(dir);
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
