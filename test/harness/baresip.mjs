// baresip driver: a headless softphone controlled over ctrl_tcp.
//
//   const alice = new Baresip({ user: 'alice', password: 'pw', domain: 'parley.test',
//                               proxy: '127.0.0.1:5060' });
//   await alice.start();                 // waits until registered (reginfo says OK)
//   await alice.dial('sip:bob@parley.test');
//   await alice.waitEvent('CALL_ESTABLISHED', { timeoutMs: 10000 });
//   await alice.hangup();
//   const s = await alice.callStats();   // { txPackets, rxPackets, ... } printed at call end
//   await alice.stop();
//
// Works with Debian's baresip 1.0.0. What mattered (see README in bench/kamailio):
//   - net_interface 127.0.0.1   so SDP and RTP use loopback (naming 'lo' fails);
//   - audio_source ausine,440 + audio_player/alert aubridge,nil: no sound card;
//     ausine produces 48 kHz, so opus/48000/2 is listed first;
//   - baresip also listens for SIP-TLS on sip_listen port + 1, so the ctrl_tcp
//     port must not be that number;
//   - ctrl_tcp accepts one connection; every command is a "long" command
//     ({"command":"dial","params":"sip:..","token":"7"} as a netstring);
//   - received MESSAGEs are printed only through a UI module, so stdio.so is
//     loaded with stdin held open as a pipe (never a TTY) and the output parsed;
//   - the 'message' command of 1.0.0 sends to the *current contact* only, and
//     contact_next/prev via ctrl_tcp both step backwards; sendMessage() therefore
//     rewrites the contacts and current_contact files and reloads contact.so
//     (rmmod + insmod), then sends.
//   - REGISTER_OK usually fires before ctrl_tcp is connected, so start() polls
//     the `reginfo` command instead of waiting for that event.
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isPortFree } from './ports.mjs';
import { startProcess, makeTempDir, removeDir, which, sleep, waitFor, fatalError } from './proc.mjs';

export function baresipPath() {
  return which('baresip');
}

const MODULE_PATH = '/usr/lib/baresip/modules';

/** Encode one netstring frame. */
export function netstring(s) {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(',')]);
}

/** Incremental netstring decoder: push(buf) returns complete payload strings. */
export class NetstringDecoder {
  constructor() {
    this.buf = Buffer.alloc(0);
  }
  push(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a); // ':'
      if (colon < 0) break;
      const lenStr = this.buf.subarray(0, colon).toString('latin1');
      if (!/^\d+$/.test(lenStr)) throw new Error(`bad netstring header: ${JSON.stringify(lenStr.slice(0, 20))}`);
      const len = Number(lenStr);
      if (this.buf.length < colon + 1 + len + 1) break;
      if (this.buf[colon + 1 + len] !== 0x2c) throw new Error('netstring not terminated by ","');
      out.push(this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(colon + 1 + len + 1);
    }
    return out;
  }
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Parse the "audio Transmit: Receive:" blocks baresip prints when a call ends. */
export function parseCallStats(output) {
  const re =
    /audio\s+Transmit:\s+Receive:\s*\r?\npackets:\s+(\d+)\s+(\d+)\s*\r?\navg\. bitrate:\s+([\d.]+)\s+([\d.]+)[^\n]*\r?\nerrors:\s+(\d+)\s+(\d+)/g;
  const all = [];
  for (const m of stripAnsi(output).matchAll(re)) {
    all.push({
      txPackets: +m[1],
      rxPackets: +m[2],
      txKbps: +m[3],
      rxKbps: +m[4],
      txErrors: +m[5],
      rxErrors: +m[6],
    });
  }
  return all;
}

export class Baresip {
  /**
   * @param {object} o
   * @param {string} o.user
   * @param {string} [o.password]
   * @param {string} [o.authUser]         digest user if different from user
   * @param {string} [o.domain='parley.test']  domain of the AOR sip:user@domain
   * @param {string} [o.proxy]            'host:port' outbound proxy (the server under test)
   * @param {'udp'|'tcp'|'tls'} [o.transport='udp']
   * @param {'auto'|'manual'|'early'} [o.answermode='auto']
   * @param {string} [o.audioCodecs='opus/48000/2,pcmu']
   * @param {number} [o.regint=600]       REGISTER expiry; 0 = do not register
   * @param {string[]} [o.contacts]       URIs for the contacts file (sendMessage adds as needed)
   * @param {string} [o.caFile]           sip_cafile (CA bundle to verify a TLS server)
   * @param {string} [o.certificate]      sip_certificate (PEM with cert+key, for TLS listen)
   * @param {string} [o.mediaenc]         e.g. 'srtp', 'dtls_srtp' (loads the module)
   * @param {Record<string,string>} [o.config]   extra/override config lines
   * @param {string} [o.accountParams]    extra ';k=v' appended to the account line
   * @param {boolean} [o.waitRegister=true]
   * @param {number} [o.startTimeoutMs=10000]
   * @param {(line: string) => void} [o.onLog]
   * @param {string[]} [o.presence]       URIs watched by presence.so (contacts file lines with ;presence=p2p);
   *                                      loads presence.so; with o.pubint the UA also PUBLISHes its own state
   * @param {boolean} [o.sipTrace]      baresip -s: print every SIP message in output()
   * @param {number} [o.pubint]           account pubint (PUBLISH interval, s; 0/absent: no PUBLISH)
   */
  constructor(o) {
    if (!o?.user) throw new Error('Baresip: user is required');
    this.o = { domain: 'parley.test', transport: 'udp', answermode: 'auto', regint: 600, ...o };
    this.aor = `sip:${this.o.user}@${this.o.domain}`;
    this.events = [];
    this.consumed = new Set();
    this.pending = new Map();
    this.eventWaiters = new Set();
    this.token = 0;
    this.proc = null;
    this.sock = null;
    this.dir = null;
    this.contactsLoaded = [...(o.contacts ?? [])];
  }

  get pid() {
    return this.proc?.pid;
  }

  output() {
    return this.proc ? this.proc.output() : '';
  }

  configText() {
    const o = this.o;
    const lines = {
      poll_method: 'epoll',
      sip_listen: `127.0.0.1:${this.sipPort}`,
      call_local_timeout: '120',
      call_max_calls: '4',
      audio_player: 'aubridge,nil',
      audio_source: 'ausine,440',
      audio_alert: 'aubridge,nil',
      ausrc_srate: '48000',
      auplay_srate: '48000',
      audio_level: 'no',
      rtp_stats: 'yes',
      rtcp_mux: 'no',
      jitter_buffer_delay: '5-10',
      net_interface: '127.0.0.1',
      module_path: MODULE_PATH,
      ctrl_tcp_listen: `127.0.0.1:${this.ctrlPort}`,
      opus_bitrate: '28000',
    };
    if (o.caFile) lines.sip_cafile = o.caFile;
    if (o.certificate) lines.sip_certificate = o.certificate;
    Object.assign(lines, o.config ?? {});
    const mods = ['stdio.so', 'g711.so', 'opus.so', 'ausine.so', 'aubridge.so'];
    if (o.mediaenc) mods.push(`${o.mediaenc.replace(/-.*/, '')}.so`);
    const presence = o.presence || o.pubint ? ['module_app\t\tpresence.so'] : [];
    return [
      '# generated by test/harness/baresip.mjs',
      ...Object.entries(lines).map(([k, v]) => `${k}\t\t${v}`),
      ...mods.map((m) => `module\t\t${m}`),
      'module_tmp\t\tuuid.so',
      'module_tmp\t\taccount.so',
      'module_app\t\tcontact.so',
      'module_app\t\tmenu.so',
      'module_app\t\tctrl_tcp.so',
      ...presence,
      '',
    ].join('\n');
  }

  accountLine() {
    const o = this.o;
    let uri = `<sip:${o.user}@${o.domain};transport=${o.transport}>`;
    const p = [];
    if (o.password != null) p.push(`auth_pass=${o.password}`);
    if (o.authUser) p.push(`auth_user=${o.authUser}`);
    p.push(`answermode=${o.answermode}`);
    p.push(`audio_codecs=${o.audioCodecs ?? 'opus/48000/2,pcmu'}`);
    if (o.proxy) p.push(`outbound="sip:${o.proxy};transport=${o.transport}"`);
    p.push(`regint=${o.regint}`);
    if (o.mediaenc) p.push(`mediaenc=${o.mediaenc}`);
    if (o.pubint) p.push(`pubint=${o.pubint}`);
    if (o.accountParams) p.push(o.accountParams.replace(/^;/, ''));
    return `${uri};${p.join(';')}\n`;
  }

  writeContacts(current) {
    const lines = this.contactsLoaded.map((u, i) => `"c${i}" <${u}>`);
    for (const [i, u] of (this.o.presence ?? []).entries()) lines.push(`"p${i}" <${u}>;presence=p2p`);
    writeFileSync(join(this.dir, 'contacts'), lines.join('\n') + '\n');
    if (current) writeFileSync(join(this.dir, 'current_contact'), current);
  }

  async pickPorts() {
    // ctrl port first; then a SIP port whose +1 (baresip's TLS listener) is free too
    this.ctrlPort = await freePort({ tcp: true, udp: false });
    for (let i = 0; i < 50; i++) {
      const p = await freePort();
      if (p + 1 !== this.ctrlPort && (await isPortFree(p + 1))) {
        this.sipPort = p;
        return;
      }
    }
    throw new Error('Baresip: no SIP port with a free +1 neighbour');
  }

  async start() {
    const bin = baresipPath();
    if (!bin) throw new Error('baresip not installed (Debian package baresip)');
    this.dir = makeTempDir(`parley-baresip-${this.o.user}-`);
    try {
      await this.pickPorts();
      writeFileSync(join(this.dir, 'config'), this.configText());
      writeFileSync(join(this.dir, 'accounts'), this.accountLine());
      this.writeContacts(this.contactsLoaded.at(-1));
      this.currentContact = this.contactsLoaded.at(-1);
      this.proc = startProcess(bin, ['-f', this.dir, ...(this.o.sipTrace ? ['-s'] : [])], {
        cwd: this.dir,
        stdin: 'pipe', // stdio.so needs an open stdin; never a TTY here
        onLine: this.o.onLog,
      });
      const timeoutMs = this.o.startTimeoutMs ?? 10000;
      await waitFor(
        () => {
          if (!this.proc.isRunning()) throw fatalError(`baresip exited:\n${this.output().slice(-2000)}`);
          return /baresip is ready/.test(this.output());
        },
        { timeoutMs, what: 'baresip ready' },
      );
      await this.connect(timeoutMs);
      if (this.o.waitRegister !== false && this.o.regint > 0) await this.waitRegistered(timeoutMs);
      return this;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  connect(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const s = net.connect({ host: '127.0.0.1', port: this.ctrlPort });
        const dec = new NetstringDecoder();
        s.once('connect', () => {
          this.sock = s;
          resolve();
        });
        s.on('data', (d) => {
          for (const msg of dec.push(d)) this.onMessage(msg);
        });
        s.on('error', (err) => {
          if (this.sock === s) return; // handled by close
          s.destroy();
          if (Date.now() > deadline) reject(new Error(`ctrl_tcp connect failed: ${err.message}`));
          else setTimeout(attempt, 100);
        });
        s.on('close', () => {
          if (this.sock === s) {
            this.sock = null;
            for (const [, p] of this.pending) p.reject(new Error('ctrl_tcp connection closed'));
            this.pending.clear();
          }
        });
      };
      attempt();
    });
  }

  onMessage(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.response) {
      const p = this.pending.get(m.token);
      if (p) {
        this.pending.delete(m.token);
        p.resolve({ ok: m.ok, data: m.data ?? '' });
      }
    } else if (m.event) {
      m.at = Date.now();
      this.events.push(m);
      for (const w of this.eventWaiters) w();
    }
  }

  /**
   * Send a ctrl_tcp command; resolves to { ok, data } (data = baresip's text).
   * @param {string} name   long command name: dial, hangup, accept, reginfo, callstat, ...
   * @param {string} [params]
   */
  command(name, params, { timeoutMs = 5000 } = {}) {
    if (!this.sock) return Promise.reject(new Error('Baresip: not connected'));
    const token = String(++this.token);
    const body = { command: name, token };
    if (params != null && params !== '') body.params = String(params);
    const json = JSON.stringify(body);
    if (Buffer.byteLength(json) > 240) {
      // ctrl_tcp formats "command params" into a 256-byte buffer
      return Promise.reject(new Error('Baresip: command too long for ctrl_tcp (max ~250 bytes)'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`Baresip ${this.o.user}: no response to '${name}' in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(netstring(json));
    });
  }

  /**
   * Wait for (and consume) the first not-yet-consumed event of `type`
   * (e.g. CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, CALL_RTPESTAB,
   * CALL_RTCP, REGISTER_OK, REGISTER_FAIL), including ones that arrived earlier.
   * @param {string} type
   * @param {{timeoutMs?: number, match?: (ev: object) => boolean} | number} [opts]
   */
  waitEvent(type, opts = {}) {
    if (typeof opts === 'number') opts = { timeoutMs: opts };
    const { timeoutMs = 10000, match } = opts;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = 0; i < this.events.length; i++) {
          const ev = this.events[i];
          if (this.consumed.has(i) || ev.type !== type || (match && !match(ev))) continue;
          this.consumed.add(i);
          done();
          resolve(ev);
          return;
        }
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.events.map((e) => e.type).join(', ');
        reject(new Error(`Baresip ${this.o.user}: no ${type} event in ${timeoutMs} ms (seen: ${seen})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.eventWaiters.delete(check);
      };
      this.eventWaiters.add(check);
      check();
    });
  }

  /** Poll `reginfo` until the UA shows OK (green) or timeout. */
  async waitRegistered(timeoutMs = 10000) {
    return waitFor(
      async () => {
        const r = await this.command('reginfo');
        const text = stripAnsi(r.data);
        if (/ ERR /.test(text)) {
          const why = /reg: [^\n]*?: ([^\n]+)/.exec(stripAnsi(this.output()))?.[1] ?? text.trim();
          throw fatalError(`${this.aor} registration failed: ${why}`);
        }
        return / OK /.test(text) ? text : null;
      },
      { timeoutMs, intervalMs: 150, what: `${this.aor} registered` },
    );
  }

  async dial(uri) {
    const r = await this.command('dial', uri);
    if (!r.ok) throw new Error(`dial ${uri} failed: ${r.data}`);
    return r;
  }

  hangup() {
    return this.command('hangup');
  }

  accept() {
    return this.command('accept');
  }

  /**
   * Send a pager-mode MESSAGE. baresip 1.0.0 only messages the "current
   * contact", so the contacts file is rewritten and contact.so reloaded.
   * Resolves after `settleMs` with no error printed for the send (baresip
   * prints only failures, e.g. "404 Not Found"); rejects if one appears.
   */
  async sendMessage(uri, text, { settleMs = 700 } = {}) {
    if (/[\r\n]/.test(text)) throw new Error('sendMessage: text must be one line');
    if (!this.contactsLoaded.includes(uri)) this.contactsLoaded.push(uri);
    if (this.currentContact !== uri) {
      this.writeContacts(uri);
      await this.command('rmmod', 'contact.so');
      const r = await this.command('insmod', 'contact.so');
      if (!/loaded/.test(r.data)) throw new Error(`reloading contact.so failed: ${r.data}`);
      this.currentContact = uri;
    }
    const mark = this.output().length;
    const r = await this.command('message', text);
    if (!r.ok) throw new Error(`message failed: ${r.data}`);
    await sleep(settleMs);
    const after = stripAnsi(this.output().slice(mark));
    const err = /^\s*([3-6]\d\d [^\n]*)$/m.exec(after) || /message_send\([^)]*\) failed[^\n]*/.exec(after);
    if (err) throw new Error(`MESSAGE to ${uri} failed: ${err[1] ?? err[0]}`);
    return r;
  }

  /** Incoming MESSAGEs seen so far: [{ from, text }] (parsed from stdio output). */
  messages() {
    const out = [];
    for (const line of stripAnsi(this.output()).split(/[\r\n]+/)) {
      const m = /^(sips?:\S+): "(.*)"\s*$/.exec(line);
      if (m) out.push({ from: m[1], text: m[2] });
    }
    return out;
  }

  /** Wait until a MESSAGE whose text includes `text` (and from includes `from`) was received. */
  waitMessage({ text = '', from = '', timeoutMs = 10000 } = {}) {
    return waitFor(() => this.messages().find((m) => m.text.includes(text) && m.from.includes(from)), {
      timeoutMs,
      intervalMs: 50,
      what: `MESSAGE containing '${text}' at ${this.aor}`,
    });
  }

  /**
   * presence.so: set our own state ('online' | 'offline'), which baresip
   * PUBLISHes when the account has pubint. Resolves to the command's answer.
   */
  async setPresence(state) {
    if (state !== 'online' && state !== 'offline') throw new Error(`setPresence: online|offline, not ${state}`);
    const r = await this.command(`presence_${state}`);
    if (!r.ok) throw new Error(`presence_${state} failed: ${r.data}`);
    return r;
  }

  /** The `contacts` listing: [{ status, uri }] as presence.so sees each contact (e.g. Open, Closed, Busy, Unknown). */
  async contactPresence() {
    const r = await this.command('contacts');
    const out = [];
    for (const line of stripAnsi(r.data).split(/\r?\n/)) {
      const m = /^\s*(?:>\s*)?(\S+)\s+(?:"[^"]*"|\S+)?\s*<(sips?:[^>\s]+)>/.exec(line);
      if (m) out.push({ status: m[1], uri: m[2], line: line.trim() });
    }
    return out;
  }

  /** Wait until `contacts` shows `uri` with a status matching `re`. */
  waitContactPresence(uri, re, { timeoutMs = 10000 } = {}) {
    return waitFor(
      async () => (await this.contactPresence()).find((c) => c.uri.startsWith(uri) && re.test(c.status)),
      { timeoutMs, intervalMs: 200, what: `${uri} presence ${re} at ${this.aor}` },
    );
  }

  /** Latest live "audio=TX/RX (bit/s)" status line values, or null. */
  liveBitrate() {
    const all = [...this.output().matchAll(/audio=(\d+)\/(\d+) \(bit\/s\)/g)];
    const m = all.at(-1);
    return m ? { txBps: +m[1], rxBps: +m[2] } : null;
  }

  /**
   * RTP counters of the last ended call (baresip prints them on hangup):
   * { txPackets, rxPackets, txKbps, rxKbps, txErrors, rxErrors }.
   * Waits for the (n+1)th block, n = number of calls already reported.
   */
  async callStats({ timeoutMs = 5000, index } = {}) {
    const want = index ?? (this._statsSeen ?? 0);
    const blocks = await waitFor(
      () => {
        const b = parseCallStats(this.output());
        return b.length > want ? b : null;
      },
      { timeoutMs, intervalMs: 50, what: `call statistics at ${this.aor}` },
    );
    this._statsSeen = want + 1;
    return blocks[want];
  }

  /** quit over ctrl_tcp, then SIGTERM, then SIGKILL, by PID; removes the config dir. */
  async stop() {
    if (this.proc?.isRunning()) {
      if (this.sock) {
        this.command('quit', undefined, { timeoutMs: 1000 }).catch(() => {});
      }
      const r = await Promise.race([this.proc.exited, sleep(2000).then(() => null)]);
      if (!r) await this.proc.stop({ graceMs: 2000 });
    }
    this.sock?.destroy();
    this.sock = null;
    if (this.proc) this.proc.child.stdin?.destroy();
    removeDir(this.dir);
    this.dir = null;
  }
}

/** Convenience: construct and start. */
export async function startBaresip(o) {
  return new Baresip(o).start();
}
