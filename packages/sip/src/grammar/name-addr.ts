/**
 * name-addr / addr-spec with header parameters: From, To, Contact, Route,
 * Record-Route, Path, Reply-To, Refer-To, P-Asserted-Identity (RFC 3261
 * §20.10, §20.20, §20.39, §25.1).
 *
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * In the addr-spec form (no angle brackets) the URI cannot hold ";", "?" or
 * "," — what follows a ";" are header parameters (RFC 3261 §20).
 */
import { SipParseError } from '../errors.js';
import { TOKEN } from './charsets.js';
import { type ParamStore, cloneParams, formatParamStore, ownParams, ownStringOpt, paramGet, paramMap, paramsOrUndefined } from './compact.js';
import { type Params, parseHeaderParams, quote, readQuoted, skipWs, splitList, unquote } from './params.js';
import { type Uri, parseUri } from './uri.js';

export class NameAddr {
  /**
   * Header parameters: undefined (none), or flat in an own copy, until
   * {@link params} is first used; the Map from then on (why: compact.ts).
   */
  #params: ParamStore;

  constructor(
    public uri: Uri,
    /** The display name as written: a quoted-string (with quotes) or tokens; undefined when absent. */
    public displayNameRaw: string | undefined = undefined,
    params: Params | undefined = undefined,
  ) {
    // A Map passed in is kept as is (the caller may still fill it); only the default is lazy.
    this.#params = params;
  }

  /**
   * The header parameters, by lower-case name, in order (a Map as ever). The
   * Map is created on first access, so read single parameters with
   * {@link param} or {@link tag} where the address is kept long.
   */
  get params(): Params {
    const p = this.#params;
    return p instanceof Map ? p : (this.#params = paramMap(p));
  }

  set params(p: Params) {
    this.#params = p;
  }

  /** The display name without quotes or escapes. */
  get displayName(): string | undefined {
    return this.displayNameRaw === undefined ? undefined : unquote(this.displayNameRaw);
  }

  set displayName(v: string | undefined) {
    this.displayNameRaw = v === undefined || v === '' ? undefined : quote(v);
  }

  get tag(): string | undefined {
    const t = paramGet(this.#params, 'tag');
    return t == null ? undefined : t;
  }

  set tag(v: string | undefined) {
    if (v !== undefined) this.params.set('tag', v);
    else if (paramGet(this.#params, 'tag') !== undefined) this.params.delete('tag');
  }

  /** One parameter, without allocating the {@link params} Map. */
  param(name: string): string | null | undefined {
    return paramGet(this.#params, name);
  }

  clone(): NameAddr {
    const u = this.uri;
    const c = new NameAddr('clone' in u ? u.clone() : u, this.displayNameRaw);
    c.#params = cloneParams(this.#params);
    return c;
  }

  /**
   * A deep copy for keeping long (a dialog's local and remote URI, its route
   * set), made with {@link SipUri.ownCopy}: own strings, so that it keeps no
   * parsed message alive, and flat parameters (see compact.ts). `without`
   * leaves header parameters out: a dialog keeps its local and remote URI
   * without tag (RFC 3261 §12.1.1, §12.1.2), a route set without any.
   */
  ownCopy(without?: 'tag' | 'all'): NameAddr {
    const c = new NameAddr(this.uri.ownCopy(), ownStringOpt(this.displayNameRaw));
    c.#params = without === 'all' ? undefined : ownParams(this.#params, without);
    return c;
  }

  /** Always serialized in the name-addr form (angle brackets), which is never ambiguous. */
  toString(): string {
    const dn = this.displayNameRaw === undefined ? '' : this.displayNameRaw + ' ';
    return `${dn}<${this.uri.toString()}>${formatParamStore(this.#params)}`;
  }
}

/** Parse one name-addr or addr-spec followed by parameters. */
export function parseNameAddr(value: string, header: string): NameAddr {
  const s = value;
  let i = skipWs(s, 0);
  if (i >= s.length) throw new SipParseError('header-value', 'empty address', { header });
  let display: string | undefined;
  let uriText: string;
  let c = s.charCodeAt(i);
  if (c === 34) {
    const end = readQuoted(s, i, header);
    display = s.slice(i, end);
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 60) throw new SipParseError('header-value', 'display name without <URI>', { header });
  }
  c = s.charCodeAt(i);
  if (c !== 60) {
    // Either tokens of a display name followed by <...>, or an addr-spec.
    const lt = s.indexOf('<', i);
    if (lt >= 0) {
      const dn = s.slice(i, lt).trim();
      // *(token LWS): only token chars and white space.
      for (let k = 0; k < dn.length; k++) {
        const d = dn.charCodeAt(k);
        if (d === 32 || d === 9) continue;
        if (d > 127 || TOKEN[d] === 0)
          throw new SipParseError('header-value', `bad character "${dn[k]}" in unquoted display name`, { header });
      }
      display = dn.length > 0 ? dn : undefined;
      i = lt;
    } else {
      let end = i;
      while (end < s.length) {
        const d = s.charCodeAt(end);
        if (d === 59 || d === 32 || d === 9 || d === 44) break;
        end++;
      }
      uriText = s.slice(i, end);
      if (uriText.indexOf('?') >= 0)
        throw new SipParseError('header-value', 'a URI with headers must be in angle brackets', { header });
      const uri = parseUri(uriText, header);
      const { params, end: pend } = parseHeaderParams(s, end, header);
      if (pend !== s.length) throw new SipParseError('header-value', 'unexpected text after address', { header });
      return new NameAddr(uri, undefined, paramsOrUndefined(params));
    }
  }
  // at "<"
  const gt = s.indexOf('>', i + 1);
  if (gt < 0) throw new SipParseError('header-value', 'missing ">"', { header });
  uriText = s.slice(i + 1, gt);
  const uri = parseUri(uriText, header);
  const { params, end } = parseHeaderParams(s, gt + 1, header);
  if (end !== s.length) throw new SipParseError('header-value', 'unexpected text after address', { header });
  return new NameAddr(uri, display, paramsOrUndefined(params));
}

/** Parse a comma-separated list of name-addrs (Contact, Route, Record-Route, Path…). */
export function parseNameAddrList(value: string, header: string): NameAddr[] {
  return splitList(value, header).map((el) => parseNameAddr(el, header));
}
