/**
 * For this folder's tests: a SIP phone over UDP on loopback that registers,
 * places calls (INVITE with digest, ACK, BYE along the route set, RFC 3261
 * §12–§15) and takes them (180, then 200 with its Contact and the
 * Record-Route copied, §12.1.1), or only rings until CANCELled (487, §9.2).
 * It publishes nothing: a standard SIP phone, as baresip or a desk phone.
 * Only the wire is ours; every message is parsed and built with the stack.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createResponse, newBranch, newCallId, newTag, parseMessage, type SipRequest, type SipResponse } from '@parley/sip';
import { DigestClient } from '@parley/sip/digest';

/** One side of an established call. */
export interface CallDialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  /** The peer's Contact (§12.1.1, §12.1.2). */
  readonly remoteTarget: string;
  /** Route set: Record-Route as received (UAS) or reversed (UAC). */
  readonly routes: readonly string[];
  cseq: number;
  ended: boolean;
}

export class CallUa {
  /** How incoming INVITEs are met: 'answer' (180 then 200), 'ring' (180, then wait), or a final status. */
  onInvite: 'answer' | 'ring' | number = 'answer';
  /** performance.now() when this phone sent its 200 to an INVITE, by Call-ID. */
  readonly answeredAt = new Map<string, number>();
  /** performance.now() when each final response arrived. */
  readonly responseAt = new WeakMap<SipResponse, number>();
  /** Calls taken (as callee), by Call-ID. */
  readonly taken = new Map<string, CallDialog>();
  /** Requests received (retransmissions left out). */
  readonly received: SipRequest[] = [];
  /** Calls placed (as caller), by Call-ID. */
  readonly #placed = new Map<string, CallDialog>();
  readonly #invites = new Map<string, SipRequest>();
  /** Our To tag per INVITE received. */
  readonly #tags = new Map<string, string>();
  readonly #seen = new Set<string>();
  readonly #pending = new Map<string, (r: SipResponse) => void>();
  readonly #waiters: Array<() => void> = [];
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
    socket.on('message', (buf) => this.#onMessage(buf));
  }

  static async open(serverPort: number, user: string, password: string, domain = 'example.com'): Promise<CallUa> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new CallUa(socket, socket.address().port, serverPort, user, domain, password);
  }

  get aor(): string {
    return `sip:${this.user}@${this.domain}`;
  }

  get contact(): string {
    return `sip:${this.user}@127.0.0.1:${this.port}`;
  }

  #send(m: SipRequest | SipResponse | string): void {
    this.socket.send(typeof m === 'string' ? m : m.toBuffer(), this.serverPort, '127.0.0.1');
  }

  #onMessage(buf: Buffer): void {
    let m: SipRequest | SipResponse;
    try {
      m = parseMessage(buf.toString('utf8'));
    } catch {
      return;
    }
    if (!m.isRequest) {
      const res = m as SipResponse;
      if (res.status < 200) return;
      this.responseAt.set(res, performance.now());
      const key = `${res.callId} ${res.cseq.seq} ${res.cseq.method}`;
      this.#pending.get(key)?.(res);
      this.#pending.delete(key);
      return;
    }
    const req = m as SipRequest;
    const seenKey = `${req.topVia.branch} ${req.method}`;
    const retransmission = this.#seen.has(seenKey);
    this.#seen.add(seenKey);
    if (!retransmission) this.received.push(req);
    for (const w of this.#waiters.splice(0)) w();
    switch (req.method) {
      case 'ACK':
        return;
      case 'INVITE':
        if (retransmission) return;
        // A re-INVITE (§14.2): accepted as it is, in its dialog.
        if (req.to.tag !== undefined) this.#send(createResponse(req, 200, { headers: [['Contact', `<${this.contact}>`]] }));
        else this.#takeInvite(req);
        return;
      case 'CANCEL': {
        this.#send(createResponse(req, 200));
        const invite = this.#invites.get(req.topVia.branch ?? '');
        if (invite) this.#send(createResponse(invite, 487, { toTag: this.#tagOf(invite) }));
        return;
      }
      case 'BYE': {
        const d = this.taken.get(req.callId) ?? [...this.#placed.values()].find((x) => x.callId === req.callId);
        if (d) d.ended = true;
        this.#send(createResponse(req, d ? 200 : 481));
        return;
      }
      default:
        this.#send(createResponse(req, 200, { toTag: req.to.tag ?? newTag() }));
    }
  }

  #tagOf(invite: SipRequest): string {
    const k = invite.topVia.branch ?? invite.callId;
    let t = this.#tags.get(k);
    if (!t) this.#tags.set(k, (t = newTag()));
    return t;
  }

  #takeInvite(req: SipRequest): void {
    const tag = this.#tagOf(req);
    this.#invites.set(req.topVia.branch ?? '', req);
    if (typeof this.onInvite === 'number') {
      this.#send(createResponse(req, this.onInvite, { toTag: tag }));
      return;
    }
    this.#send(createResponse(req, 180, { toTag: tag }));
    if (this.onInvite === 'ring') return;
    const ok = createResponse(req, 200, { toTag: tag, headers: [['Contact', `<${this.contact}>`]] });
    const c = req.contacts[0];
    this.taken.set(req.callId, {
      callId: req.callId,
      localTag: tag,
      remoteTag: req.from.tag ?? '',
      localUri: req.to.uri.toString(),
      remoteUri: req.from.uri.toString(),
      remoteTarget: c && c !== '*' ? c.uri.toString() : req.from.uri.toString(),
      routes: req.getAll('record-route'),
      cseq: 0,
      ended: false,
    });
    this.#send(ok);
    this.answeredAt.set(req.callId, performance.now());
  }

  #exchange(key: string, text: string, ms = 5000): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.user}: no answer to ${key}`)), ms);
      timer.unref(); // a request left unanswered on purpose must not hold the test process
      this.#pending.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.#send(text);
    });
  }

  #lines(first: string, h: { via: string; from: string; to: string; callId: string; cseq: string; extra?: string[] }): string {
    return [first, `Via: ${h.via}`, 'Max-Forwards: 70', `From: ${h.from}`, `To: ${h.to}`, `Call-ID: ${h.callId}`, `CSeq: ${h.cseq}`, ...(h.extra ?? []), 'Content-Length: 0', '', ''].join('\r\n');
  }

  #via(branch = newBranch()): string {
    return `SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`;
  }

  async register(expires = 600): Promise<SipResponse> {
    const uri = `sip:${this.domain}`;
    const callId = newCallId();
    const fromTag = newTag();
    const build = (cseq: number, auth: string[]) =>
      this.#lines(`REGISTER ${uri} SIP/2.0`, {
        via: this.#via(),
        from: `<${this.aor}>;tag=${fromTag}`,
        to: `<${this.aor}>`,
        callId,
        cseq: `${cseq} REGISTER`,
        extra: [`Contact: <${this.contact}>`, `Expires: ${expires}`, ...auth],
      });
    let res = await this.#exchange(`${callId} 1 REGISTER`, build(1, []));
    if (res.status === 401) {
      const [v] = this.#digest.answer(res.getAll('www-authenticate'), { method: 'REGISTER', uri });
      res = await this.#exchange(`${callId} 2 REGISTER`, build(2, [`Authorization: ${v}`]));
    }
    return res;
  }

  /**
   * Calls `target`: INVITE (answering one 407), ACK for a non-2xx in its
   * transaction (§17.1.1.3), for a 2xx along the route set (§13.2.2.4).
   * Resolves with the final response and, on 2xx, the dialog.
   */
  async call(target: string, o: { headers?: string[] } = {}): Promise<{ response: SipResponse; dialog: CallDialog | undefined }> {
    const callId = newCallId();
    const fromTag = newTag();
    let cseq = 1;
    let auth: string[] = [];
    for (;;) {
      const branch = newBranch();
      const via = this.#via(branch);
      const res = await this.#exchange(
        `${callId} ${cseq} INVITE`,
        this.#lines(`INVITE ${target} SIP/2.0`, {
          via,
          from: `<${this.aor}>;tag=${fromTag}`,
          to: `<${target}>`,
          callId,
          cseq: `${cseq} INVITE`,
          extra: [`Contact: <${this.contact}>`, ...(o.headers ?? []), ...auth],
        }),
        10_000,
      );
      if (res.status >= 300) {
        // §17.1.1.3: the ACK of a non-2xx final response belongs to the INVITE's transaction.
        this.#send(this.#lines(`ACK ${target} SIP/2.0`, { via, from: `<${this.aor}>;tag=${fromTag}`, to: res.get('to')!, callId, cseq: `${cseq} ACK` }));
        if (res.status === 407 && auth.length === 0) {
          const [v] = this.#digest.answer(res.getAll('proxy-authenticate'), { method: 'INVITE', uri: target });
          auth = [`Proxy-Authorization: ${v}`];
          cseq++;
          continue;
        }
        return { response: res, dialog: undefined };
      }
      const c = res.contacts[0];
      const dialog: CallDialog = {
        callId,
        localTag: fromTag,
        remoteTag: res.to.tag ?? '',
        localUri: this.aor,
        remoteUri: target,
        remoteTarget: c && c !== '*' ? c.uri.toString() : target,
        routes: [...res.getAll('record-route')].reverse(), // §12.1.2
        cseq,
        ended: false,
      };
      this.#placed.set(callId, dialog);
      this.#send(this.#inDialog(dialog, 'ACK', cseq));
      return { response: res, dialog };
    }
  }

  #inDialog(d: CallDialog, method: string, cseq: number, extra: string[] = []): string {
    return this.#lines(`${method} ${d.remoteTarget} SIP/2.0`, {
      via: this.#via(),
      from: `<${d.localUri}>;tag=${d.localTag}`,
      to: `<${d.remoteUri}>;tag=${d.remoteTag}`,
      callId: d.callId,
      cseq: `${cseq} ${method}`,
      extra: [...d.routes.map((r) => `Route: ${r}`), `Contact: <${this.contact}>`, ...extra],
    });
  }

  /** A request in the dialog (BYE hangs up; re-INVITE, INFO…); resolves with its final response. */
  async send(d: CallDialog, method: string, extra: string[] = []): Promise<SipResponse> {
    const cseq = ++d.cseq;
    const res = await this.#exchange(`${d.callId} ${cseq} ${method}`, this.#inDialog(d, method, cseq, extra));
    if (method === 'BYE') d.ended = true;
    if (method === 'INVITE' && res.status < 300) this.#send(this.#inDialog(d, 'ACK', cseq));
    return res;
  }

  hangUp(d: CallDialog): Promise<SipResponse> {
    return this.send(d, 'BYE');
  }

  /** Waits for a request matching `match` (received from index `from`). */
  async waitRequest(match: (r: SipRequest) => boolean, from = 0, ms = 5000): Promise<SipRequest> {
    const end = Date.now() + ms;
    for (;;) {
      const r = this.received.slice(from).find(match);
      if (r) return r;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.user}: no matching request (${this.received.length} received)`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
