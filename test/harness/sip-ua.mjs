/**
 * A minimal SIP user agent over UDP and a REST client, for interop tests that
 * talk to a real Parley by hand: the UA answers every request it receives
 * with 200, keeps them, answers one 401/407 with digest, and lets a test
 * wait for any message. Loopback only; every wait is bounded.
 */
import dgram from 'node:dgram';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './parley.mjs';

const { DigestClient } = await import(join(REPO, 'packages', 'sip', 'dist', 'digest', 'index.js'));

/** `rest(method, path, {token, json})` against `/api/v1` of the server `getParley()` returns. */
export function restClient(getParley) {
  return function rest(method, path, { token, json } = {}) {
    const parley = getParley();
    const body = json ? JSON.stringify(json) : undefined;
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: parley.httpsPort,
          method,
          path: `/api/v1${path}`,
          ca: readFileSync(parley.caFile),
          servername: 'localhost',
          checkServerIdentity: () => undefined,
          headers: {
            ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            let parsed;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode, body: parsed, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(body);
    });
  };
}

/** Parses one SIP datagram: {first, status, method, headers, h(name), body, raw}. */
export function parseSip(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const first = head.shift();
  const headers = {};
  for (const l of head) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    (headers[k] ??= []).push(l.slice(i + 1).trim());
  }
  const h = (k) => headers[k]?.[0] ?? headers[{ 'call-id': 'i', from: 'f', to: 't', via: 'v', 'content-type': 'c', 'content-length': 'l' }[k]]?.[0];
  const body = buf.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8');
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return { first, status: m ? +m[1] : null, method: m ? null : first.split(' ')[0], headers, h, body, raw: text };
}

/** A UDP SIP user agent of `user@domain` talking to the server at `getServer().sipPort`. */
export class UdpUa {
  constructor(user, { domain, password, server }) {
    this.user = user;
    this.aor = `sip:${user}@${domain}`;
    this.server = server;
    this.digest = new DigestClient({ username: user, password });
    this.waiters = new Set();
    this.requests = [];
    this.log = [];
    this.cseq = 1;
  }
  async open() {
    this.sock = dgram.createSocket('udp4');
    await new Promise((r) => this.sock.bind(0, '127.0.0.1', r));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => this.onMessage(buf));
    return this;
  }
  close() {
    this.sock?.close();
  }
  send(text) {
    this.log.push(`>> ${text.split('\r\n')[0]}`);
    this.sock.send(Buffer.from(text, 'utf8'), this.server().sipPort, '127.0.0.1');
  }
  onMessage(buf) {
    const m = parseSip(buf);
    this.log.push(`<< ${m.first}`);
    if (m.method) {
      this.requests.push(m);
      if (m.method !== 'ACK') {
        const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((k) => (m.headers[k] ?? []).map((v) => `${k}: ${v}`));
        this.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'));
      }
    }
    for (const w of this.waiters) w(m);
  }
  /** Wait for a message matching pred (a request already received counts). */
  wait(pred, { timeoutMs = 10_000, what = 'message', past = false } = {}) {
    if (past) {
      const hit = this.requests.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const w = (m) => {
        if (!pred(m)) return;
        clearTimeout(t);
        this.waiters.delete(w);
        resolve(m);
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.user}: no ${what} in ${timeoutMs} ms; saw:\n${this.log.slice(-20).join('\n')}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
  /** Send a request outside a dialog (or with given dialog headers); answers 401/407 once. */
  async request(method, uri, { headers = [], body = '', contentType, callId, fromTag, to } = {}) {
    callId ??= randomBytes(8).toString('hex');
    fromTag ??= randomBytes(4).toString('hex');
    let auth = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const cseq = this.cseq++;
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <${this.aor}>;tag=${fromTag}`,
        `To: ${to ?? `<${uri}>`}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:${this.user}@127.0.0.1:${this.port};transport=udp>`,
        ...headers,
        ...auth,
        ...(body ? [`Content-Type: ${contentType}`] : []),
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ];
      const final = this.wait((m) => m.status >= 200 && m.h('call-id') === callId && m.h('cseq')?.startsWith(`${cseq} `), { what: `final answer to ${method}` });
      this.send(lines.join('\r\n'));
      const res = await final;
      if ((res.status === 401 || res.status === 407) && attempt === 0) {
        const hdr = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
        const out = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
        auth = this.digest.answer(res.headers[hdr], { method, uri, body }).map((v) => `${out}: ${v}`);
        continue;
      }
      return { res, callId, fromTag };
    }
  }
  publish(pidf, expires = 600) {
    return this.request('PUBLISH', this.aor, { headers: ['Event: presence', `Expires: ${expires}`], body: pidf, contentType: 'application/pidf+xml' });
  }
  subscribe(uri, headers = []) {
    return this.request('SUBSCRIBE', uri, { headers: ['Event: presence', 'Expires: 600', ...headers] });
  }
}
