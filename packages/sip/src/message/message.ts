/**
 * SIP requests and responses (RFC 3261 §7).
 *
 * Headers are kept as parallel arrays in wire order: the lower-case full name
 * (compact forms expanded), the name as written, and the unfolded value.
 * Typed views (Via, From, To, CSeq, Contact…) are parsed on first use, checked
 * against the grammar (a header that does not parse throws
 * {@link SipParseError}; nothing unvalidated is served) and cached until that
 * header changes. A message that was parsed and not changed serializes to its
 * original bytes.
 */
import { SipParseError } from '../errors.js';
import { isToken, WORD } from '../grammar/charsets.js';
import { NameAddr, parseNameAddr, parseNameAddrList } from '../grammar/name-addr.js';
import { splitList } from '../grammar/params.js';
import { type Uri, parseUri, SipUri } from '../grammar/uri.js';
import { Via, parseVias } from '../grammar/via.js';
import { LIST_HEADERS, canonicalName, canonicalSpelling } from './header-names.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** A Contact header element, or the wildcard "*" of REGISTER (RFC 3261 §10.2.2). */
export type ContactValue = NameAddr | '*';

const MAX_CSEQ = 0x7fffffff; // RFC 3261 §8.1.1.5: less than 2**31
const EMPTY = Buffer.alloc(0);

interface TypedCache {
  vias?: Via[];
  from?: NameAddr;
  to?: NameAddr;
  cseq?: CSeq;
  callId?: string;
  contacts?: ContactValue[];
}

export abstract class SipMessage {
  /** Lower-case full names. */
  protected names: string[];
  /** Names as written (serialization keeps them). */
  protected rawNames: string[];
  /** Values, folding undone, trimmed. */
  protected values: string[];
  private _body: Buffer;
  /** "SIP/2.0" normally; kept as received so a server can answer 505. */
  version = 'SIP/2.0';
  /**
   * The first grammar violation found while parsing, if any: the message was
   * readable enough to be answered, and {@link validate} throws this.
   */
  defect: SipParseError | undefined;
  /** The received bytes, while the message is unchanged. */
  protected wire: Buffer | undefined;
  private cache: TypedCache = {};

  constructor(headers: Array<[string, string]> = [], body: Buffer | string = EMPTY) {
    this.names = [];
    this.rawNames = [];
    this.values = [];
    for (const [n, v] of headers) this.append(n, v);
    this._body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  }

  get body(): Buffer {
    return this._body;
  }
  set body(b: Buffer) {
    this._body = b;
    this.wire = undefined;
  }

  /** @internal used by the parser to fill a message without copies. */
  static adopt<T extends SipMessage>(m: T, names: string[], raw: string[], values: string[], body: Buffer, wire: Buffer): T {
    m.names = names;
    m.rawNames = raw;
    m.values = values;
    m._body = body;
    m.wire = wire;
    return m;
  }

  abstract get isRequest(): boolean;
  abstract startLine(): string;

  // ---- raw header access ---------------------------------------------------

  /** Number of header lines. */
  get headerCount(): number {
    return this.names.length;
  }

  /** [name as written, value] pairs in order. */
  headers(): Array<[string, string]> {
    return this.names.map((_n, i) => [this.rawNames[i], this.values[i]]);
  }

  has(name: string): boolean {
    return this.names.indexOf(canonicalName(name)) >= 0;
  }

  /** The value of the first line of this header (a whole line, even for list headers). */
  get(name: string): string | undefined {
    const i = this.names.indexOf(canonicalName(name));
    return i < 0 ? undefined : this.values[i];
  }

  /**
   * Every value of this header: for list headers (§7.3.1) each comma-separated
   * element across all lines; otherwise each line's value.
   */
  getAll(name: string): string[] {
    const n = canonicalName(name);
    const out: string[] = [];
    const list = LIST_HEADERS.has(n);
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] !== n) continue;
      if (list) for (const el of splitList(this.values[i], n)) out.push(el);
      else out.push(this.values[i]);
    }
    return out;
  }

  /** Replace every line of this header by one line with `value`. */
  set(name: string, value: string | number): this {
    const n = canonicalName(name);
    const i = this.names.indexOf(n);
    if (i < 0) return this.append(name, value);
    this.values[i] = String(value);
    for (let k = this.names.length - 1; k > i; k--) if (this.names[k] === n) this.removeAt(k);
    this.touched(n);
    return this;
  }

  /** Add a header line after the last one. */
  append(name: string, value: string | number): this {
    const n = canonicalName(name);
    this.names.push(n);
    this.rawNames.push(name.length === 1 || name === n ? canonicalSpelling(n) : name);
    this.values.push(String(value));
    this.touched(n);
    return this;
  }

  /** Add a header line before the first line of the same header (or at the top): Via, Record-Route. */
  prepend(name: string, value: string | number): this {
    const n = canonicalName(name);
    let i = this.names.indexOf(n);
    if (i < 0) i = 0;
    this.names.splice(i, 0, n);
    this.rawNames.splice(i, 0, canonicalSpelling(n));
    this.values.splice(i, 0, String(value));
    this.touched(n);
    return this;
  }

  /** Remove every line of this header. Returns how many were removed. */
  remove(name: string): number {
    const n = canonicalName(name);
    let count = 0;
    for (let k = this.names.length - 1; k >= 0; k--)
      if (this.names[k] === n) {
        this.removeAt(k);
        count++;
      }
    if (count > 0) this.touched(n);
    return count;
  }

  /**
   * Remove the first element of a list header (top Via, top Route): when the
   * first line holds several elements, only the first is removed (§16.7 step 3).
   * Returns the removed element.
   */
  removeFirst(name: string): string | undefined {
    const n = canonicalName(name);
    const i = this.names.indexOf(n);
    if (i < 0) return undefined;
    const els = splitList(this.values[i], n);
    const first = els.shift();
    if (els.length === 0) this.removeAt(i);
    else this.values[i] = els.join(', ');
    this.touched(n);
    return first;
  }

  private removeAt(k: number): void {
    this.names.splice(k, 1);
    this.rawNames.splice(k, 1);
    this.values.splice(k, 1);
  }

  private touched(n: string): void {
    this.wire = undefined;
    switch (n) {
      case 'via': this.cache.vias = undefined; break;
      case 'from': this.cache.from = undefined; break;
      case 'to': this.cache.to = undefined; break;
      case 'cseq': this.cache.cseq = undefined; break;
      case 'call-id': this.cache.callId = undefined; break;
      case 'contact': this.cache.contacts = undefined; break;
    }
  }

  private one(n: string): string {
    const i = this.names.indexOf(n);
    if (i < 0) throw new SipParseError('missing-header', `missing ${canonicalSpelling(n)}`, { header: n });
    return this.values[i];
  }

  // ---- typed views -----------------------------------------------------------

  /** Every Via, top first (RFC 3261 §20.42). */
  get vias(): Via[] {
    let v = this.cache.vias;
    if (v === undefined) {
      v = [];
      for (let i = 0; i < this.names.length; i++) if (this.names[i] === 'via') for (const x of parseVias(this.values[i])) v.push(x);
      if (v.length === 0) throw new SipParseError('missing-header', 'missing Via', { header: 'via' });
      this.cache.vias = v;
    }
    return v;
  }

  get topVia(): Via {
    return this.vias[0];
  }

  get from(): NameAddr {
    return (this.cache.from ??= parseNameAddr(this.one('from'), 'from'));
  }

  get to(): NameAddr {
    return (this.cache.to ??= parseNameAddr(this.one('to'), 'to'));
  }

  /** Replace From/To with a NameAddr (e.g. after adding a tag). */
  setFrom(na: NameAddr): void {
    this.set('from', na.toString());
    this.cache.from = na;
  }
  setTo(na: NameAddr): void {
    this.set('to', na.toString());
    this.cache.to = na;
  }

  get callId(): string {
    let c = this.cache.callId;
    if (c === undefined) {
      c = this.one('call-id');
      // callid = word [ "@" word ] (RFC 3261 §25.1)
      const at = c.indexOf('@');
      if (c.length === 0 || !isWord(c, 0, at < 0 ? c.length : at) || (at >= 0 && !isWord(c, at + 1, c.length)))
        throw new SipParseError('header-value', 'bad Call-ID', { header: 'call-id' });
      this.cache.callId = c;
    }
    return c;
  }

  get cseq(): CSeq {
    let c = this.cache.cseq;
    if (c === undefined) {
      const v = this.one('cseq');
      const m = /^([0-9]{1,10})[ \t]+(\S+)$/.exec(v);
      if (!m) throw new SipParseError('header-value', 'bad CSeq', { header: 'cseq' });
      const seq = Number(m[1]);
      if (seq > MAX_CSEQ) throw new SipParseError('header-value', 'CSeq number too large', { header: 'cseq' });
      if (!isToken(m[2])) throw new SipParseError('header-value', 'bad CSeq method', { header: 'cseq' });
      c = { seq, method: m[2] };
      this.cache.cseq = c;
    }
    return c;
  }

  /** Max-Forwards (0–255, RFC 3261 §20.22); undefined when absent. */
  get maxForwards(): number | undefined {
    const v = this.get('max-forwards');
    if (v === undefined) return undefined;
    // Leading zeros are fine ("0068", RFC 4475 "wsinv").
    if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 255)
      throw new SipParseError('header-value', 'bad Max-Forwards', { header: 'max-forwards' });
    return Number(v);
  }

  /** Contact elements; "*" for the REGISTER wildcard (§10.2.2). Empty when absent. */
  get contacts(): ContactValue[] {
    let c = this.cache.contacts;
    if (c === undefined) {
      c = [];
      for (let i = 0; i < this.names.length; i++) {
        if (this.names[i] !== 'contact') continue;
        const v = this.values[i];
        if (v === '*') c.push('*');
        else for (const na of parseNameAddrList(v, 'contact')) c.push(na);
      }
      this.cache.contacts = c;
    }
    return c;
  }

  /** Name-addr list headers: Route, Record-Route, Path, Service-Route… */
  addresses(name: string): NameAddr[] {
    const n = canonicalName(name);
    const out: NameAddr[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === n) for (const na of parseNameAddrList(this.values[i], n)) out.push(na);
    return out;
  }

  /** An integer header (Expires, Min-Expires, Content-Length…): undefined when absent. */
  integer(name: string): number | undefined {
    const n = canonicalName(name);
    const v = this.get(n);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,10}$/.test(v)) throw new SipParseError('header-value', `bad ${canonicalSpelling(n)}`, { header: n });
    return Number(v);
  }

  /** Comma-separated tokens (Allow, Supported, Require…), lower case. */
  tokens(name: string): string[] {
    return this.getAll(name).map((t) => t.toLowerCase());
  }

  /** The media type of the body, lower case, without parameters. */
  get contentType(): string | undefined {
    const v = this.get('content-type');
    if (v === undefined) return undefined;
    const semi = v.indexOf(';');
    return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  }

  get bodyText(): string {
    return this.body.toString('utf8');
  }

  /** Set the body and its Content-Type; Content-Length follows on serialization. */
  setBody(body: Buffer | string, contentType?: string): this {
    this._body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType !== undefined) this.set('content-type', contentType);
    else if (this.body.length === 0) this.remove('content-type');
    this.wire = undefined;
    return this;
  }

  // ---- validation --------------------------------------------------------------

  /**
   * Check what every element needs before acting on a message (RFC 3261 §8.2,
   * §16.3, §17): the parse defect if any, the version (505), mandatory headers,
   * headers that may appear once, and the grammar of Via, From, To, Call-ID,
   * CSeq, Max-Forwards, Contact and Date. Throws {@link SipParseError}.
   */
  validate(): this {
    if (this.defect) throw this.defect;
    if (this.version !== 'SIP/2.0')
      throw new SipParseError('version', `unsupported version ${this.version}`, { status: 505 });
    // Duplicates of single-instance headers were found by the parser (defect).
    let present = 0;
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i];
      if (n === 'contact') present |= 1;
      else if (n === 'max-forwards') present |= 2;
      else if (n === 'date') present |= 4;
    }
    void this.vias;
    void this.from;
    void this.to;
    void this.callId;
    void this.cseq;
    if (present & 2) void this.maxForwards;
    if (present & 1) void this.contacts;
    if (present & 4) checkDate(this.get('date')!);
    return this;
  }

  // ---- serialization -----------------------------------------------------------

  /** The message as bytes; Content-Length is written to match the body. */
  toBuffer(): Buffer {
    if (this.wire) return this.wire;
    let head = this.startLine() + '\r\n';
    let hasCl = false;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] === 'content-length') {
        hasCl = true;
        head += `${this.rawNames[i]}: ${this.body.length}\r\n`;
      } else head += `${this.rawNames[i]}: ${this.values[i]}\r\n`;
    }
    if (!hasCl) head += `Content-Length: ${this.body.length}\r\n`;
    head += '\r\n';
    // Kept until the next change (every mutator clears it), so a message sent
    // and then kept for retransmission is serialized once.
    if (this.body.length === 0) return (this.wire = Buffer.from(head, 'utf8'));
    const h = Buffer.from(head, 'utf8');
    return (this.wire = Buffer.concat([h, this.body], h.length + this.body.length));
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

function isWord(s: string, a: number, b: number): boolean {
  if (a >= b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || WORD[c] === 0) return false;
  }
  return true;
}

/** SIP-date = rfc1123-date, and only "GMT" (RFC 3261 §20.17, RFC 4475 §3.1.2.12 "baddate"). */
const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;
function checkDate(v: string): void {
  if (!DATE_RE.test(v)) throw new SipParseError('header-value', 'bad Date (must be RFC 1123, GMT)', { header: 'date' });
}

export class SipRequest extends SipMessage {
  private parsedUri: Uri | undefined;
  constructor(
    readonly method: string,
    /** The Request-URI as written. */
    private uriText: string,
    headers: Array<[string, string]> = [],
    body: Buffer | string = EMPTY,
  ) {
    super(headers, body);
  }

  get isRequest(): true {
    return true;
  }

  get requestUri(): string {
    return this.uriText;
  }

  /** The Request-URI, parsed (throws {@link SipParseError} when it does not parse). */
  get uri(): Uri {
    return (this.parsedUri ??= parseUri(this.uriText, 'request-uri'));
  }

  set uri(u: Uri | string) {
    this.uriText = u.toString();
    this.parsedUri = typeof u === 'string' ? undefined : u;
    this.wire = undefined;
  }

  startLine(): string {
    return `${this.method} ${this.uriText} ${this.version}`;
  }

  /**
   * Request checks on top of {@link SipMessage.validate}: CSeq method equals the
   * request method (§8.1.1.5, RFC 4475 "mismatch01"), a SIP Request-URI has no
   * headers (§19.1.5, "escruri").
   */
  override validate(): this {
    super.validate();
    if (this.cseq.method !== this.method)
      throw new SipParseError('cseq-mismatch', 'CSeq method does not match the request method', { header: 'cseq' });
    const u = this.uri;
    if (u instanceof SipUri && u.headers !== undefined)
      throw new SipParseError('uri', 'Request-URI must not contain headers', { header: 'request-uri' });
    return this;
  }
}

export class SipResponse extends SipMessage {
  constructor(
    readonly status: number,
    readonly reason: string,
    headers: Array<[string, string]> = [],
    body: Buffer | string = EMPTY,
  ) {
    super(headers, body);
  }

  get isRequest(): false {
    return false;
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }
}

export type SipMessageAny = SipRequest | SipResponse;
