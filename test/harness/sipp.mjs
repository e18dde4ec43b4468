// SIPp driver: run scripted SIP flows and load against a server on loopback.
//
//   const r = await runSipp({ scenario: 'register-digest', remote: '127.0.0.1:5060',
//                             transport: 'u1', injectCsv: usersCsv({ count: 100 }),
//                             calls: 100, rate: 50 });
//   r.successful === 100 && r.failed === 0 && r.responses['200'] === 100
//
// Scenarios: a path to an XML file, a file name from ./scenarios (with or
// without .xml), or a SIPp built-in ('uac', 'uas', ...; passed as -sn).
// Statistics come from -trace_stat (cumulative counters), -trace_counts
// (per-step Sent/Recv/Retrans/Timeout/Unexp, which gives response-code
// counts) and -trace_error_codes (codes of unexpected responses). SIPp runs
// in its own temp dir (removed afterwards); its control port (-cp) and local
// SIP port (-p) are picked free, so parallel runs do not collide.
//
// Note: Debian's SIPp 3.6.1 is built without OpenSSL, so transport 'l1'/'ln'
// (TLS) fails unless sippSupportsTls() is true.
import { writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, isAbsolute, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, isPortFree } from './ports.mjs';
import { startProcess, makeTempDir, removeDir, which, versionOf, waitFor, sleep } from './proc.mjs';

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const BUILTIN = new Set(['uac', 'uas', 'regexp', 'branchc', 'branchs', '3pcc-C-A', '3pcc-C-B', '3pcc-A', '3pcc-B', 'uac_pcap']);

export function sippPath() {
  return which('sipp');
}

/** True if the installed SIPp was built with TLS (its version string says so). */
export function sippSupportsTls() {
  const p = sippPath();
  if (!p) return false;
  return /TLS/i.test(versionOf(p, ['-v']) ?? '');
}

/** Resolve a scenario option to SIPp arguments (['-sf', path] or ['-sn', name]). */
export function scenarioArgs(scenario) {
  if (!scenario) throw new Error('runSipp: scenario is required');
  if (BUILTIN.has(scenario)) return ['-sn', scenario];
  if (isAbsolute(scenario) || scenario.includes('/')) {
    if (!existsSync(scenario)) throw new Error(`runSipp: scenario file not found: ${scenario}`);
    return ['-sf', scenario];
  }
  const p = join(SCENARIO_DIR, scenario.endsWith('.xml') ? scenario : `${scenario}.xml`);
  if (!existsSync(p)) throw new Error(`runSipp: no scenario '${scenario}' in ${SCENARIO_DIR}`);
  return ['-sf', p];
}

/** Path of a bundled scenario file. */
export function scenarioPath(name) {
  return scenarioArgs(name)[1];
}

/**
 * Injection CSV for N users: `user{start}..user{start+count-1}`, one password,
 * one domain. Fields: 0 user, 1 password, 2 domain, [3 target user].
 * `target` may be a string (same target for all rows) or (i, user) => string.
 * `users` may be given instead of count/prefix: [{user, password?}] or names.
 */
export function usersCsv({
  count = 1,
  start = 0,
  prefix = 'user',
  password = 'secret',
  domain = '127.0.0.1',
  target,
  users,
  order = 'SEQUENTIAL',
} = {}) {
  const rows = [order];
  const list =
    users?.map((u) => (typeof u === 'string' ? { user: u } : u)) ??
    Array.from({ length: count }, (_, i) => ({ user: `${prefix}${start + i}` }));
  list.forEach((u, i) => {
    const fields = [u.user, u.password ?? password, u.domain ?? domain];
    if (target !== undefined) fields.push(typeof target === 'function' ? target(i, u.user) : target);
    for (const f of fields) {
      if (/[;\n]/.test(String(f))) throw new Error(`usersCsv: field may not contain ';' or newline: ${f}`);
    }
    rows.push(fields.join(';'));
  });
  return rows.join('\n') + '\n';
}

function parseSemicolonCsv(text) {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return null;
  const head = lines[0].split(';');
  const last = lines[lines.length - 1].split(';');
  const out = {};
  head.forEach((h, i) => {
    if (h !== '') out[h] = last[i];
  });
  return out;
}

const num = (v) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

// "2026-11-23\t12:22:04.743205\t1795436524.743205" -> 1795436524.743205
const epochOf = (v) => num(String(v ?? '').split('\t').pop());

// "00:00:00:012000" (hh:mm:ss:usec) -> ms
function durMs(v) {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(String(v ?? '').trim());
  if (!m) return null;
  return ((+m[1] * 60 + +m[2]) * 60 + +m[3]) * 1000 + +m[4] / 1000;
}

/** Turn the files SIPp left in `dir` into a result object. */
export function parseSippOutputs(dir, statsFile) {
  const res = {
    successful: 0,
    failed: 0,
    retransmissions: 0,
    outgoingCalls: 0,
    incomingCalls: 0,
    created: 0,
    elapsedSec: 0,
    callRate: 0,
    responseTimeMs: null,
    failures: {},
    counts: {},
    sent: {},
    received: {},
    responses: {},
    unexpected: {},
    unexpectedCodes: {},
    timeouts: 0,
    messagesSent: 0,
    stats: null,
  };
  const files = existsSync(dir) ? readdirSync(dir) : [];
  if (statsFile && existsSync(statsFile)) {
    const s = parseSemicolonCsv(readFileSync(statsFile, 'utf8'));
    if (s) {
      res.stats = s;
      res.successful = num(s['SuccessfulCall(C)']);
      res.failed = num(s['FailedCall(C)']);
      res.retransmissions = num(s['Retransmissions(C)']);
      res.outgoingCalls = num(s['OutgoingCall(C)']);
      res.incomingCalls = num(s['IncomingCall(C)']);
      res.created = num(s['TotalCallCreated']);
      res.callRate = num(s['CallRate(C)']);
      res.elapsedSec = Math.max(0, epochOf(s.CurrentTime) - epochOf(s.StartTime));
      res.responseTimeMs = durMs(s['ResponseTime1(C)']);
      for (const [k, v] of Object.entries(s)) {
        const m = /^Failed(.+)\(C\)$/.exec(k);
        if (m && m[1] !== 'Call' && num(v) > 0) res.failures[m[1]] = num(v);
      }
    }
  }
  const countsFile = files.find((f) => f.endsWith('_counts.csv'));
  if (countsFile) {
    const c = parseSemicolonCsv(readFileSync(join(dir, countsFile), 'utf8'));
    if (c) {
      for (const [k, v] of Object.entries(c)) {
        const m = /^\d+_(.+)_(Sent|Recv|Retrans|Timeout|Unexp)$/.exec(k);
        if (!m) continue;
        const n = num(v);
        res.counts[k] = n;
        const [, what, kind] = m;
        if (kind === 'Sent') {
          res.sent[what] = (res.sent[what] ?? 0) + n;
          res.messagesSent += n;
        } else if (kind === 'Recv') {
          if (n === 0) continue;
          if (/^\d{3}$/.test(what)) res.responses[what] = (res.responses[what] ?? 0) + n;
          else res.received[what] = (res.received[what] ?? 0) + n;
        } else if (kind === 'Unexp') {
          if (n) res.unexpected[what] = (res.unexpected[what] ?? 0) + n;
        } else if (kind === 'Timeout') {
          res.timeouts += n;
        }
      }
    }
  }
  const codesFile = files.find((f) => f.endsWith('_error_codes.csv'));
  if (codesFile) {
    for (const line of readFileSync(join(dir, codesFile), 'utf8').split('\n')) {
      // "time;elapsed;404,404," -- codes since the previous dump, comma separated
      const codes = line.split(';')[2] ?? '';
      for (const c of codes.split(',')) {
        if (/^\d{3}$/.test(c.trim())) res.unexpectedCodes[c.trim()] = (res.unexpectedCodes[c.trim()] ?? 0) + 1;
      }
    }
  }
  const errFile = files.find((f) => f === 'errors.log');
  if (errFile) res.errorLog = readFileSync(join(dir, errFile), 'utf8').slice(0, 20000);
  return res;
}

/**
 * Start SIPp and return a handle; use runSipp() to wait for the result.
 *
 * @param {object} o
 * @param {string} o.scenario       path, bundled name ('register-digest'), or built-in ('uac')
 * @param {string} [o.remote]       'host:port' of the server (omit for a pure UAS)
 * @param {'u1'|'un'|'t1'|'tn'|'l1'|'ln'} [o.transport='u1']
 * @param {string|string[]} [o.injectCsv]  CSV text (from usersCsv) or path of a CSV file
 * @param {number} [o.calls]        -m: stop after this many calls
 * @param {number} [o.rate]         -r: calls per ratePeriod
 * @param {number} [o.ratePeriod]   -rp in ms (default 1000)
 * @param {number} [o.limit]        -l: max simultaneous calls
 * @param {number} [o.timeoutSec]   -timeout (SIPp quits, counting unfinished calls as failed);
 *                                  the process is killed 15 s later if still alive
 * @param {number} [o.recvTimeoutMs=10000] -recv_timeout
 * @param {number} [o.localPort]    -p (default: a free port)
 * @param {string} [o.localIp='127.0.0.1']
 * @param {Record<string,string>} [o.keys]  -key name value (scenario [name] keywords)
 * @param {number} [o.maxSocket]    -max_socket (default 4000 for 'un'/'tn')
 * @param {string[]} [o.extraArgs]
 * @param {boolean} [o.traceMsg]    keep a message trace in result.messages (small runs only)
 * @param {boolean} [o.keepDir]     do not remove SIPp's work dir (result.dir)
 */
export async function startSipp(o) {
  const bin = sippPath();
  if (!bin) throw new Error('sipp not installed (Debian package sip-tester)');
  const transport = o.transport ?? 'u1';
  if (/^l/.test(transport) && !sippSupportsTls()) {
    throw new Error(`SIPp here is built without TLS; transport '${transport}' is unavailable`);
  }
  const dir = makeTempDir('parley-sipp-');
  try {
    const localIp = o.localIp ?? '127.0.0.1';
    const localPort = o.localPort ?? (await freePort({ host: localIp }));
    const controlPort = await freePort({ host: '127.0.0.1', tcp: false });
    const statsFile = join(dir, 'stats.csv');
    const args = [
      ...scenarioArgs(o.scenario),
      '-t', transport,
      '-i', localIp,
      '-p', String(localPort),
      '-ci', '127.0.0.1',
      '-cp', String(controlPort),
      '-nostdin',
      '-trace_stat', '-stf', statsFile, '-fd', String(o.statsIntervalSec ?? 1),
      '-trace_counts',
      '-trace_error_codes',
      '-trace_err', '-error_file', join(dir, 'errors.log'),
      '-recv_timeout', String(o.recvTimeoutMs ?? 10000),
    ];
    if (o.traceMsg) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'));
    if (o.injectCsv) {
      let csvPath = o.injectCsv;
      if (Array.isArray(csvPath) || /\n/.test(csvPath)) {
        csvPath = join(dir, 'inject.csv');
        writeFileSync(csvPath, Array.isArray(o.injectCsv) ? o.injectCsv.join('\n') + '\n' : o.injectCsv);
      }
      args.push('-inf', csvPath);
    }
    // one-socket-per-call modes need -max_socket below the fd limit (SIPp's default 50000 is not)
    if (/n$/.test(transport) || o.maxSocket) args.push('-max_socket', String(o.maxSocket ?? 4000));
    if (o.calls != null) args.push('-m', String(o.calls));
    if (o.rate != null) args.push('-r', String(o.rate));
    if (o.ratePeriod != null) args.push('-rp', String(o.ratePeriod));
    if (o.limit != null) args.push('-l', String(o.limit));
    if (o.timeoutSec != null) args.push('-timeout', `${o.timeoutSec}s`, '-timeout_error');
    for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, String(v));
    if (o.extraArgs) args.push(...o.extraArgs);
    if (o.remote) args.push(o.remote);

    const proc = startProcess(bin, args, { cwd: dir, maxOutput: 256 * 1024 });
    let killer = null;
    if (o.timeoutSec != null) {
      killer = setTimeout(() => proc.stop({ graceMs: 2000 }), (o.timeoutSec + 15) * 1000);
    }
    const done = proc.exited.then((ex) => {
      if (killer) clearTimeout(killer);
      const res = parseSippOutputs(dir, statsFile);
      res.exitCode = ex.code;
      res.signal = ex.signal;
      res.args = args;
      res.localPort = localPort;
      res.targetRate = o.rate != null ? o.rate / ((o.ratePeriod ?? 1000) / 1000) : null;
      res.achievedRate = res.elapsedSec > 0 ? res.successful / res.elapsedSec : 0;
      res.retransRatio = res.messagesSent > 0 ? res.retransmissions / res.messagesSent : 0;
      if (o.traceMsg && existsSync(join(dir, 'messages.log'))) {
        res.messages = readFileSync(join(dir, 'messages.log'), 'latin1').slice(0, 500000);
      }
      const out = proc.output();
      res.outputTail = out.slice(-4000);
      // SIPp's own event lines look like "DATE\tTIME\tEPOCH: text".
      res.events = [...new Set(out.split('\n').map((l) => /\d{9,}\.\d+: (.*)$/.exec(l)?.[1]).filter(Boolean))].slice(0, 20);
      res.fatal = ex.code === 255 || ex.code === 254 || ex.code === -1 ? (res.events[0] ?? 'sipp fatal error') : null;
      if (o.keepDir) res.dir = dir;
      else removeDir(dir);
      return res;
    });
    return {
      pid: proc.pid,
      localPort,
      dir,
      done,
      isRunning: proc.isRunning,
      output: proc.output,
      /**
       * Stop a running SIPp: SIGUSR1 (SIPp's soft stop: no new calls, dump
       * stats, exit), then SIGTERM, then SIGKILL, all by PID.
       */
      async stop({ graceMs = 3000 } = {}) {
        if (proc.isRunning()) {
          try {
            process.kill(proc.pid, 'SIGUSR1');
          } catch {
            /* gone */
          }
          const first = await Promise.race([proc.exited, sleep(graceMs).then(() => null)]);
          if (!first) await proc.stop({ graceMs: 2000 });
        }
        return done;
      },
    };
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

/** Run SIPp to completion and return its parsed statistics (see parseSippOutputs). */
export async function runSipp(o) {
  const h = await startSipp(o);
  return h.done;
}

/** One-line human summary of a result. */
export function summarize(r) {
  const codes = Object.entries(r.responses)
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  return (
    `ok=${r.successful} failed=${r.failed} retrans=${r.retransmissions} exit=${r.exitCode}` +
    ` rate=${r.achievedRate.toFixed(0)}/s${r.targetRate ? ` (target ${r.targetRate})` : ''}` +
    ` codes[${codes}]` +
    (Object.keys(r.unexpectedCodes).length ? ` unexpected[${JSON.stringify(r.unexpectedCodes)}]` : '') +
    (Object.keys(r.failures).length ? ` failures${JSON.stringify(r.failures)}` : '') +
    (r.fatal ? ` fatal="${r.fatal}"` : '')
  );
}

/**
 * Register users with register-digest.xml. Resolves to the SIPp result;
 * throws (with details) unless every registration got 200, when strict.
 * @param {{remote: string, transport?: string, users?: Array<string|{user:string,password?:string}>,
 *   count?: number, start?: number, prefix?: string, password?: string, domain?: string,
 *   rate?: number, localPort?: number, strict?: boolean, timeoutSec?: number}} o
 */
export async function registerUsers(o) {
  const n = o.users ? o.users.length : o.count ?? 1;
  const r = await runSipp({
    scenario: 'register-digest',
    remote: o.remote,
    transport: o.transport ?? 'u1',
    injectCsv: usersCsv({ ...o, count: n }),
    calls: n,
    rate: o.rate ?? Math.min(1000, Math.max(10, n)),
    limit: o.limit,
    localPort: o.localPort,
    timeoutSec: o.timeoutSec ?? 30,
    extraArgs: o.extraArgs,
  });
  if (o.strict !== false && (r.successful !== n || r.failed !== 0)) {
    throw new Error(`registerUsers: expected ${n} x 200, got ${summarize(r)}\n${r.errorLog ?? ''}${r.outputTail}`);
  }
  return r;
}

/**
 * A MESSAGE sink: registers `users` (default ['bob']) with Contact = a port
 * of its own, then runs message-uas.xml on that same port, answering every
 * MESSAGE with 200. Returns the SIPp handle plus `port`; `await h.stop()`
 * gives the result (result.received.MESSAGE = MESSAGEs answered).
 */
export async function startMessageUas(o) {
  const transport = o.transport ?? 'u1';
  const port = o.localPort ?? (await freePort());
  await registerUsers({ ...o, users: o.users ?? ['bob'], transport, localPort: port });
  await waitFor(() => isPortFree(port), { timeoutMs: 5000, what: `port ${port} released by the registering SIPp` });
  const h = await startSipp({
    scenario: o.scenario ?? 'message-uas',
    transport,
    localPort: port,
    calls: o.calls,
    extraArgs: o.extraArgs,
    recvTimeoutMs: o.recvTimeoutMs,
  });
  // Bounded wait until SIPp owns the port (or died).
  try {
    await waitFor(async () => !h.isRunning() || !(await isPortFree(port)), {
      timeoutMs: 5000,
      what: `SIPp UAS listening on ${port}`,
    });
  } catch (err) {
    await h.stop();
    throw err;
  }
  if (!h.isRunning()) {
    const r = await h.done;
    throw new Error(`message UAS exited at start: ${summarize(r)}\n${r.outputTail}`);
  }
  return { ...h, port };
}

/**
 * Ramp the call rate and return the highest rate whose run was clean: no
 * failed calls, retransmissions <= maxRetransRatio of messages sent, and an
 * achieved rate >= minAchievedRatio x target (so a SIPp that cannot keep up
 * does not pass as clean). Stops at the first unclean rate; optionally
 * bisects `refineSteps` times between the last clean and the first unclean.
 *
 * @param {object} o
 * @param {number[]} o.rates                 ascending rates (calls/s) to try
 * @param {(rate: number) => Promise<object>} [o.runAt]  custom runner returning a SIPp result
 * @param {object} [o.sipp]                  otherwise: runSipp options; calls = rate x durationSec
 * @param {number} [o.durationSec=5]
 * @param {(rate: number, i: number) => Promise<void>} [o.prepare]  called before each run
 * @param {number} [o.maxRetransRatio=0.01]
 * @param {number} [o.minAchievedRatio=0.9]
 * @param {number} [o.refineSteps=0]
 * @param {(entry: object) => void} [o.onRun]
 * @returns {Promise<{maxCleanRate: number, runs: Array<{rate:number, clean:boolean, reason:string, result:object}>}>}
 */
export async function findMaxCleanRate(o) {
  const maxRetransRatio = o.maxRetransRatio ?? 0.01;
  const minAchievedRatio = o.minAchievedRatio ?? 0.9;
  const durationSec = o.durationSec ?? 5;
  const runs = [];
  let i = 0;
  const runAt =
    o.runAt ??
    ((rate) =>
      runSipp({
        ...o.sipp,
        rate,
        calls: Math.max(1, Math.round(rate * durationSec)),
        timeoutSec: o.sipp?.timeoutSec ?? durationSec * 3 + 20,
      }));
  const judge = (rate, r) => {
    if (r.failed > 0) return `${r.failed} failed calls`;
    if (r.successful === 0) return 'no successful calls';
    if (r.exitCode !== 0) return `sipp exit code ${r.exitCode}`;
    if (r.retransRatio > maxRetransRatio) return `retransmissions ${(r.retransRatio * 100).toFixed(2)}%`;
    if (r.achievedRate < rate * minAchievedRatio) return `achieved only ${r.achievedRate.toFixed(0)}/s`;
    return '';
  };
  const tryRate = async (rate) => {
    if (o.prepare) await o.prepare(rate, i);
    i++;
    const result = await runAt(rate);
    const reason = judge(rate, result);
    const entry = { rate, clean: reason === '', reason: reason || 'clean', result };
    runs.push(entry);
    o.onRun?.(entry);
    return entry.clean;
  };
  let lastClean = 0;
  let firstUnclean = null;
  for (const rate of o.rates) {
    if (await tryRate(rate)) lastClean = rate;
    else {
      firstUnclean = rate;
      break;
    }
  }
  for (let s = 0; s < (o.refineSteps ?? 0) && firstUnclean !== null; s++) {
    const mid = Math.round((lastClean + firstUnclean) / 2);
    if (mid <= lastClean || mid >= firstUnclean) break;
    if (await tryRate(mid)) lastClean = mid;
    else firstUnclean = mid;
  }
  return { maxCleanRate: lastClean, firstUncleanRate: firstUnclean, runs };
}
