#!/usr/bin/env node
// SIP load benchmark of the Standard Edition: Parley against the Kamailio
// anchor (bench/kamailio/) on the same SIPp scenarios, in the same run, on the
// same machine (DESIGN.md §5). Not a test: never part of `npm test`.
//
//   1. Highest clean rate (no failed call, retransmissions <= 1 % of messages
//      sent, >= 90 % of the target rate achieved; findMaxCleanRate in
//      test/harness/sipp.mjs) of each server per scenario, and the ratio
//      Parley/Kamailio against the bar (0.5):
//        register-udp   REGISTER, 401, REGISTER with digest, 200 (UDP)
//        message-udp    MESSAGE, 407, MESSAGE with digest, relayed to a
//                       registered SIPp UAS, 200 (UDP)
//        register-tcp   as register-udp over one TCP connection
//        message-tcp    as message-udp over TCP (not in the default list)
//      Both servers get the same users (user0..userN-1@example.com plus the
//      MESSAGE target user90000, one password), the same SIPp options and the
//      same ramp. A fresh server per scenario and per server; the order
//      alternates between scenarios (K,P then P,K ...).
//      Kamailio anchors (--kamailio-anchor, bench/kamailio/README.md):
//        memory   (default) usrloc in memory only (db_mode 0), passwords from an
//                 htable, 2 UDP + 2 TCP workers: the figures of bench/README.md
//        durable  "Kamailio with durable registrations": every binding written
//                 through to SQLite (usrloc db_mode 1) before the 200, digest
//                 HA1 read from the SQLite table `subscriber` (auth_db) per
//                 request; 1 UDP + 1 TCP worker (db_sqlite 5.6 has no busy
//                 timeout: two writers get "database is locked" and 500s); the
//                 file in --kamailio-db-dir (default /dev/shm, see below).
//                 Like for like with Parley, which commits each binding to
//                 SQLite before answering 200.
//        both     each scenario measures both anchors and Parley; both
//                 ratios are printed (Parley/Kamailio-memory, Parley/Kamailio-durable)
//   2. Memory per registration: Parley with N users (default 100,000) in its
//      store; VmRSS of the server process (and heap from /metrics) before and
//      after N distinct AORs register one Contact each; the same for Kamailio
//      (sum of PSS of its processes: its shm is shared by all workers).
//
//   node bench/sip-load/run.mjs                 # full: ~10-15 min on 2 cores
//   node bench/sip-load/run.mjs --quick         # ~2 min: 2 s steps, coarse ramp, 10k registrations
//   options (or env SIP_LOAD_<NAME>, e.g. SIP_LOAD_DURATION=3):
//     --scenarios register-udp,message-udp,register-tcp   --duration 5 (s per step)
//     --rates 250,500,1000,...   --refine 2 (bisections after the first unclean step)
//     --users 20000 (users for the rate scenarios)
//     --mem-count 100000 (0 = skip)   --mem-chunk 20000   --fill-rate N   --kamailio-fill-rate N   --settle 35 (s)
//     --no-kamailio-mem   --profile (CPU profile of Parley via cpu-profile.mjs; prints the hottest functions)
//     --kamailio-anchor memory|durable|both (default memory)
//     --kamailio-db-dir DIR   durable anchor's SQLite folder (default /dev/shm: a tmpfs, so no
//                             fsync per commit, as Parley's synchronous=NORMAL WAL; db_sqlite 5.6
//                             cannot change SQLite's default synchronous=FULL, so on a disk folder
//                             Kamailio also fdatasyncs the WAL on every REGISTER)
//     --kamailio-durable-children 1  (UDP and TCP workers of the durable anchor)
//     --json-out FILE     (all results as JSON)
import { loadavg, cpus, totalmem, tmpdir } from 'node:os';
import { cpSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startKamailio } from '../../test/harness/kamailio.mjs';
import { startParley, parleyCli, importUsers, PARLEY_CLI } from '../../test/harness/parley.mjs';
import { runSipp, usersCsv, findMaxCleanRate, startMessageUas, summarize } from '../../test/harness/sipp.mjs';
import { makeTempDir, removeDir, sleep } from '../../test/harness/proc.mjs';
import { freePort } from '../../test/harness/ports.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`) || /^(1|true|yes)$/i.test(process.env[envKey(name)] ?? '');
function envKey(name) {
  return 'SIP_LOAD_' + name.replace(/-/g, '_').toUpperCase();
}
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  return process.env[envKey(name)] ?? def;
};
const quick = flag('quick');
const scenarioNames = opt('scenarios', quick ? 'register-udp,message-udp' : 'register-udp,message-udp,register-tcp').split(',');
const durationSec = Number(opt('duration', quick ? '2' : '5'));
const rates = opt('rates', quick ? '150,300,600,1000,2000,3000,4000,6000,8000,10000,12000' : '100,200,300,400,600,800,1000,1500,2000,3000,4000,5000,6000,7000,8000,10000,12000,14000,16000')
  .split(',')
  .map(Number);
const refineSteps = Number(opt('refine', quick ? '1' : '2'));
const userCount = Number(opt('users', quick ? '5000' : '20000'));
const memCount = Number(opt('mem-count', quick ? '10000' : '100000'));
const memChunk = Number(opt('mem-chunk', '20000'));
const fillRateOpt = opt('fill-rate', ''); // default: 0.8 x Parley's clean REGISTER/UDP rate (100..2000)
const kamFillRateOpt = opt('kamailio-fill-rate', ''); // default: 0.5 x Kamailio's (100..2000)
const settleSec = Number(opt('settle', quick ? '5' : '35'));
const kamailioMem = !flag('no-kamailio-mem');
const profile = flag('profile');
const jsonOut = opt('json-out', '');
const kamailioAnchor = opt('kamailio-anchor', 'memory');
if (!['memory', 'durable', 'both'].includes(kamailioAnchor)) throw new Error(`--kamailio-anchor must be memory, durable or both, not ${kamailioAnchor}`);
const kamailioDbDir = opt('kamailio-db-dir', existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const kamailioDurableChildren = Number(opt('kamailio-durable-children', '1'));
const BAR = 0.5;

const PASSWORD = 'Test-Password-42';
const DOMAIN = 'example.com';
const TARGET = 'user90000';
const KAMAILIO = { children: 2, tcpChildren: 2, debug: -1, shmMb: 1024 }; // as bench/kamailio/measure.mjs
/** The Kamailio anchors measured in this run: key in results, server kind, labels. */
const ANCHORS = [
  { key: 'kamailio', kind: 'kamailio', durable: false, label: 'Kamailio in-memory', short: 'Kamailio-memory' },
  { key: 'kamailioDurable', kind: 'kamailio-durable', durable: true, label: 'Kamailio durable (SQLite)', short: 'Kamailio-durable' },
].filter((a) => kamailioAnchor === 'both' || (kamailioAnchor === 'durable') === a.durable);
if (kamailioAnchor === 'memory') Object.assign(ANCHORS[0], { label: 'Kamailio', short: 'Kamailio' }); // the report as before
const PARLEY_ENV = {
  PARLEY_SECURITY_REQUESTS_PER_CONNECTION_PER_SECOND: '1000000', // SIPp sends everything from one socket
  PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000000',
  PARLEY_SECURITY_AUTH_FAILURES_PER_USER_PER_MINUTE: '1000000',
};

const SCENARIOS = {
  'register-udp': { label: 'REGISTER + digest', scenario: 'register-digest', transport: 'u1' },
  'message-udp': { label: 'MESSAGE (407 + relay)', scenario: 'message-uac', transport: 'u1', uas: true },
  'register-tcp': { label: 'REGISTER + digest', scenario: 'register-digest', transport: 't1' },
  'message-tcp': { label: 'MESSAGE (407 + relay)', scenario: 'message-uac', transport: 't1', uas: true },
};
for (const s of scenarioNames) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s} (known: ${Object.keys(SCENARIOS).join(', ')})`);

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const secs = (t0) => ((Date.now() - t0) / 1000).toFixed(0);
const fmt = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en-US'));
/** A max clean rate equal to the top of the ramp is only a lower bound. */
const fmtRate = (r) => `${r.firstUncleanRate == null && r.maxCleanRate > 0 ? '>= ' : ''}${fmt(r.maxCleanRate)}/s`;
const mb = (b) => (b / 1048576).toFixed(1);
const log = (...a) => console.log(...a);
const kindWidth = kamailioAnchor === 'memory' ? 8 : 16;

// ---------------------------------------------------------------- cleanup
const live = new Set(); // handles with stop()
const tempDirs = new Set(); // user templates, removed on exit
let interrupted = false;
process.on('exit', () => {
  for (const d of tempDirs) removeDir(d);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    interrupted = true;
    log(`\n${sig}: stopping servers`);
    await Promise.race([Promise.allSettled([...live].map((h) => h.stop())), sleep(15000)]);
    process.exit(130);
  });
}
async function using(handle, fn) {
  live.add(handle);
  try {
    return await fn(handle);
  } finally {
    live.delete(handle);
    await handle.stop();
  }
}

// ---------------------------------------------------------------- servers
/** A Parley data folder with the domain and users imported, copied per server start. */
function makeTemplate(count, extra = []) {
  const dir = makeTempDir('parley-bench-template-');
  tempDirs.add(dir);
  parleyCli(dir, ['domain', 'add', DOMAIN]);
  for (let start = 0; start < count; start += memChunk) {
    importUsers(dir, { count: Math.min(memChunk, count - start), start, password: PASSWORD, domain: DOMAIN });
  }
  for (const u of extra) importUsers(dir, { count: 1, start: Number(u.replace('user', '')), password: PASSWORD, domain: DOMAIN });
  for (const f of readdirSync(dir)) if (f.startsWith('import-')) removeDir(join(dir, f));
  return dir;
}

async function parleyServer(template, { env = {} } = {}) {
  const dataDir = makeTempDir('parley-bench-data-');
  cpSync(template, dataDir, { recursive: true });
  let p;
  try {
    p = await startParley({ dataDir, env: { ...PARLEY_ENV, ...env } });
  } catch (e) {
    removeDir(dataDir);
    throw e;
  }
  return {
    kind: 'parley',
    pid: p.proc.pid,
    remote: `127.0.0.1:${p.sipPort}`,
    parley: p,
    async stop() {
      await p.stop();
      removeDir(dataDir);
    },
  };
}

/** durable: subscribers user0..user{users-1} and TARGET, SQLite file in kamailioDbDir. */
async function kamailioServer({ durable = false, users = userCount } = {}) {
  const k = await startKamailio({
    ...KAMAILIO,
    realm: DOMAIN,
    benchPassword: PASSWORD,
    ...(durable
      ? { durable, children: kamailioDurableChildren, tcpChildren: kamailioDurableChildren, dbDir: kamailioDbDir, benchUserCount: users, benchUserExtra: [TARGET] }
      : {}),
  });
  return { kind: durable ? 'kamailio-durable' : 'kamailio', pid: k.pid, remote: k.remote, kamailio: k, stop: () => k.stop() };
}

/** Durable anchor: rows in its `location` table and SQLite errors in its log (debug -1 logs errors). */
async function durableCheck(server) {
  const k = server.kamailio;
  const rows = (await k.locationRows()).length;
  const lines = k.output().split('\n');
  const dbErrors = lines.filter((l) => /db_sqlite|failed to (insert|update) (in|contact)|database is locked/i.test(l)).length;
  return { locationRows: rows, dbErrorLines: dbErrors };
}

// ---------------------------------------------------------------- rate
const onRun = (who) => (e) => {
  log(`    ${who.padEnd(kindWidth)} ${String(e.rate).padStart(6)}/s  ${e.clean ? 'clean  ' : 'UNCLEAN'}  ${e.reason.padEnd(26)} ${summarize(e.result)}`);
  const el = e.result.errorLog ?? '';
  const i = el.search(/SIP\/2\.0 [3-6]\d\d/);
  if (i >= 0) {
    const msg = el.slice(i, i + 2000);
    log(`             first unexpected: ${msg.split(/\r?\n/)[0]} | ${/^Server:.*$/m.exec(msg)?.[0] ?? 'no Server header'}`);
  }
};

async function maxRate(server, sc) {
  const sipp = {
    scenario: sc.scenario,
    remote: server.remote,
    transport: sc.transport,
    injectCsv: usersCsv({ count: userCount, domain: DOMAIN, password: PASSWORD, ...(sc.uas ? { target: TARGET } : {}) }),
    // One SIPp port for the whole ramp: the REGISTER Contact is SIPp's own address, so a
    // fresh port per step would add a binding per AOR per step (Kamailio's max_contacts=10
    // then answers 503 from the 11th step on) instead of refreshing the one binding.
    localPort: await freePort(),
  };
  const ramp = () => findMaxCleanRate({ rates, durationSec, refineSteps, sipp, onRun: onRun(server.kind) });
  if (!sc.uas) return ramp();
  const uas = await startMessageUas({ remote: server.remote, transport: sc.transport, users: [TARGET], password: PASSWORD, domain: DOMAIN });
  live.add(uas);
  try {
    return await ramp();
  } finally {
    live.delete(uas);
    const u = await uas.stop();
    log(`    ${server.kind.padEnd(kindWidth)} (the UAS answered ${fmt(u.received.MESSAGE ?? 0)} MESSAGEs)`);
  }
}

// ---------------------------------------------------------------- memory
const rssBytes = (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

function processTree(pid) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {
      /* raced */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length && i < 1000; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}

/** Sum of PSS over a process tree (shared memory counted once). */
function pssBytes(pid) {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb * 1024;
}

function fetchMetrics(p) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: p.httpsPort, path: '/metrics', ca: readFileSync(p.caFile), timeout: 10000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics: HTTP ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('/metrics: timeout')));
    req.on('error', reject);
    req.end();
  });
}
const metric = (text, name) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : null;
};

/** Register user0..user{count-1} in chunks from distinct SIPp ports; retry a chunk (bounded) at half rate. */
async function fillRegistrations(server, count, rate) {
  let ok = 0;
  for (let start = 0; start < count; start += memChunk) {
    const n = Math.min(memChunk, count - start);
    // one port per chunk, kept for its retries: a retry refreshes the same bindings
    const localPort = await freePort();
    let r;
    for (let attempt = 0, rr = rate; attempt < 3; attempt++, rr = Math.max(100, Math.round(rr / 2))) {
      r = await runSipp({
        scenario: 'register-digest',
        remote: server.remote,
        transport: 'u1',
        localPort,
        injectCsv: usersCsv({ count: n, start, domain: DOMAIN, password: PASSWORD }),
        calls: n,
        rate: rr,
        timeoutSec: Math.ceil(n / rr) * 2 + 30,
      });
      if (r.successful === n && r.failed === 0) break;
      log(`    ${server.kind} chunk ${start}..${start + n - 1} at ${rr}/s not clean (${summarize(r)}); again at half rate`);
      if (interrupted) break;
    }
    ok += r.successful;
  }
  return ok;
}

async function parleyMemory(template, count, fillRate) {
  const out = { count };
  await using(await parleyServer(template), async (s) => {
    const p = s.parley;
    const before = await fetchMetrics(p).catch((e) => (out.metricsError = e.message, null));
    await sleep(2000);
    out.rssBefore = rssBytes(s.pid);
    out.heapBefore = metric(before, 'nodejs_heap_size_used_bytes');
    const t0 = Date.now();
    out.registeredOk = await fillRegistrations(s, count, fillRate);
    out.fillSec = (Date.now() - t0) / 1000;
    out.rssRightAfter = rssBytes(s.pid);
    log(`    parley: ${fmt(out.registeredOk)} x 200 in ${out.fillSec.toFixed(0)} s; VmRSS ${mb(out.rssBefore)} -> ${mb(out.rssRightAfter)} MB; settling ${settleSec} s (transaction timers)`);
    await sleep(settleSec * 1000);
    out.rssAfter = rssBytes(s.pid);
    const after = await fetchMetrics(p).catch((e) => (out.metricsError = e.message, null));
    out.heapAfter = metric(after, 'nodejs_heap_size_used_bytes');
    out.registrationsActive = metric(after, 'parley_registrations_active');
    out.rssPerRegistration = (out.rssAfter - out.rssBefore) / count;
    out.heapPerRegistration = out.heapAfter != null && out.heapBefore != null ? (out.heapAfter - out.heapBefore) / count : null;
  });
  return out;
}

async function kamailioMemory(count, fillRate, durable = false) {
  const out = { count };
  await using(await kamailioServer({ durable, users: count }), async (s) => {
    await sleep(1000);
    out.pssBefore = pssBytes(s.pid);
    const t0 = Date.now();
    out.registeredOk = await fillRegistrations(s, count, fillRate);
    out.fillSec = (Date.now() - t0) / 1000;
    await sleep(Math.min(settleSec, 10) * 1000); // tm wait_timer 5 s
    out.pssAfter = pssBytes(s.pid);
    out.pssPerRegistration = (out.pssAfter - out.pssBefore) / count;
    if (durable) Object.assign(out, await durableCheck(s));
  });
  return out;
}

// ---------------------------------------------------------------- profile summary
/** Self time per function from a .cpuprofile (V8 CPU profile JSON). */
function hotSpots(file, top = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas ?? [];
  let total = 0;
  prof.samples.forEach((id, i) => {
    const t = dt[i + 1] ?? dt[i] ?? 0; // delta to the next sample = time spent in this one
    total += t;
    self.set(id, (self.get(id) ?? 0) + t);
  });
  const agg = new Map();
  let idle = 0;
  for (const [id, t] of self) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === '(idle)') idle += t;
    const url = cf.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '');
    const key = `${cf.functionName || '(anonymous)'}  ${url}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    agg.set(key, (agg.get(key) ?? 0) + t);
  }
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    top: [...agg.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, t]) => ({ fn, selfMs: t / 1000, pctOfBusy: (100 * t) / busy })),
  };
}

// ---------------------------------------------------------------- main
const T0 = Date.now();
const out = {
  date: new Date().toISOString(),
  command: `node bench/sip-load/run.mjs ${argv.join(' ')}`.trim(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGB: +(totalmem() / 2 ** 30).toFixed(1) },
  options: {
    quick, scenarioNames, durationSec, rates, refineSteps, userCount, memCount, settleSec, kamailioAnchor,
    ...(kamailioAnchor !== 'memory' ? { kamailioDbDir, kamailioDurableChildren } : {}),
  },
  loadBefore: load(),
  versions: {
    node: process.version,
    sipp: (() => {
      try {
        return execFileSync('sipp', ['-v'], { encoding: 'utf8', timeout: 5000 }).match(/SIPp v[\d.]+/)?.[0];
      } catch (e) {
        return (e.stdout ?? '').toString().match(/SIPp v[\d.]+/)?.[0] ?? null;
      }
    })(),
    kamailio: (() => {
      try {
        return execFileSync('kamailio', ['-v'], { encoding: 'utf8', timeout: 5000 }).match(/kamailio [\d.]+/)?.[0];
      } catch {
        return null;
      }
    })(),
  },
  commit: (() => {
    if (flag('no-commit-info')) return null;
    try {
      // (GIT_OPTIONAL_LOCKS=0: `git status` must not take index.lock while someone commits)
      const git = (a) =>
        execFileSync('git', a, { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 5000, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }).trim();
      return `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no', 'packages']) ? ' (+ uncommitted changes in packages/)' : ''}`;
    } catch {
      return null;
    }
  })(),
  results: {},
  timings: {},
};
if (!existsSync(PARLEY_CLI)) throw new Error(`${PARLEY_CLI} missing: build first (npx tsc -b)`);
log(`SIP load: Parley vs Kamailio, ${out.machine.cpus} CPUs (${out.machine.model}), ${out.versions.sipp}, ${out.versions.kamailio}, node ${process.version}`);
log(`commit ${out.commit}; load average before: ${out.loadBefore}${quick ? '   [quick mode]' : ''}`);
log(`ramp ${rates.join(',')} /s, ${durationSec} s per step, ${refineSteps} bisections; ${userCount} users; same SIPp options for all servers`);
for (const a of ANCHORS) {
  log(a.durable
    ? `anchor ${a.label}: usrloc db_mode 1 (write-through) + auth_db, SQLite in ${kamailioDbDir}, ${kamailioDurableChildren} UDP + ${kamailioDurableChildren} TCP workers`
    : `anchor ${a.label}: usrloc db_mode 0 (memory only), passwords in an htable, ${KAMAILIO.children} UDP + ${KAMAILIO.tcpChildren} TCP workers`);
}
log('');

let t = Date.now();
const template = makeTemplate(userCount, [TARGET]);
out.timings.importRateUsersSec = +secs(t);
log(`imported ${fmt(userCount + 1)} Parley users in ${out.timings.importRateUsersSec} s\n`);

const profiles = [];
try {
  t = Date.now();
  for (const [i, name] of scenarioNames.entries()) {
    if (interrupted) break;
    const sc = SCENARIOS[name];
    const ts = Date.now();
    log(`${name}: ${sc.label} over ${sc.transport === 'u1' ? 'UDP' : 'TCP'}  (load ${load()})`);
    const res = {};
    // K,P / P,K (with both anchors: Km,Kd,P / P,Kd,Km)
    const kinds = [...ANCHORS.map((a) => a.key), 'parley'];
    const order = i % 2 === 0 ? kinds : kinds.reverse();
    for (const key of order) {
      const anchor = ANCHORS.find((a) => a.key === key);
      const kind = anchor?.kind ?? 'parley';
      let profDir = null;
      const env = {};
      if (kind === 'parley' && profile) {
        profDir = makeTempDir('parley-cpuprof-');
        env.NODE_OPTIONS = `--import=${new URL('./cpu-profile.mjs', import.meta.url).href}`;
        env.CPU_PROFILE_DIR = profDir;
      }
      const server = kind === 'parley' ? await parleyServer(template, { env }) : await kamailioServer({ durable: anchor.durable });
      let check = null;
      const r = await using(server, async (s) => {
        const x = await maxRate(s, sc);
        if (anchor?.durable) check = await durableCheck(s);
        return x;
      });
      res[key] = { maxCleanRate: r.maxCleanRate, firstUncleanRate: r.firstUncleanRate, firstUncleanReason: r.runs.find((x) => x.rate === r.firstUncleanRate && !x.clean)?.reason ?? null, ...check };
      log(`    => ${kind} max clean rate ${fmt(r.maxCleanRate)}/s${r.firstUncleanRate ? ` (first unclean ${fmt(r.firstUncleanRate)}/s: ${res[key].firstUncleanReason})` : ''}`);
      if (check) log(`       ${kind}: ${fmt(check.locationRows)} rows in its SQLite location table, ${fmt(check.dbErrorLines)} SQLite/usrloc error lines in its log`);
      if (profDir) {
        const f = readdirSync(profDir).find((x) => x.endsWith('.cpuprofile'));
        if (f) {
          const hs = hotSpots(join(profDir, f));
          profiles.push({ scenario: name, file: join(profDir, f), ...hs });
          log(`    parley CPU profile ${join(profDir, f)}: busy ${(hs.busyMs / 1000).toFixed(1)} s of ${(hs.totalMs / 1000).toFixed(1)} s`);
          for (const h of hs.top) log(`      ${h.pctOfBusy.toFixed(1).padStart(5)} %  ${h.fn}`);
        } else log(`    (no .cpuprofile written in ${profDir})`);
      }
    }
    // ratio / pass against the in-memory anchor; ratioDurable / passDurable against the durable one
    const ratios = [];
    for (const a of ANCHORS) {
      const k = res[a.key];
      const ratio = k.maxCleanRate > 0 ? res.parley.maxCleanRate / k.maxCleanRate : null;
      // with Kamailio clean at the top of the ramp the ratio is only an upper bound
      const pass = ratio != null && ratio >= BAR && k.firstUncleanRate != null;
      const suffix = a.durable ? 'Durable' : '';
      res[`ratio${suffix}`] = ratio;
      res[`pass${suffix}`] = pass;
      ratios.push(`parley/${a.short.toLowerCase()} ${ratio?.toFixed(2) ?? '-'} (bar ${BAR}: ${pass ? 'pass' : 'FAIL'})`);
    }
    res.sec = +secs(ts);
    out.results[name] = res;
    log(`    ratio ${ratios.join(', ')}, ${res.sec} s\n`);
  }
  out.timings.rateSec = +secs(t);
} finally {
  removeDir(template);
}

if (memCount > 0 && !interrupted) {
  const clamp = (x) => Math.max(100, Math.min(2000, Math.floor(x)));
  const regP = out.results['register-udp']?.parley?.maxCleanRate;
  const regK = out.results['register-udp']?.kamailio?.maxCleanRate ?? out.results['register-udp']?.kamailioDurable?.maxCleanRate;
  const fillRate = Number(fillRateOpt || (regP ? clamp(regP * 0.8) : 250));
  const kamFillRate = Number(kamFillRateOpt || (regK ? clamp(regK * 0.5) : 2000));
  log(`memory: ${fmt(memCount)} registrations (distinct AORs, one Contact each) over UDP, fill rate Parley ${fillRate}/s, Kamailio ${kamFillRate}/s`);
  Object.assign(out.options, { fillRate, kamFillRate });
  t = Date.now();
  const memTemplate = makeTemplate(memCount);
  out.timings.importMemUsersSec = +secs(t);
  log(`    imported ${fmt(memCount)} Parley users in chunks of ${fmt(memChunk)}: ${out.timings.importMemUsersSec} s (${((1000 * out.timings.importMemUsersSec) / memCount).toFixed(2)} ms/user)`);
  try {
    t = Date.now();
    const pm = await parleyMemory(memTemplate, memCount, fillRate);
    out.timings.parleyMemSec = +secs(t);
    out.results.parleyMemory = pm;
    log(`    parley: VmRSS ${mb(pm.rssBefore)} -> ${mb(pm.rssAfter)} MB => ${fmt(pm.rssPerRegistration)} B/registration` +
      (pm.heapPerRegistration != null ? `; heap used ${mb(pm.heapBefore)} -> ${mb(pm.heapAfter)} MB => ${fmt(pm.heapPerRegistration)} B/registration` : `; heap: ${pm.metricsError ?? 'n/a'}`) +
      `; parley_registrations_active ${fmt(pm.registrationsActive)}`);
  } finally {
    removeDir(memTemplate);
  }
  for (const a of kamailioMem ? ANCHORS : []) {
    if (interrupted) break;
    t = Date.now();
    const km = await kamailioMemory(memCount, kamFillRate, a.durable);
    out.timings[`${a.key}MemSec`] = +secs(t);
    out.results[`${a.key}Memory`] = km;
    log(`    ${a.kind}: ${fmt(km.registeredOk)} x 200 in ${km.fillSec.toFixed(0)} s; PSS (all processes) ${mb(km.pssBefore)} -> ${mb(km.pssAfter)} MB => ${fmt(km.pssPerRegistration)} B/registration` +
      (a.durable ? `; ${fmt(km.locationRows)} rows in its SQLite location table, ${fmt(km.dbErrorLines)} SQLite/usrloc error lines` : ''));
  }
  log('');
}

out.loadAfter = load();
out.timings.totalSec = +secs(T0);
if (profiles.length) out.profiles = profiles;

// ---------------------------------------------------------------- report
// one anchor: | scenario | transport | K | P | P/K | bar |; both: | ... | Km | Kd | P | P/Km | bar | P/Kd | bar |
const one = ANCHORS.length === 1;
log(`| scenario | transport | ${ANCHORS.map((a) => `${a.label} max clean rate`).join(' | ')} | Parley max clean rate | ` +
  ANCHORS.map((a) => `Parley/${a.short} | bar ${BAR}${one ? '' : ` (vs ${a.short})`}`).join(' | ') + ' |');
log(`|---|---|${ANCHORS.map(() => '---|').join('')}---|${ANCHORS.map(() => '---|---|').join('')}`);
for (const name of scenarioNames) {
  const r = out.results[name];
  if (!r) continue;
  const sc = SCENARIOS[name];
  const cells = ANCHORS.map((a) => {
    const suffix = a.durable ? 'Durable' : '';
    const ratio = r[`ratio${suffix}`];
    const le = r[a.key].firstUncleanRate == null ? '<= ' : '';
    return `${ratio == null ? '-' : le + ratio.toFixed(2)} | ${r[`pass${suffix}`] ? 'pass' : ratio >= BAR ? 'unknown (extend --rates)' : '**FAIL**'}`;
  });
  log(`| ${sc.label} | ${sc.transport === 'u1' ? 'UDP' : 'TCP'} | ${ANCHORS.map((a) => fmtRate(r[a.key])).join(' | ')} | ${fmtRate(r.parley)} | ${cells.join(' | ')} |`);
}
if (ANCHORS.some((a) => a.durable)) {
  log(`(Kamailio durable: usrloc db_mode 1 + auth_db on SQLite in ${kamailioDbDir}, ${kamailioDurableChildren} UDP + ${kamailioDurableChildren} TCP workers; ` +
    `location rows / SQLite error lines after each scenario: ${scenarioNames.filter((n) => out.results[n]).map((n) => `${n} ${fmt(out.results[n].kamailioDurable.locationRows)} / ${fmt(out.results[n].kamailioDurable.dbErrorLines)}`).join(', ')})`);
}
const pm = out.results.parleyMemory;
if (pm) {
  log(`\nParley memory at ${fmt(pm.count)} registrations: ${fmt(pm.rssPerRegistration)} B/registration (VmRSS ${mb(pm.rssBefore)} -> ${mb(pm.rssAfter)} MB)` +
    (pm.heapPerRegistration != null ? `, heap ${fmt(pm.heapPerRegistration)} B/registration` : '') +
    `, parley_registrations_active ${fmt(pm.registrationsActive)}`);
}
for (const a of ANCHORS) {
  const km = out.results[`${a.key}Memory`];
  if (km) log(`${one ? 'Kamailio memory' : `${a.label}, memory`} at ${fmt(km.count)} registrations: ${fmt(km.pssPerRegistration)} B/registration (PSS ${mb(km.pssBefore)} -> ${mb(km.pssAfter)} MB)`);
}
log(`load average before: ${out.loadBefore}, after: ${out.loadAfter}; total ${out.timings.totalSec} s ${JSON.stringify(out.timings)}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2) + '\n');
