#!/usr/bin/env node
// Server CPU time per call at a fixed rate: the figure of bench/sip-load that a
// shared, noisy machine moves least (a rate ramp measures the machine as much
// as the server). Each server runs the same SIPp scenario at one fixed rate
// well below its ceiling, and the server's own CPU time (utime + stime of its
// process(es), from /proc) over the run is divided by the calls completed.
// Kamailio is measured the same way, as the anchor (its main process and
// every child it forked), so the ratio Kamailio µs / Parley µs says how many
// times more work Parley does per call on this machine, in this run.
//
//   node bench/sip-load/cpu-per-call.mjs [--scenario register-udp|message-udp] [--rate 1500]
//        [--seconds 10] [--repeat 3] [--users 5000] [--no-kamailio] [--profile DIR]
//
// Not a timed test; see bench/README.md for figures.
import { readFileSync, readdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startKamailio } from '../../test/harness/kamailio.mjs';
import { startParley, parleyCli, importUsers } from '../../test/harness/parley.mjs';
import { runSipp, usersCsv, startMessageUas, summarize } from '../../test/harness/sipp.mjs';
import { makeTempDir, removeDir } from '../../test/harness/proc.mjs';
import { freePort } from '../../test/harness/ports.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
};
const SCENARIO = opt('scenario', 'register-udp');
const RATE = Number(opt('rate', '1500'));
const SECONDS = Number(opt('seconds', '10'));
const REPEAT = Number(opt('repeat', '3'));
const USERS = Number(opt('users', '5000'));
const KAMAILIO = !argv.includes('--no-kamailio');
// --profile DIR: a CPU profile of each Parley run in DIR (cpu-profile.mjs), for `node bench/sip-load/profile-summary.mjs`.
const PROFILE_DIR = opt('profile', '');
const DOMAIN = 'example.com';
const PASSWORD = 'Test-Password-42';
const TARGET = 'user90000';
const SCENARIOS = {
  'register-udp': { scenario: 'register-digest', uas: false },
  'message-udp': { scenario: 'message-uac', uas: true },
};
const sc = SCENARIOS[SCENARIO];
if (!sc) throw new Error(`--scenario: one of ${Object.keys(SCENARIOS).join(', ')}`);
const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime in seconds of `pid` and its descendants (Kamailio forks its workers). */
function cpuSeconds(rootPid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      children.set(Number(d), { ppid, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const p = stack.pop();
    total += children.get(p)?.ticks ?? 0;
    for (const [pid, c] of children) if (c.ppid === p) stack.push(pid);
  }
  return total / CLK_TCK;
}

function makeTemplate() {
  const dir = makeTempDir('parley-cpc-template-');
  parleyCli(dir, ['domain', 'add', DOMAIN]);
  importUsers(dir, { count: USERS, start: 0, password: PASSWORD, domain: DOMAIN });
  importUsers(dir, { count: 1, start: 90000, password: PASSWORD, domain: DOMAIN });
  return dir;
}

async function measure(kind, start, stop) {
  const server = await start();
  try {
    let uas;
    if (sc.uas) uas = await startMessageUas({ remote: server.remote, transport: 'u1', users: [TARGET], password: PASSWORD, domain: DOMAIN });
    try {
      const localPort = await freePort();
      const sipp = {
        scenario: sc.scenario,
        remote: server.remote,
        transport: 'u1',
        injectCsv: usersCsv({ count: USERS, domain: DOMAIN, password: PASSWORD, ...(sc.uas ? { target: TARGET } : {}) }),
        localPort,
      };
      // Warm-up: JIT, first bindings, caches.
      await runSipp({ ...sipp, rate: Math.min(RATE, 1000), calls: Math.min(RATE, 1000) * 3 });
      const before = cpuSeconds(server.pid);
      const r = await runSipp({ ...sipp, rate: RATE, calls: RATE * SECONDS });
      const cpu = cpuSeconds(server.pid) - before;
      const calls = r.successful ?? 0;
      const clean = (r.failed ?? 0) === 0;
      return { kind, usPerCall: calls > 0 ? (cpu * 1e6) / calls : NaN, calls, cpu, clean, summary: summarize(r) };
    } finally {
      await uas?.stop();
    }
  } finally {
    await stop(server);
  }
}

const template = makeTemplate();
const parley = async () => {
  const dataDir = makeTempDir('parley-cpc-data-');
  cpSync(template, dataDir, { recursive: true });
  const p = await startParley({
    dataDir,
    env: {
      PARLEY_SECURITY_REQUESTS_PER_CONNECTION_PER_SECOND: '1000000',
      PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000000',
      PARLEY_SECURITY_AUTH_FAILURES_PER_USER_PER_MINUTE: '1000000',
      ...(PROFILE_DIR ? { NODE_OPTIONS: `--import=${new URL('./cpu-profile.mjs', import.meta.url).href}`, CPU_PROFILE_DIR: PROFILE_DIR } : {}),
    },
  });
  return { pid: p.proc.pid, remote: `127.0.0.1:${p.sipPort}`, stop: () => p.stop(), dataDir };
};
const kamailio = async () => {
  const k = await startKamailio({ children: 2, tcpChildren: 2, debug: -1, shmMb: 1024, realm: DOMAIN, benchPassword: PASSWORD });
  return { pid: k.pid, remote: k.remote, stop: () => k.stop() };
};

console.log(`CPU per call, ${SCENARIO} at ${RATE}/s for ${SECONDS} s, ${REPEAT} rounds; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const rows = [];
try {
  for (let i = 0; i < REPEAT; i++) {
    const order = i % 2 === 0 ? ['kamailio', 'parley'] : ['parley', 'kamailio'];
    for (const kind of order) {
      if (kind === 'kamailio' && !KAMAILIO) continue;
      const m =
        kind === 'parley'
          ? await measure('parley', parley, async (s) => {
              await s.stop();
              removeDir(s.dataDir);
            })
          : await measure('kamailio', kamailio, (s) => s.stop());
      rows.push(m);
      console.log(`  ${kind.padEnd(8)} ${m.usPerCall.toFixed(0).padStart(5)} µs/call  (${m.cpu.toFixed(2)} s CPU, ${m.calls} calls${m.clean ? '' : ', NOT CLEAN'})  ${m.summary}`);
    }
  }
} finally {
  removeDir(template);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
const p = median(rows.filter((r) => r.kind === 'parley').map((r) => r.usPerCall));
const k = median(rows.filter((r) => r.kind === 'kamailio').map((r) => r.usPerCall));
console.log(`median: Parley ${p.toFixed(0)} µs/call${KAMAILIO ? `, Kamailio ${k.toFixed(0)} µs/call, Kamailio/Parley ${(k / p).toFixed(2)}` : ''}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
