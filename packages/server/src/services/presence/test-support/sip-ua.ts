/**
 * For this folder's tests: a tiny SIP user agent over UDP on loopback that
 * REGISTERs, PUBLISHes and SUBSCRIBEs with digest (RFC 3261 §22.2, answering
 * 401 and 407 once), and answers every NOTIFY it receives (200 unless told
 * otherwise), recording when each arrived. Only the wire is ours; every
 * message is parsed and built with the SIP stack.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createResponse, newBranch, newTag, parseMessage, type SipRequest, type SipResponse } from '@parley/sip';
import { DigestClient } from '@parley/sip/digest';

export interface Received {
  readonly request: SipRequest;
  /** performance.now() at arrival. */
  readonly at: number;
}

export interface SubscribeResult {
  readonly response: SipResponse;
  /** For in-dialog requests: Call-ID, our From tag, the notifier's To tag, its Contact. */
  readonly dialog: { callId: string; fromTag: string; toTag: string; target: string; cseq: number; uri: string };
}

export class TestUa {
  readonly notifies: Received[] = [];
  /** performance.now() when each final response arrived. */
  readonly responseAt = new WeakMap<SipResponse, number>();
  /** Status answered to NOTIFYs (the test may change it). */
  notifyStatus = 200;
  readonly #waiters: Array<() => void> = [];
  readonly #pending = new Map<string, (r: SipResponse) => void>();
  readonly #digest: DigestClient;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    private readonly serverPort: number,
    readonly user: string,
    readonly domain: string,
    password: string,
  ) {
    this.#digest = new DigestClient({ username: user, password });
    socket.on('message', (buf, rinfo) => {
      let m: SipRequest | SipResponse;
      try {
        m = parseMessage(buf.toString('utf8'));
      } catch {
        return;
      }
      if (m.isRequest) {
        const req = m as SipRequest;
        if (req.method === 'NOTIFY') this.notifies.push({ request: req, at: performance.now() });
        const res = createResponse(req, req.method === 'NOTIFY' ? this.notifyStatus : 200, { toTag: req.to.tag ?? newTag() });
        socket.send(res.toBuffer(), rinfo.port, rinfo.address);
        for (const w of this.#waiters.splice(0)) w();
        return;
      }
      const res = m as SipResponse;
      if (res.status < 200) return;
      this.responseAt.set(res, performance.now());
      const key = `${res.callId} ${res.cseq.seq}`;
      this.#pending.get(key)?.(res);
      this.#pending.delete(key);
    });
  }

  static async open(serverPort: number, user: string, password: string, domain = 'example.com'): Promise<TestUa> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new TestUa(socket, socket.address().port, serverPort, user, domain, password);
  }

  get aor(): string {
    return `sip:${this.user}@${this.domain}`;
  }

  get contact(): string {
    return `<sip:${this.user}@127.0.0.1:${this.port}>`;
  }

  /** Sends a request built by `build(cseq, auth)`; answers one 401/407; resolves with the final response. */
  async request(method: string, uri: string, callId: string, cseqStart: number, build: (cseq: number, auth: string[]) => string): Promise<SipResponse> {
    let cseq = cseqStart;
    let res = await this.#exchange(callId, cseq, build(cseq, []));
    if (res.status === 401 || res.status === 407) {
      const [value] = this.#digest.answer(res.getAll(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate'), { method, uri });
      cseq++;
      res = await this.#exchange(callId, cseq, build(cseq, [`${res.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: ${value}`]));
    }
    return res;
  }

  #exchange(callId: string, cseq: number, text: string): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to CSeq ${cseq}`)), 5000);
      this.#pending.set(`${callId} ${cseq}`, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.socket.send(text, this.serverPort, '127.0.0.1');
    });
  }

  #lines(method: string, uri: string, o: { callId: string; fromTag: string; to: string; cseq: number; headers: string[]; body?: string; contentType?: string }): string {
    const body = o.body ?? '';
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${newBranch()};rport`,
      'Max-Forwards: 70',
      `From: <${this.aor}>;tag=${o.fromTag}`,
      `To: ${o.to}`,
      `Call-ID: ${o.callId}`,
      `CSeq: ${o.cseq} ${method}`,
      `Contact: ${this.contact}`,
      ...o.headers,
      ...(o.contentType ? [`Content-Type: ${o.contentType}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  register(expires = 600): Promise<SipResponse> {
    const uri = `sip:${this.domain}`;
    const callId = `reg-${newTag()}`;
    const fromTag = newTag();
    return this.request('REGISTER', uri, callId, 1, (cseq, auth) =>
      this.#lines('REGISTER', uri, { callId, fromTag, to: `<${this.aor}>`, cseq, headers: [`Expires: ${expires}`, ...auth] }),
    );
  }

  publish(o: { body?: string; ifMatch?: string; expires?: number; event?: string; contentType?: string } = {}): Promise<SipResponse> {
    const callId = `pub-${newTag()}`;
    const fromTag = newTag();
    const headers = [`Event: ${o.event ?? 'presence'}`, ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []), ...(o.ifMatch ? [`SIP-If-Match: ${o.ifMatch}`] : [])];
    return this.request('PUBLISH', this.aor, callId, 1, (cseq, auth) =>
      this.#lines('PUBLISH', this.aor, {
        callId,
        fromTag,
        to: `<${this.aor}>`,
        cseq,
        headers: [...headers, ...auth],
        body: o.body,
        contentType: o.body !== undefined ? (o.contentType ?? 'application/pidf+xml') : undefined,
      }),
    );
  }

  async subscribe(uri: string, o: { event?: string; expires?: number; headers?: string[] } = {}): Promise<SubscribeResult> {
    const callId = `sub-${newTag()}`;
    const fromTag = newTag();
    let last = 1;
    const response = await this.request('SUBSCRIBE', uri, callId, 1, (cseq, auth) => {
      last = cseq;
      return this.#lines('SUBSCRIBE', uri, {
        callId,
        fromTag,
        to: `<${uri}>`,
        cseq,
        headers: [`Event: ${o.event ?? 'presence'}`, `Expires: ${o.expires ?? 600}`, ...(o.headers ?? []), ...auth],
      });
    });
    const c = response.contacts[0];
    const target = c && c !== '*' ? c.uri.toString() : uri;
    return { response, dialog: { callId, fromTag, toTag: response.to.tag ?? '', target, cseq: last, uri } };
  }

  /** A SUBSCRIBE in the dialog (refresh, or Expires: 0 to unsubscribe). */
  resubscribe(d: SubscribeResult['dialog'], expires: number, event = 'presence'): Promise<SipResponse> {
    d.cseq++;
    return this.#exchange(
      d.callId,
      d.cseq,
      this.#lines('SUBSCRIBE', d.target, { callId: d.callId, fromTag: d.fromTag, to: `<${d.uri}>;tag=${d.toTag}`, cseq: d.cseq, headers: [`Event: ${event}`, `Expires: ${expires}`] }),
    );
  }

  /** The first NOTIFY from index `from` that matches, waiting up to `ms`. */
  async notify(match: (r: SipRequest) => boolean = () => true, from = 0, ms = 3000): Promise<Received & { index: number }> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.notifies.findIndex((n, k) => k >= from && match(n.request));
      if (i >= 0) return { ...this.notifies[i], index: i };
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.user}: no matching NOTIFY (${this.notifies.length} received)`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
