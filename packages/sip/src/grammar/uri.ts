/**
 * URIs in SIP: `sip:` and `sips:` (RFC 3261 §19.1, §25.1 SIP-URI/SIPS-URI),
 * `tel:` (RFC 3966) and any other absoluteURI (RFC 2396) kept opaque, so an
 * unknown scheme parses and the server can answer 416 (RFC 3261 §8.2.2.1).
 *
 * Components are stored as they appear on the wire (still %-escaped), so a
 * parsed URI serializes back to the same text; {@link SipUri.userDecoded}
 * gives the unescaped user part. Comparison follows §19.1.4.
 */
import { SipParseError } from '../errors.js';
import { HNV, PARAMCHAR, PASSWORD, SCHEME, USER, URIC, isEscapedIn, unescape } from './charsets.js';
import { parseHostPort, bareHost } from './host.js';
import {
  type ParamStore,
  cloneParams,
  forEachParam,
  formatParamStore,
  ownParams,
  ownString,
  ownStringOpt,
  paramGet,
  paramMap,
  paramsOrUndefined,
  sharedHost,
} from './compact.js';
import type { Params } from './params.js';

export class SipUri {
  readonly kind = 'sip' as const;
  /**
   * Undefined (none), or flat in an own copy, until {@link params} is first
   * used; the Map from then on (why: compact.ts).
   */
  #params: ParamStore;

  constructor(
    public scheme: 'sip' | 'sips',
    public user: string | undefined,
    public password: string | undefined,
    public host: string,
    public port: number | undefined,
    params: Params | undefined = undefined,
    public headers: Array<[string, string]> | undefined = undefined,
  ) {
    // A Map passed in is kept as is (the caller may still fill it); only the default is lazy.
    this.#params = params;
  }

  /**
   * The URI parameters, by lower-case name, in order (a Map as ever). The Map
   * is created on first access, so read single parameters with
   * {@link param} where the URI is kept long.
   */
  get params(): Params {
    const p = this.#params;
    return p instanceof Map ? p : (this.#params = paramMap(p));
  }

  set params(p: Params) {
    this.#params = p;
  }

  /** The user part with %-escapes undone. */
  get userDecoded(): string | undefined {
    return this.user === undefined ? undefined : unescape(this.user);
  }

  /** Host without IPv6 brackets, lower case. */
  get hostname(): string {
    return bareHost(this.host).toLowerCase();
  }

  /** One parameter, without allocating the {@link params} Map. */
  param(name: string): string | null | undefined {
    return paramGet(this.#params, name);
  }

  /** `scheme:user@host` lower-cased host, the address-of-record form (RFC 3261 §10.3 step 5). */
  get aor(): string {
    const u = this.user === undefined ? '' : unescape(this.user) + '@';
    return `${this.scheme}:${u}${this.host.toLowerCase()}`;
  }

  clone(): SipUri {
    const c = new SipUri(
      this.scheme,
      this.user,
      this.password,
      this.host,
      this.port,
      undefined,
      this.headers ? this.headers.map(([a, b]) => [a, b] as [string, string]) : undefined,
    );
    c.#params = cloneParams(this.#params);
    return c;
  }

  /**
   * A deep copy for keeping long (a dialog's remote target, route set): every
   * string an own flat copy, so that it keeps no parsed message alive, the
   * host shared with equal hosts, and the parameters flat until
   * {@link params} is used (see compact.ts). Equal to this URI in every way.
   */
  ownCopy(): SipUri {
    const c = new SipUri(
      this.scheme === 'sips' ? 'sips' : 'sip',
      ownStringOpt(this.user),
      ownStringOpt(this.password),
      sharedHost(this.host),
      this.port,
      undefined,
      this.headers ? this.headers.map(([a, b]) => [ownString(a), ownString(b)] as [string, string]) : undefined,
    );
    c.#params = ownParams(this.#params);
    return c;
  }

  toString(): string {
    let s = this.scheme + ':';
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += ':' + this.port;
    s += formatParamStore(this.#params);
    if (this.headers && this.headers.length > 0) s += '?' + this.headers.map(([k, v]) => `${k}=${v}`).join('&');
    return s;
  }

  /**
   * URI equality per RFC 3261 §19.1.4: scheme, user and password case-sensitive
   * after unescaping; host case-insensitive; port, transport, user, ttl, method
   * and maddr must match when present in either; other params must match only
   * when present in both; headers must match.
   */
  equals(o: Uri): boolean {
    if (!(o instanceof SipUri) || o.scheme !== this.scheme) return false;
    if ((this.user === undefined) !== (o.user === undefined)) return false;
    if (this.user !== undefined && unescape(this.user) !== unescape(o.user!)) return false;
    if ((this.password ?? '') !== (o.password ?? '')) return false;
    if (this.hostname !== o.hostname) return false;
    if (this.port !== o.port) return false;
    const pa = this.#params;
    const pb = o.#params;
    for (const k of ['transport', 'user', 'ttl', 'method', 'maddr']) {
      const a = paramGet(pa, k);
      const b = paramGet(pb, k);
      if ((a === undefined) !== (b === undefined)) return false;
      if (a != null && b != null && a.toLowerCase() !== b.toLowerCase()) return false;
    }
    let same = true;
    forEachParam(pa, (k, a) => {
      const b = paramGet(pb, k);
      if (b !== undefined && (a ?? '').toLowerCase() !== (b ?? '').toLowerCase()) same = false;
    });
    if (!same) return false;
    const ha = (this.headers ?? []).map(([k, v]) => `${k.toLowerCase()}=${unescape(v)}`).sort();
    const hb = (o.headers ?? []).map(([k, v]) => `${k.toLowerCase()}=${unescape(v)}`).sort();
    return ha.join('&') === hb.join('&');
  }
}

/** tel: URI (RFC 3966), kept mostly opaque: the number and its parameters. */
export class TelUri {
  readonly kind = 'tel' as const;
  readonly scheme = 'tel' as const;
  /** As in {@link SipUri}: undefined or flat until {@link params} is first used. */
  #params: ParamStore;

  constructor(
    public number: string,
    params: Params | undefined = undefined,
  ) {
    this.#params = params;
  }

  /** The parameters, in order; the Map is created on first access. */
  get params(): Params {
    const p = this.#params;
    return p instanceof Map ? p : (this.#params = paramMap(p));
  }

  set params(p: Params) {
    this.#params = p;
  }

  /** One parameter, without allocating the {@link params} Map. */
  param(name: string): string | null | undefined {
    return paramGet(this.#params, name);
  }

  /** A deep copy with own strings, for keeping long (see {@link SipUri.ownCopy}). */
  ownCopy(): TelUri {
    const c = new TelUri(ownString(this.number));
    c.#params = ownParams(this.#params);
    return c;
  }

  /** Global numbers start with "+" (RFC 3966 §5.1.4). */
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }
  /** The digits without visual separators (RFC 3966 §5.1.1). */
  get digits(): string {
    return this.number.replace(/[-.()]/g, '');
  }
  toString(): string {
    let s = 'tel:' + this.number;
    return s + formatParamStore(this.#params);
  }
  equals(o: Uri): boolean {
    return o instanceof TelUri && o.digits === this.digits && o.toString().toLowerCase() === this.toString().toLowerCase();
  }
}

/** Any other absoluteURI: `scheme:opaque`. */
export class AbsoluteUri {
  readonly kind = 'absolute' as const;
  constructor(
    public scheme: string,
    public rest: string,
  ) {}
  /** A copy with own strings, for keeping long (see {@link SipUri.ownCopy}). */
  ownCopy(): AbsoluteUri {
    return new AbsoluteUri(ownString(this.scheme), ownString(this.rest));
  }
  toString(): string {
    return `${this.scheme}:${this.rest}`;
  }
  equals(o: Uri): boolean {
    return o instanceof AbsoluteUri && o.scheme === this.scheme && o.rest === this.rest;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

function bad(msg: string, header?: string): SipParseError {
  return new SipParseError('uri', msg, { header });
}

/** Parse `;name[=value]` URI parameters (paramchar only, no quoting). */
function parseUriParams(s: string, header?: string): Params {
  const params: Params = new Map();
  if (s.length === 0) return params;
  for (const part of s.split(';')) {
    if (part.length === 0) throw bad('empty URI parameter', header);
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? null : part.slice(eq + 1);
    if (!isEscapedIn(name, PARAMCHAR)) throw bad(`bad URI parameter name "${name}"`, header);
    if (value !== null && !isEscapedIn(value, PARAMCHAR)) throw bad(`bad URI parameter value "${value}"`, header);
    params.set(name.toLowerCase(), value);
  }
  return params;
}

/**
 * Parse a URI. `header` names the header it came from (for the error). Throws
 * {@link SipParseError} with code 'uri' when the text is not a URI.
 */
export function parseUri(s: string, header?: string): Uri {
  const colon = s.indexOf(':');
  if (colon <= 0) throw bad('missing URI scheme', header);
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || SCHEME[c] === 0 || (i === 0 && !((c >= 65 && c <= 90) || (c >= 97 && c <= 122))))
      throw bad('bad URI scheme', header);
  }
  const scheme = s.slice(0, colon).toLowerCase();
  const rest = s.slice(colon + 1);
  // The literals, not the slice: every parsed SIP URI then shares one "sip" string.
  if (scheme === 'sip') return parseSipUri('sip', rest, header);
  if (scheme === 'sips') return parseSipUri('sips', rest, header);
  if (scheme === 'tel') return parseTelUri(rest, header);
  if (rest.length === 0) throw bad('empty URI', header);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c > 127 || (URIC[c] === 0 && c !== 35 /* # */)) throw bad('bad character in URI', header);
  }
  return new AbsoluteUri(scheme, rest);
}

function parseSipUri(scheme: 'sip' | 'sips', s: string, header?: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let i = 0;
  // userinfo ends at the first "@": "@" is in neither params nor headers (§25.1).
  const at = s.indexOf('@');
  if (at >= 0) {
    const info = s.slice(0, at);
    const pc = info.indexOf(':');
    user = pc < 0 ? info : info.slice(0, pc);
    if (pc >= 0) password = info.slice(pc + 1);
    if (!isEscapedIn(user, USER)) throw bad('bad user part', header);
    if (password !== undefined && !isEscapedIn(password, PASSWORD, true)) throw bad('bad password', header);
    i = at + 1;
  }
  // hostport ends at ";" or "?"
  let end = i;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 59 || c === 63) break;
    end++;
  }
  const hp = parseHostPort(s.slice(i, end));
  if (!hp) throw bad(`bad host or port "${s.slice(i, end)}"`, header);
  let params: Params | undefined;
  let headers: Array<[string, string]> | undefined;
  if (end < s.length && s.charCodeAt(end) === 59) {
    let q = s.indexOf('?', end);
    if (q < 0) q = s.length;
    params = paramsOrUndefined(parseUriParams(s.slice(end + 1, q), header));
    end = q;
  }
  if (end < s.length) {
    // headers = "?" header *( "&" header ); header = hname "=" hvalue
    headers = [];
    for (const h of s.slice(end + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw bad('bad URI header', header);
      const hn = h.slice(0, eq);
      const hv = h.slice(eq + 1);
      if (!isEscapedIn(hn, HNV) || !isEscapedIn(hv, HNV, true)) throw bad('bad URI header', header);
      headers.push([hn, hv]);
    }
  }
  return new SipUri(scheme, user, password, hp.host, hp.port, params, headers);
}

function parseTelUri(s: string, header?: string): TelUri {
  const semi = s.indexOf(';');
  const num = semi < 0 ? s : s.slice(0, semi);
  // telephone-subscriber: global "+" digits/visual separators, or local digits/*#ABCD with phone-context.
  if (!/^(\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]+)$/.test(num)) throw bad('bad tel: number', header);
  const params = semi < 0 ? undefined : paramsOrUndefined(parseUriParams(s.slice(semi + 1), header));
  return new TelUri(num, params);
}
