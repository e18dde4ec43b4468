#!/usr/bin/env node
// Load generator after the original's user model (bench/user-model, see
// bench/README.md): N users, 80 contacts each, 1.5 devices per user, each
// device subscribing its user's contact list (one resource-list SUBSCRIBE,
// Supported: eventlist), 4 presence publications an hour and 6 IM
// conversations of 10 messages a day per user, time compressed by --compress.
// One Node process simulates every device over a few UDP sockets; a device is
// `sip:d<index>@127.0.0.1:<port>` (its Contact), so requests from the server
// are demultiplexed by the Request-URI user part. Two devices of one user
// never share a socket (the server tells a sender's devices apart by flow).
//
//   node bench/user-model/run.mjs --users 1000 --minutes 2 --compress 60
//   options: --contacts 80 --devices 1.5 --sockets 16 --http-concurrency 64
//            --warmup 10 (s) --profile (CPU profile of the server, hottest functions printed)
//            --alloc-profile (where the server's allocations come from, freed ones included)
//            --trace-gc (the server's major GCs while measuring, with V8's reason for each)
//            --json-out FILE
//            --loop-stats (the server's event-loop delay and GC pauses while measuring)
//            --semi-space MB (the server's V8 young generation, --max-semi-space-size; 0: Node's default)
//            --contacts-via import|rest (default import: one `parley contact import` CSV, all or nothing)
//            --server-rcvbuf BYTES (experiment: the server's UDP receive buffer, via udp-rcvbuf.mjs)
import dgram from 'node:dgram';
import https from 'node:https';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startParley, importUsers, parleyCli } from '../../test/harness/parley.mjs';
import { sleep } from '../../test/harness/proc.mjs';
import { newBranch, newTag } from '../../packages/sip/dist/index.js';
import { DigestClient } from '../../packages/sip/dist/digest/index.js';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
};
const flag = (name) => argv.includes(`--${name}`);
const N = Number(opt('users', '1000'));
const MINUTES = Number(opt('minutes', '2'));
const X = Number(opt('compress', '60'));
const CONTACTS = Math.min(Number(opt('contacts', '80')), N - 1);
const DEV_RATIO = Number(opt('devices', '1.5'));
const SOCKETS = Number(opt('sockets', '16'));
const HTTP_CONC = Number(opt('http-concurrency', '64'));
const WARMUP_S = Number(opt('warmup', '10'));
const PROFILE = flag('profile');
const TRACE_GC = flag('trace-gc'); // the server's major GCs while measuring, with V8's reason for each (trace-gc.mjs)
const ALLOC_PROFILE = flag('alloc-profile'); // where the server's allocations come from (alloc-profile.mjs; summary: alloc-summary.mjs)
const JSON_OUT = opt('json-out', '');
const CONTACTS_VIA = opt('contacts-via', 'import');
const SEMI_SPACE_MB = Number(opt('semi-space', '0'));
const SKIP_SUBSCRIBE = flag('skip-subscribe'); // experiment: no contact-list subscriptions (what registrations alone cost)
const LOOP_STATS = flag('loop-stats'); // the server's event-loop delay and GC pauses while measuring (loop-stats.mjs)
const SERVER_RCVBUF = Number(opt('server-rcvbuf', '0')); // experiment: bigger UDP receive buffer in the server (udp-rcvbuf.mjs)
const DOMAIN = 'example.com';
const PASSWORD = 'Test-Password-42';
const PUB_PER_HOUR = 4;
const CONV_PER_DAY = 6;
const MSGS_PER_CONV = 10;
const MSG_GAP_S = 30; // model time between two messages of a conversation
const BAR_MS = 100;
const BAR_USERS = 20000;

const t0 = Date.now();
const log = (...a) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

// ---------------------------------------------------------------- server
const serverEnv = {
  PARLEY_SECURITY_REQUESTS_PER_CONNECTION_PER_SECOND: '1000000',
  PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000000',
  PARLEY_SECURITY_AUTH_FAILURES_PER_USER_PER_MINUTE: '1000000',
};
let profileDir;
const imports = [];
if (SERVER_RCVBUF) {
  imports.push(new URL('./udp-rcvbuf.mjs', import.meta.url).pathname);
  serverEnv.UDP_RCVBUF = String(SERVER_RCVBUF);
}
if (TRACE_GC) imports.push(new URL('./trace-gc.mjs', import.meta.url).pathname);
let allocDir;
if (ALLOC_PROFILE) {
  allocDir = (await import('node:fs')).mkdtempSync('/tmp/parley-alloc-');
  imports.push(new URL('./alloc-profile.mjs', import.meta.url).pathname);
  serverEnv.ALLOC_PROFILE_DIR = allocDir;
}
if (PROFILE) {
  profileDir = (await import('node:fs')).mkdtempSync('/tmp/parley-prof-');
  imports.push(new URL('../sip-load/cpu-profile.mjs', import.meta.url).pathname);
  serverEnv.CPU_PROFILE_DIR = profileDir;
}
const nodeOptions = imports.map((f) => `--import=${f}`);
if (SEMI_SPACE_MB > 0) nodeOptions.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
let loopStatsFile;
if (LOOP_STATS) {
  loopStatsFile = `/tmp/parley-loop-${process.pid}.json`;
  nodeOptions.push(`--import=${new URL('./loop-stats.mjs', import.meta.url).pathname}`);
  serverEnv.LOOP_STATS_FILE = loopStatsFile;
}
if (nodeOptions.length) serverEnv.NODE_OPTIONS = nodeOptions.join(' ');
const parley = await startParley({ env: serverEnv });
const PID = parley.proc.pid;
log(`parley pid ${PID} sip ${parley.sipPort} https ${parley.httpsPort}`);
const CLK = 100; // USER_HZ
function serverCpuTicks() {
  const s = readFileSync(`/proc/${PID}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}
/** Kernel drops (receive buffer full) per local UDP port, from /proc/net/udp. */
function udpDrops() {
  const out = new Map();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    out.set(parseInt(f[1].split(':')[1], 16), Number(f[12]));
  }
  return out;
}
function serverRssKb() {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${PID}/status`, 'utf8'));
  return Number(m[1]);
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const s of sockets) s.close();
  await parley.stop();
  process.exit(code);
}
process.on('SIGINT', () => shutdown(130));

// ---------------------------------------------------------------- users
const tImport = Date.now();
for (let start = 0; start < N; start += 20000) importUsers(parley.dataDir, { count: Math.min(20000, N - start), start, password: PASSWORD, domain: DOMAIN });
log(`imported ${N} users in ${((Date.now() - tImport) / 1000).toFixed(1)} s`);

// contacts: user i lists i±1..i±C/2 (mod N), so each user is listed by as many as it lists
function contactsOf(i) {
  const out = [];
  for (let k = 1; out.length < CONTACTS; k++) {
    out.push((i + k) % N);
    if (out.length < CONTACTS) out.push((i - k + N) % N);
  }
  return out;
}

const agent = new https.Agent({ keepAlive: true, maxSockets: HTTP_CONC, rejectUnauthorized: false });
function api(method, path, body, token) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = https.request(
      {
        host: '127.0.0.1',
        port: parley.httpsPort,
        method,
        path,
        agent,
        headers: { ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let buf = '';
        res.on('data', (c) => (buf += c));
        res.on('end', () => resolve({ status: res.statusCode, body: buf ? JSON.parse(buf) : undefined }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}
async function pool(count, conc, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(conc, count) }, async () => { while (next < count) await fn(next++); }));
}

const tContacts = Date.now();
let contactErrors = 0;
let lastLog = Date.now();
if (CONTACTS_VIA === 'import') {
  const { writeFileSync } = await import('node:fs');
  const file = join(parley.dataDir, 'contacts.csv');
  const lines = ['owner,contact,group,relationship'];
  for (let i = 0; i < N; i++) for (const c of contactsOf(i)) lines.push(`user${i}@${DOMAIN},user${c}@${DOMAIN},,`);
  writeFileSync(file, lines.join('\n') + '\n');
  log(parleyCli(parley.dataDir, ['contact', 'import', file]).trim());
} else await pool(N, HTTP_CONC, async (i) => {
  const s = await api('POST', '/api/v1/session', { address: `user${i}@${DOMAIN}`, password: PASSWORD });
  if (s.status !== 201) throw new Error(`sign-in user${i}: ${s.status} ${JSON.stringify(s.body)}`);
  const token = s.body.token;
  for (const c of contactsOf(i)) {
    const r = await api('POST', '/api/v1/me/contacts', { address: `user${c}@${DOMAIN}` }, token);
    if (r.status !== 201) contactErrors++;
  }
  await api('DELETE', '/api/v1/session', undefined, token);
  if (Date.now() - lastLog > 10000) {
    lastLog = Date.now();
    log(`contacts: ${i + 1}/${N} users`);
  }
});
agent.destroy();
const contactsSec = (Date.now() - tContacts) / 1000;
log(`${N * CONTACTS} contacts (${CONTACTS_VIA}) in ${contactsSec.toFixed(1)} s (${((N * CONTACTS) / contactsSec).toFixed(0)}/s), ${contactErrors} errors`);

// ---------------------------------------------------------------- SIP UA machinery
const sockets = [];
const socketPorts = [];
for (let s = 0; s < SOCKETS; s++) {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 << 20, sendBufferSize: 16 << 20 });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (buf) => onDatagram(s, buf));
  sockets.push(sock);
  socketPorts.push(sock.address().port);
}

// devices: user i has 2 devices when floor((i+1)*r) - floor(i*r) > 1 ... simply: the first round(N*(r-1)) users get a second device
const users = [];
const devices = [];
const secondDevices = Math.round(N * (DEV_RATIO - 1));
for (let i = 0; i < N; i++) {
  const u = { i, aor: `sip:user${i}@${DOMAIN}`, digest: new DigestClient({ username: `user${i}`, password: PASSWORD }), devices: [] };
  users.push(u);
  for (let k = 0; k < (i < secondDevices ? 2 : 1); k++) {
    const d = devices.length;
    const sock = d % SOCKETS; // consecutive indices: a user's two devices on two sockets
    const dev = { d, user: u, sock, contact: `<sip:d${d}@127.0.0.1:${socketPorts[sock]};transport=udp>`, etag: undefined, seen: new Map() };
    devices.push(dev);
    u.devices.push(dev);
  }
}
log(`${devices.length} devices on ${SOCKETS} UDP sockets`);

const stats = { dupIn: 0, sent: 0, retrans: 0, timeouts: 0, challenges: 0, in: 0, badDemux: 0, errors: {} };
const pending = new Map(); // branch -> {resolve, build, tries, timer, sock}
const authKind = {}; // method -> 'Authorization' | 'Proxy-Authorization', learned from challenges

function header(lines, ...names) {
  for (const l of lines) {
    const c = l.indexOf(':');
    const n = l.slice(0, c).trim().toLowerCase();
    if (names.includes(n)) return l.slice(c + 1).trim();
  }
  return undefined;
}
function parse(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  const first = lines.shift();
  // unfold
  for (let k = lines.length - 1; k > 0; k--) if (lines[k][0] === ' ' || lines[k][0] === '\t') { lines[k - 1] += ' ' + lines[k].trim(); lines.splice(k, 1); }
  return { first, lines, body: end < 0 ? '' : text.slice(end + 4) };
}

// a request out of dialog or in dialog; resolves with the final response {status, lines, body}
function request(dev, method, uri, { callId = newTag() + newTag(), fromTag = newTag(), to = `<${uri}>`, headers = [], body = '', contentType } = {}) {
  const u = dev.user;
  let cseq = 1;
  let tries = 0;
  return new Promise((resolve) => {
    const send = (authLines) => {
      const branch = newBranch();
      const text = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${socketPorts[dev.sock]};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <${u.aor}>;tag=${fromTag}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: ${dev.contact}`,
        ...headers,
        ...authLines,
        ...(contentType ? [`Content-Type: ${contentType}`] : []),
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
      const p = { tries: 0, timer: undefined, text, sock: dev.sock };
      const fire = () => {
        sockets[p.sock].send(p.text, parley.sipPort, '127.0.0.1');
        if (p.tries > 0) stats.retrans++;
        else stats.sent++;
        const wait = Math.min(500 * 2 ** p.tries, 4000);
        p.tries++;
        p.elapsed = (p.elapsed ?? 0) + wait;
        if (p.elapsed > 32000) {
          p.timer = setTimeout(() => { pending.delete(branch); stats.timeouts++; resolve({ status: 408, lines: [], body: '' }); }, wait);
        } else p.timer = setTimeout(fire, wait);
      };
      p.onResponse = (r) => {
        if (r.status < 200) return; // provisional: keep waiting (no retransmit needed after 1xx, but harmless)
        clearTimeout(p.timer);
        pending.delete(branch);
        if ((r.status === 401 || r.status === 407) && tries < 3) {
          tries++;
          stats.challenges++;
          const kind = r.status === 401 ? 'Authorization' : 'Proxy-Authorization';
          authKind[method] = kind;
          const ch = r.lines.filter((l) => /^(www|proxy)-authenticate\s*:/i.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim());
          cseq++;
          let creds;
          try { creds = u.digest.answer(ch, { method, uri, body }); } catch { resolve(r); return; }
          send(creds.map((c) => `${kind}: ${c}`));
          return;
        }
        resolve(r);
      };
      pending.set(branch, p);
      fire();
    };
    const kind = authKind[method];
    const pre = kind ? u.digest.authorize({ method, uri, body }) : [];
    send(pre.map((c) => `${kind}: ${c}`));
  });
}

function respond(sock, req, status, reason, rinfo) {
  const vias = req.lines.filter((l) => /^(via|v)\s*:/i.test(l));
  let to = header(req.lines, 'to', 't');
  if (!/;\s*tag=/i.test(to)) to += `;tag=${newTag()}`;
  const text = [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    `From: ${header(req.lines, 'from', 'f')}`,
    `To: ${to}`,
    `Call-ID: ${header(req.lines, 'call-id', 'i')}`,
    `CSeq: ${header(req.lines, 'cseq')}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  sockets[sock].send(text, rinfo.port, rinfo.address);
}

// ---------------------------------------------------------------- measurement
const delivery = []; // ms, MESSAGE sent -> a recipient device received it
const copyLat = []; // ms, MESSAGE sent -> a copy reached another device of the sender
const presence = []; // ms, PUBLISH sent -> a watcher device's NOTIFY carrying it
let measuring = false;
const msgSent = new Map(); // msg id -> sentAt
const pubSent = new Map(); // pub seq -> {at, user}
const counters = { msgs: 0, msgOk: 0, msgFail: 0, delivered: 0, copies: 0, pubs: 0, pubOk: 0, pubFail: 0, notifies: 0, notifyBytes: 0, presenceSeen: 0, fullState: 0, maxNotify: 0 };
const seenMsg = new Set(); // `${id}/${device}` against retransmissions

const listener = new Map(); // Request-URI "d<idx>" -> device
const seenCallCseq = new Set();

function onDatagram(sockIdx, buf, rinfo) {}
// rinfo needed for responses to the server's requests
for (let s = 0; s < SOCKETS; s++) {
  sockets[s].removeAllListeners('message');
  sockets[s].on('message', (buf, rinfo) => handle(s, buf, rinfo));
}
function handle(sockIdx, buf, rinfo) {
  stats.in++;
  const m = parse(buf);
  if (m.first.startsWith('SIP/2.0 ')) {
    const status = Number(m.first.slice(8, 11));
    const via = header(m.lines, 'via', 'v') ?? '';
    const b = /branch=([^;,\s]+)/.exec(via)?.[1];
    const p = b && pending.get(b);
    if (p) p.onResponse({ status, lines: m.lines, body: m.body });
    return;
  }
  const sp = m.first.indexOf(' ');
  const method = m.first.slice(0, sp);
  const ruri = m.first.slice(sp + 1, m.first.lastIndexOf(' '));
  const um = /^sips?:d(\d+)@/.exec(ruri);
  const dev = um ? devices[Number(um[1])] : undefined;
  if (!dev) {
    stats.badDemux++;
    respond(sockIdx, m, 404, 'Not Found', rinfo);
    return;
  }
  respond(sockIdx, m, 200, 'OK', rinfo);
  const now = performance.now();
  const key = `${header(m.lines, 'call-id', 'i')} ${header(m.lines, 'cseq')}`;
  if (seenCallCseq.has(key)) { stats.dupIn++; return; } // a retransmission
  seenCallCseq.add(key);
  if (seenCallCseq.size > 200000) seenCallCseq.clear();
  if (method === 'NOTIFY') {
    if (!measuring) return;
    counters.notifies++;
    counters.notifyBytes += buf.length;
    if (buf.length > counters.maxNotify) counters.maxNotify = buf.length;
    if (m.body.includes('fullState="true"')) counters.fullState++;
    for (const mm of m.body.matchAll(/bench-(\d+)-(\d+)/g)) {
      const pub = Number(mm[1]);
      const seq = Number(mm[2]);
      const last = dev.seen.get(pub) ?? -1;
      if (seq <= last) continue;
      dev.seen.set(pub, seq);
      const s = pubSent.get(seq);
      if (s) {
        presence.push(now - s.at);
        counters.presenceSeen++;
      }
    }
  } else if (method === 'MESSAGE') {
    const id = /msg-(\d+)/.exec(m.body)?.[1];
    if (!id || !measuring) return;
    const at = msgSent.get(Number(id));
    if (at === undefined) return;
    const from = header(m.lines, 'from', 'f') ?? '';
    if (from.includes(`<${dev.user.aor}>`)) {
      counters.copies++;
      copyLat.push(now - at);
    } else {
      counters.delivered++;
      delivery.push(now - at);
    }
  }
}

// ---------------------------------------------------------------- sign-in
async function inBatches(items, conc, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(conc, items.length) }, async () => { while (next < items.length) await fn(items[next++]); }));
}
const gc = () => new Promise((r) => setTimeout(r, 2000));
await gc();
if (LOOP_STATS) process.kill(PID, 'SIGUSR2'); // loop-stats.mjs: heap after a full GC, before sign-in
const rssBefore = serverRssKb();
const cpuBeforeSignIn = serverCpuTicks();
const tSignIn = Date.now();
let regFail = 0;
await inBatches(devices, 200, async (dev) => {
  const r = await request(dev, 'REGISTER', `sip:${DOMAIN}`, { to: `<${dev.user.aor}>`, headers: ['Expires: 3600'] });
  if (r.status !== 200) regFail++;
});
const regSec = (Date.now() - tSignIn) / 1000;
log(`REGISTER ${devices.length} devices in ${regSec.toFixed(1)} s, ${regFail} failed`);
// first publication of each user (a client publishes at sign-in)
let pubSetupFail = 0;
let pubSeq = 0;
const pidf = (u, note) => `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="urn:parley:params:xml:ns:pidf:presence" entity="${u.aor}">
 <tuple id="t${u.i}"><status><basic>open</basic></status></tuple>
 <dm:person id="p${u.i}"><dm:note>${note}</dm:note><p:availability>${note.endsWith('0') ? 6500 : 3500}</p:availability></dm:person>
</presence>`;
async function publish(dev, note) {
  const u = dev.user;
  const headers = ['Event: presence', 'Expires: 3600'];
  if (dev.etag) headers.push(`SIP-If-Match: ${dev.etag}`);
  let r = await request(dev, 'PUBLISH', u.aor, { headers, body: pidf(u, note), contentType: 'application/pidf+xml' });
  if (r.status === 412) {
    dev.etag = undefined;
    r = await request(dev, 'PUBLISH', u.aor, { headers: ['Event: presence', 'Expires: 3600'], body: pidf(u, note), contentType: 'application/pidf+xml' });
  }
  if (r.status === 200) dev.etag = header(r.lines, 'sip-etag');
  return r.status;
}
const tPub0 = Date.now();
await inBatches(users, 200, async (u) => { if ((await publish(u.devices[0], `hello-${u.i}`)) !== 200) pubSetupFail++; });
log(`initial PUBLISH of ${N} users in ${((Date.now() - tPub0) / 1000).toFixed(1)} s, ${pubSetupFail} failed`);
const tSub = Date.now();
let subFail = 0;
const subStatus = {};
await inBatches(SKIP_SUBSCRIBE ? [] : devices, 100, async (dev) => {
  const uri = `sip:user${dev.user.i};list=contacts@${DOMAIN}`;
  const r = await request(dev, 'SUBSCRIBE', uri, {
    headers: ['Event: presence', 'Expires: 3600', 'Supported: eventlist', 'Accept: application/pidf+xml, application/rlmi+xml, multipart/related'],
  });
  subStatus[r.status] = (subStatus[r.status] ?? 0) + 1;
  if (r.status !== 200) subFail++;
});
const subSec = (Date.now() - tSub) / 1000;
log(`SUBSCRIBE (contact list) ${devices.length} devices in ${subSec.toFixed(1)} s, statuses ${JSON.stringify(subStatus)}`);
log(`settling ${WARMUP_S} s`);
await sleep(WARMUP_S * 1000);
const rssAfter = serverRssKb();
const bytesPerUser = ((rssAfter - rssBefore) * 1024) / N;
log(`server RSS ${(rssBefore / 1024).toFixed(0)} MB -> ${(rssAfter / 1024).toFixed(0)} MB: ${bytesPerUser.toFixed(0)} B per signed-in user`);

// ---------------------------------------------------------------- the compressed model
const pubRate = (N * PUB_PER_HOUR * X) / 3600; // per second, all users
const convRate = (N * CONV_PER_DAY * X) / 86400;
const gapMs = Math.max(20, (MSG_GAP_S * 1000) / X);
log(`model: ${pubRate.toFixed(1)} PUBLISH/s, ${convRate.toFixed(2)} conversations/s (${(convRate * MSGS_PER_CONV).toFixed(1)} MESSAGE/s), ${gapMs.toFixed(0)} ms between messages, for ${MINUTES} min`);
function poisson(lambda) {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
  let k = 0, p = Math.exp(-lambda), s = p;
  const u = Math.random();
  while (u > s) { k++; p *= lambda / k; s += p; }
  return k;
}
function gauss() { return Math.sqrt(-2 * Math.log(Math.random() || 1e-12)) * Math.cos(2 * Math.PI * Math.random()); }
const pick = (a) => a[Math.floor(Math.random() * a.length)];
let msgId = 0;
const inflight = new Set();
function track(p) { inflight.add(p); p.finally(() => inflight.delete(p)); }
function sendMessage(fromUser, toUser) {
  const dev = pick(fromUser.devices);
  const id = ++msgId;
  counters.msgs++;
  msgSent.set(id, performance.now());
  const p = request(dev, 'MESSAGE', `sip:user${toUser.i}@${DOMAIN}`, { body: `msg-${id} hello from user${fromUser.i}`, contentType: 'text/plain' }).then((r) => {
    if (r.status === 200 || r.status === 202) counters.msgOk++;
    else { counters.msgFail++; stats.errors[`MESSAGE ${r.status}`] = (stats.errors[`MESSAGE ${r.status}`] ?? 0) + 1; }
  });
  track(p);
}
function startConversation() {
  const a = pick(users);
  const b = users[pick(contactsOf(a.i))];
  let k = 0;
  const step = () => {
    if (!measuring) return;
    sendMessage(k % 2 ? b : a, k % 2 ? a : b);
    if (++k < MSGS_PER_CONV) setTimeout(step, gapMs * (0.5 + Math.random()));
  };
  step();
}
function publishOne() {
  const u = pick(users);
  const dev = pick(u.devices);
  const seq = ++pubSeq;
  counters.pubs++;
  pubSent.set(seq, { at: performance.now(), user: u.i });
  const p = publish(dev, `bench-${u.i}-${seq}`).then((s) => {
    if (s === 200) counters.pubOk++;
    else { counters.pubFail++; stats.errors[`PUBLISH ${s}`] = (stats.errors[`PUBLISH ${s}`] ?? 0) + 1; }
  });
  track(p);
}

if (LOOP_STATS) {
  // loop-stats.mjs: heap after sign-in, then its window starts. Its two forced
  // full GCs stall the server for up to a second: wait until they are over,
  // or the first second of the load measures the instrument, not the server.
  const memFile = `${loopStatsFile}.mem`;
  const lines = () => (existsSync(memFile) ? readFileSync(memFile, 'utf8').trim().split('\n').length : 0);
  const before = lines();
  process.kill(PID, 'SIGUSR2');
  const until = Date.now() + 60_000;
  while (lines() <= before && Date.now() < until) await sleep(100);
  if (lines() <= before) throw new Error('loop-stats did not answer SIGUSR2 within 60 s');
  await sleep(500);
}
const clientLoop = (await import('node:perf_hooks')).monitorEventLoopDelay({ resolution: 10 });
clientLoop.enable();
const clientCpu0 = process.cpuUsage();
const drops0 = udpDrops();
const cpu0 = serverCpuTicks();
const tRun0 = performance.now();
measuring = true;
const gcLinesAtStart = parley.lines.length;
const TICK = 20;
let rssMax = rssAfter;
const samples = [];
let lastSample = { t: tRun0, cpu: cpu0 };
const ticker = setInterval(() => {
  const n1 = poisson((pubRate * TICK) / 1000);
  for (let k = 0; k < n1; k++) publishOne();
  const n2 = poisson((convRate * TICK) / 1000);
  for (let k = 0; k < n2; k++) startConversation();
}, TICK);
const sampler = setInterval(() => {
  const t = performance.now();
  const cpu = serverCpuTicks();
  const rss = serverRssKb();
  rssMax = Math.max(rssMax, rss);
  const pct = ((cpu - lastSample.cpu) / CLK / ((t - lastSample.t) / 1000)) * 100;
  samples.push(pct);
  lastSample = { t, cpu };
  log(`server CPU ${pct.toFixed(0)} %  RSS ${(rss / 1024).toFixed(0)} MB  msgs ${counters.msgs}/${counters.delivered} delivered  pubs ${counters.pubs}  notifies ${counters.notifies}  retrans ${stats.retrans}`);
}, 10000);
await sleep(MINUTES * 60000);
clearInterval(ticker);
const tRun1 = performance.now();
const cpu1 = serverCpuTicks();
const clientCpu = process.cpuUsage(clientCpu0);
const drops1 = udpDrops();
const dropDelta = (port) => (drops1.get(port) ?? 0) - (drops0.get(port) ?? 0);
const serverDrops = dropDelta(parley.sipPort);
const clientDrops = socketPorts.reduce((a, p) => a + dropDelta(p), 0);
clearInterval(sampler);
// let the last deliveries land (not counted in CPU)
await Promise.race([Promise.all([...inflight]), sleep(35000)]);
await sleep(1000);
measuring = false;

// ---------------------------------------------------------------- report
const runSec = (tRun1 - tRun0) / 1000;
const q = (a, p) => {
  if (!a.length) return NaN;
  const s = Float64Array.from(a).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const cpuPct = ((cpu1 - cpu0) / CLK / runSec) * 100;
const clientPct = ((clientCpu.user + clientCpu.system) / 1e6 / runSec) * 100;
const expectedWatch = counters.pubs; // each publication should reach every device watching the user
const res = {
  date: new Date().toISOString(),
  users: N,
  devices: devices.length,
  contactsPerUser: CONTACTS,
  compress: X,
  minutes: MINUTES,
  modelHours: (runSec * X) / 3600,
  setup: { contactsSec, contactsPerSec: (N * CONTACTS) / contactsSec, registerSec: regSec, subscribeSec: subSec, regFail, subFail, contactErrors },
  messages: { sent: counters.msgs, answered2xx: counters.msgOk, failed: counters.msgFail, delivered: counters.delivered, copies: counters.copies, p50: q(delivery, 50), p99: q(delivery, 99), max: q(delivery, 100), copyP99: q(copyLat, 99) },
  presence: { publications: counters.pubs, failed: counters.pubFail, notifies: counters.notifies, fullStateNotifies: counters.fullState, observed: counters.presenceSeen, perPublication: counters.presenceSeen / Math.max(1, counters.pubOk), p50: q(presence, 50), p99: q(presence, 99), max: q(presence, 100), maxNotifyBytes: counters.maxNotify },
  server: { cpuPctOfOneCore: cpuPct, cpuSamples: samples.map((x) => Math.round(x)), rssBeforeMb: rssBefore / 1024, rssAfterSignInMb: rssAfter / 1024, rssMaxMb: rssMax / 1024, bytesPerUser },
  client: { loopDelayMs: { p50: clientLoop.percentile(50) / 1e6, p99: clientLoop.percentile(99) / 1e6, max: clientLoop.max / 1e6 }, cpuPctOfOneCore: clientPct, sent: stats.sent, retransmissions: stats.retrans, timeouts: stats.timeouts, serverRetransSeen: stats.dupIn, udpDropsServer: serverDrops, udpDropsClient: clientDrops, challenges: stats.challenges, badDemux: stats.badDemux, errors: stats.errors },
};
const pass = res.messages.p99 < BAR_MS && res.presence.p99 < BAR_MS && counters.msgFail === 0 && regFail === 0 && subFail === 0 && stats.timeouts === 0;
res.verdict = `${pass ? 'PASS' : 'FAIL'} at N=${N}${N < BAR_USERS ? ` (the bar is ${BAR_USERS} users; this run is smaller)` : ''}`;
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const rows = [
  ['users (N)', N],
  ['server UDP receive buffer', SERVER_RCVBUF ? `${SERVER_RCVBUF} B asked (experiment; rmem_max ${readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()})` : `kernel default (${readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim()} B)`],
  ['server V8 semi-space', SEMI_SPACE_MB > 0 ? `${SEMI_SPACE_MB} MB (--max-semi-space-size)` : 'Node default'],
  ['devices', devices.length],
  ['contacts/user', CONTACTS],
  ['duration', `${f(runSec / 60, 1)} min wall, x${X} = ${f(res.modelHours, 2)} h of the model`],
  ['messages sent / delivered to recipient devices / copies', `${counters.msgs} / ${counters.delivered} / ${counters.copies} (${counters.msgFail} failed)`],
  ['delivery p50 / p99 / max ms', `${f(res.messages.p50)} / ${f(res.messages.p99)} / ${f(res.messages.max)}`],
  ['publications / NOTIFYs received', `${counters.pubs} / ${counters.notifies} (${f(res.presence.perPublication)} watcher devices told per publication)`],
  ['presence PUBLISH->NOTIFY p50 / p99 / max ms', `${f(res.presence.p50)} / ${f(res.presence.p99)} / ${f(res.presence.max)}`],
  ['server CPU % of one core', `${f(cpuPct)} (10 s samples: ${res.server.cpuSamples.join(' ')})`],
  ['server RSS MB before / after sign-in / max', `${f(res.server.rssBeforeMb, 0)} / ${f(res.server.rssAfterSignInMb, 0)} / ${f(res.server.rssMaxMb, 0)}`],
  ['bytes per signed-in user', f(bytesPerUser, 0)],
  ['client CPU % of one core', f(clientPct)],
  ['client event-loop delay p50 / p99 / max ms (the load generator\'s own stalls inflate latencies)', `${f(clientLoop.percentile(50) / 1e6)} / ${f(clientLoop.percentile(99) / 1e6)} / ${f(clientLoop.max / 1e6)}`],
  ['client retransmissions / timeouts / server retransmissions seen', `${stats.retrans} / ${stats.timeouts} / ${stats.dupIn}`],
  ['UDP datagrams dropped by the kernel (full receive buffer): server / client', `${serverDrops} / ${clientDrops}`],
  [`setup: contacts (${CONTACTS_VIA}) / REGISTER / SUBSCRIBE s`, `${f(contactsSec)} (${f(res.setup.contactsPerSec, 0)}/s) / ${f(regSec)} / ${f(subSec)}`],
  ['verdict (p99 < 100 ms)', res.verdict],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
if (Object.keys(stats.errors).length) console.log('errors', JSON.stringify(stats.errors));
if (JSON_OUT) (await import('node:fs')).writeFileSync(JSON_OUT, JSON.stringify(res, null, 2));

await parley.stop();
for (const s of sockets) s.close();
if (LOOP_STATS) {
  try {
    const st = JSON.parse(readFileSync(loopStatsFile, 'utf8'));
    res.server.loop = st;
    const mem = readFileSync(`${loopStatsFile}.mem`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    if (mem.length >= 2) {
      const per = (k) => (mem[1][k] - mem[0][k]) / N;
      res.server.heapPerUser = { heapUsed: per('heapUsed'), external: per('external'), heapBeforeMb: mem[0].heapUsed / 2 ** 20, heapAfterSignInMb: mem[1].heapUsed / 2 ** 20 };
      console.log(`server heap after a full GC, before / after sign-in: ${f(mem[0].heapUsed / 2 ** 20, 0)} / ${f(mem[1].heapUsed / 2 ** 20, 0)} MB: ${f(per('heapUsed'), 0)} B heap (+ ${f(per('external'), 0)} B external) per signed-in user`);
    }
    console.log(`server event-loop delay while measuring p50 / p99 / max ms: ${f(st.loopDelayMs.p50)} / ${f(st.loopDelayMs.p99)} / ${f(st.loopDelayMs.max)}`);
    for (const [k, v] of Object.entries(st.gc)) console.log(`server GC ${k}: ${v.count} pauses, total ${f(v.totalMs, 0)} ms, max ${f(v.maxMs)} ms`);
    if (JSON_OUT) (await import('node:fs')).writeFileSync(JSON_OUT, JSON.stringify(res, null, 2));
  } catch (e) {
    console.log(`loop stats unavailable: ${e.message}`);
  }
}
if (TRACE_GC) {
  const majors = parley.lines.slice(gcLinesAtStart).filter((l) => /Mark-Compact/.test(l));
  console.log(`\nserver major GCs while measuring (V8 --trace-gc): ${majors.length}`);
  for (const l of majors) console.log(`  ${l.replace(/^\[[^\]]*\]\s*/, '')}`);
}
if (ALLOC_PROFILE) {
  const file = readdirSync(allocDir).find((n) => n.endsWith('.heapprofile'));
  console.log(file ? `\nserver allocation profile: node bench/user-model/alloc-summary.mjs ${join(allocDir, file)}` : '\nno allocation profile written');
}
if (PROFILE) {
  const file = readdirSync(profileDir).find((n) => n.endsWith('.cpuprofile'));
  if (file) {
    const prof = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
    const self = new Map();
    const dt = prof.timeDeltas;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const hits = new Map();
    prof.samples.forEach((id, k) => hits.set(id, (hits.get(id) ?? 0) + (dt[k] ?? 0)));
    let total = 0;
    for (const [id, us] of hits) {
      const n = byId.get(id).callFrame;
      const key = `${n.functionName || '(anonymous)'} ${n.url.replace(/^.*\/packages\//, '')}:${n.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + us);
      total += us;
    }
    console.log(`\nserver CPU profile (${join(profileDir, file)}), self time:`);
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
}
process.exit(0);
