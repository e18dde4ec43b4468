/**
 * The Via header (RFC 3261 §20.42, §25.1; RFC 3581 rport; RFC 5118 §4.5).
 *
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *
 * LWS is allowed around the slashes (RFC 4475 §3.1.1.1 "wsinv").
 */
import { SipParseError } from '../errors.js';
import { isToken, isDigits } from './charsets.js';
import { isIpAddress, parseHostPort } from './host.js';
import { type Params, formatParams, parseHeaderParams, skipWs, splitList } from './params.js';

/** The RFC 3261 §8.1.1.7 magic cookie that marks a branch as globally unique. */
export const BRANCH_COOKIE = 'z9hG4bK';

export class Via {
  constructor(
    public protocol: string,
    public version: string,
    /** Upper case: UDP, TCP, TLS, SCTP, WS, WSS, or an extension token. */
    public transport: string,
    public host: string,
    public port: number | undefined,
    public params: Params = new Map(),
  ) {}

  get branch(): string | undefined {
    const b = this.params.get('branch');
    return b == null ? undefined : b;
  }
  set branch(v: string | undefined) {
    if (v === undefined) this.params.delete('branch');
    else this.params.set('branch', v);
  }
  /** True when the branch carries the RFC 3261 magic cookie (§17.2.3 matching applies). */
  get rfc3261Branch(): boolean {
    const b = this.branch;
    return b !== undefined && b.length > BRANCH_COOKIE.length && b.startsWith(BRANCH_COOKIE);
  }
  get received(): string | undefined {
    const v = this.params.get('received');
    return v == null ? undefined : v;
  }
  /** rport: null when present without value (RFC 3581 §3), a number once filled, undefined when absent. */
  get rport(): number | null | undefined {
    if (!this.params.has('rport')) return undefined;
    const v = this.params.get('rport');
    return v == null ? null : Number(v);
  }
  get maddr(): string | undefined {
    const v = this.params.get('maddr');
    return v == null ? undefined : v;
  }
  /** sent-by as "host[:port]". */
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }
  clone(): Via {
    return new Via(this.protocol, this.version, this.transport, this.host, this.port, new Map(this.params));
  }
  toString(): string {
    return `${this.protocol}/${this.version}/${this.transport} ${this.sentBy}${formatParams(this.params)}`;
  }
}

function readToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 47 || c === 32 || c === 9 || c === 13 || c === 10 || c === 59) break;
    i++;
  }
  return i;
}

/** Parse one via-parm. */
export function parseViaParm(s: string): Via {
  const H = 'via';
  let i = skipWs(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    const st = i;
    i = readToken(s, i);
    const tok = s.slice(st, i);
    if (!isToken(tok)) throw new SipParseError('header-value', 'bad sent-protocol', { header: H });
    parts.push(tok);
    i = skipWs(s, i);
    if (k < 2) {
      if (s.charCodeAt(i) !== 47) throw new SipParseError('header-value', 'bad sent-protocol', { header: H });
      i = skipWs(s, i + 1);
    }
  }
  // sent-by = host [ COLON port ], up to ";" or end; LWS allowed around the colon is rare, not supported.
  const st = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 59 || c === 32 || c === 9) break;
    i++;
  }
  const hp = parseHostPort(s.slice(st, i));
  if (!hp) throw new SipParseError('header-value', `bad sent-by "${s.slice(st, i)}"`, { header: H });
  const { params, end } = parseHeaderParams(s, i, H);
  if (end !== s.length) throw new SipParseError('header-value', 'unexpected text in Via', { header: H });
  const rec = params.get('received');
  if (rec !== undefined && (rec === null || !isIpAddress(rec)))
    throw new SipParseError('header-value', 'bad received parameter', { header: H });
  const rp = params.get('rport');
  if (rp != null && (!isDigits(rp) || Number(rp) > 65535))
    throw new SipParseError('header-value', 'bad rport parameter', { header: H });
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || !isDigits(ttl) || Number(ttl) > 255))
    throw new SipParseError('header-value', 'bad ttl parameter', { header: H });
  const br = params.get('branch');
  if (br !== undefined && (br === null || !isToken(br)))
    throw new SipParseError('header-value', 'bad branch parameter', { header: H });
  return new Via(parts[0].toUpperCase(), parts[1], parts[2].toUpperCase(), hp.host, hp.port, params);
}

/** Parse a Via header value (possibly several comma-separated via-parms). */
export function parseVias(value: string): Via[] {
  return splitList(value, 'via').map(parseViaParm);
}
