/**
 * For the IM tests: a tiny SIP user agent over UDP on loopback — a device.
 * It REGISTERs and sends MESSAGEs answering digest challenges (RFC 3261
 * §22.2, with the stack's DigestClient), and answers the requests it
 * receives with a chosen status (or not at all: a device gone silent).
 * Only the wire is ours; every message is parsed by the stack.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createResponse, newBranch, newCallId, newTag, parseMessage, SipRequest, type SipResponse } from '@parley/sip';
import { DigestClient } from '@parley/sip/digest';

export interface TestUaOptions {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
  /** The server's UDP port on 127.0.0.1. */
  readonly serverPort: number;
}

export class TestUa {
  /** Requests received (retransmissions left out), oldest first. */
  readonly received: SipRequest[] = [];
  /** Status to answer incoming requests with; undefined: stay silent. */
  answerWith: number | undefined = 200;
  private readonly seen = new Set<string>();
  private readonly waiting = new Map<string, (r: SipResponse) => void>();
  private readonly digest: DigestClient;
  private readonly regCallId = newCallId();
  private cseq = 1;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    private readonly o: TestUaOptions,
  ) {
    this.digest = new DigestClient({ username: o.user, password: o.password });
    socket.on('message', (buf) => this.onMessage(buf));
  }

  static async open(o: TestUaOptions): Promise<TestUa> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new TestUa(socket, socket.address().port, o);
  }

  get aor(): string {
    return `${this.o.user}@${this.o.domain}`;
  }

  get contact(): string {
    return `sip:${this.o.user}@127.0.0.1:${this.port}`;
  }

  private onMessage(buf: Buffer): void {
    const m = parseMessage(buf.toString('utf8'));
    if (m instanceof SipRequest) {
      const key = `${m.topVia.branch} ${m.cseq.seq} ${m.method}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.received.push(m);
      }
      if (this.answerWith !== undefined && m.method !== 'ACK') this.send(createResponse(m, this.answerWith, { toTag: newTag() }).toString());
      return;
    }
    if (m.status < 200) return;
    const done = this.waiting.get(m.topVia.branch ?? '');
    if (done) {
      this.waiting.delete(m.topVia.branch ?? '');
      done(m);
    }
  }

  private send(text: string | Buffer): void {
    this.socket.send(text, this.o.serverPort, '127.0.0.1');
  }

  /** Sends a request (lines without Via, CSeq and Content-Length) and waits for its final response. */
  private exchange(method: string, lines: string[], body: string | Buffer = ''): Promise<SipResponse> {
    const branch = newBranch();
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const head = [
      lines[0],
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `CSeq: ${this.cseq++} ${method}`,
      ...lines.slice(1),
      `Content-Length: ${bytes.length}`,
      '',
      '',
    ].join('\r\n');
    const text = Buffer.concat([Buffer.from(head, 'utf8'), bytes]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(branch);
        reject(new Error(`no final answer to ${method}`));
      }, 20_000);
      this.waiting.set(branch, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.send(text);
    });
  }

  /** REGISTER (expires 0 signs the device out), answering the 401 challenge. */
  async register(expires = 600): Promise<SipResponse> {
    const uri = `sip:${this.o.domain}`;
    const tag = newTag();
    const lines = (auth?: string) => [
      `REGISTER ${uri} SIP/2.0`,
      `From: <sip:${this.aor}>;tag=${tag}`,
      `To: <sip:${this.aor}>`,
      `Call-ID: ${this.regCallId}`,
      `Contact: <${this.contact}>`,
      `Expires: ${expires}`,
      ...(auth ? [`Authorization: ${auth}`] : []),
    ];
    const first = await this.exchange('REGISTER', lines());
    if (first.status !== 401) return first;
    const [value] = this.digest.answer(first.getAll('www-authenticate'), { method: 'REGISTER', uri });
    return this.exchange('REGISTER', lines(value));
  }

  /** MESSAGE to `to` ('user@domain'), answering the 407 challenge. */
  async message(to: string, body: string | Buffer, o: { contentType?: string; from?: string } = {}): Promise<SipResponse> {
    const uri = `sip:${to}`;
    const tag = newTag();
    const callId = newCallId();
    const lines = (auth?: string) => [
      `MESSAGE ${uri} SIP/2.0`,
      `From: <sip:${o.from ?? this.aor}>;tag=${tag}`,
      `To: <${uri}>`,
      `Call-ID: ${callId}`,
      `Content-Type: ${o.contentType ?? 'text/plain;charset=UTF-8'}`,
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
    ];
    const first = await this.exchange('MESSAGE', lines(), body);
    if (first.status !== 407) return first;
    const [value] = this.digest.answer(first.getAll('proxy-authenticate'), { method: 'MESSAGE', uri });
    return this.exchange('MESSAGE', lines(value), body);
  }

  /** The received MESSAGEs whose body includes `text`. */
  messages(text = ''): SipRequest[] {
    return this.received.filter((r) => r.method === 'MESSAGE' && r.bodyText.includes(text));
  }

  /** Waits until a MESSAGE whose body includes `text` arrived. */
  async waitMessage(text: string, timeoutMs = 8000): Promise<SipRequest> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages(text)[0];
      if (m) return m;
      if (Date.now() > until) throw new Error(`${this.aor} at ${this.port}: no MESSAGE with "${text}"`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.waiting.clear();
    this.socket.close();
  }
}
