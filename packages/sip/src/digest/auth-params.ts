import { DigestParseError, MAX_AUTH_VALUE_LENGTH } from './errors.js';

/**
 * The shared grammar of WWW-Authenticate, Proxy-Authenticate, Authorization
 * and Proxy-Authorization values (RFC 3261 §25.1, §20.7, §20.27, §20.28,
 * §20.44):
 *
 * ```
 * value       = auth-scheme LWS auth-param *(COMMA auth-param)
 * auth-param  = auth-param-name EQUAL ( token / quoted-string )
 * EQUAL       = SWS "=" SWS        COMMA = SWS "," SWS
 * LWS         = [*WSP CRLF] 1*WSP  SWS   = [LWS]
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
 * ```
 *
 * One header value holds one challenge or one set of credentials: RFC 3261
 * §7.3.1 forbids folding several WWW-Authenticate / Authorization fields into
 * one comma-separated line, so a comma here always separates parameters.
 *
 * Where real peers stray from the grammar in harmless ways, the parser is
 * lenient and says so below; where a stray could let two parsers disagree on
 * a value (a duplicate parameter, an unterminated quote) it refuses.
 */

/** One `name=value` pair. `name` is lowercased (names are case-insensitive); `value` is unescaped. */
export interface AuthParam {
  readonly name: string;
  readonly value: string;
}

/** A scanned header value: its scheme as written and its parameters in order. */
export interface AuthValue {
  readonly scheme: string;
  readonly params: readonly AuthParam[];
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

const isWsp = (c: number): boolean => c === SP || c === TAB;

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * Characters of a parameter name or scheme: the SIP `token` set (RFC 3261
 * §25.1) joined with HTTP's `tchar` (RFC 9110 §5.6.2), so names from either
 * world are read.
 */
function isNameChar(c: number): boolean {
  if (isAlnum(c)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

/**
 * Characters of an unquoted value. Lenient on purpose: some phones send
 * `uri=sip:bob@example.com` or `nonce=abc/def=` without quotes; any visible
 * ASCII except the three characters that would make the value ambiguous
 * (DQUOTE, COMMA, backslash) is taken.
 */
const isBareValueChar = (c: number): boolean =>
  c > SP && c < 0x7f && c !== DQUOTE && c !== COMMA && c !== BACKSLASH;

/** Whether `value` can be written without quotes as a SIP token (RFC 3261 §25.1). */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(isAlnum(c) || '-.!%*_+`\'~'.includes(value[i]))) return false;
  }
  return true;
}

/** Whether `name` can be written as a scheme or parameter name. */
export function isParamName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (!isNameChar(name.charCodeAt(i))) return false;
  return true;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  /** Skips SWS: spaces, tabs, and CRLF folds (a CRLF must be followed by WSP, RFC 3261 §7.3.1). */
  skipLws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (isWsp(c)) {
        this.pos++;
      } else if (c === CR && t.charCodeAt(this.pos + 1) === LF && isWsp(t.charCodeAt(this.pos + 2))) {
        this.pos += 3;
      } else {
        return;
      }
    }
  }

  readName(): string {
    const start = this.pos;
    while (!this.atEnd && isNameChar(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  readBareValue(): string {
    const start = this.pos;
    while (!this.atEnd && isBareValueChar(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads a quoted-string, the cursor on its opening DQUOTE; returns it unescaped. */
  readQuoted(): string {
    const t = this.text;
    const open = this.pos;
    this.pos++;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.atEnd) throw new DigestParseError('unterminated-quote', 'quoted-string without closing quote', open);
      const c = t.charCodeAt(this.pos);
      if (c === DQUOTE) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === BACKSLASH) {
        // quoted-pair: any ASCII but CR and LF may be escaped (RFC 3261 §25.1).
        if (this.pos + 1 >= t.length) {
          throw new DigestParseError('unterminated-quote', 'quoted-string ends in a lone backslash', open);
        }
        const e = t.charCodeAt(this.pos + 1);
        if (e > 0x7f || e === CR || e === LF) {
          throw new DigestParseError('syntax', 'backslash escapes a character quoted-pair forbids', this.pos);
        }
        out += t.slice(runStart, this.pos) + t[this.pos + 1];
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      if (c === CR) {
        // A fold inside a quoted-string is LWS; the CRLF goes, the WSP stays.
        if (t.charCodeAt(this.pos + 1) === LF && isWsp(t.charCodeAt(this.pos + 2))) {
          out += t.slice(runStart, this.pos);
          this.pos += 2;
          runStart = this.pos;
          continue;
        }
        throw new DigestParseError('syntax', 'bare CR in quoted-string', this.pos);
      }
      if ((c < SP && c !== TAB) || c === 0x7f) {
        throw new DigestParseError('syntax', 'control character in quoted-string', this.pos);
      }
      this.pos++;
    }
  }
}

/**
 * Scans an authentication header value into its scheme and parameters.
 *
 * Lenient where harmless: LWS (including CRLF folds) around `=` and `,`;
 * empty list elements (`a=1, , b=2`, as RFC 9110 §5.6.1 asks recipients to
 * accept); unquoted values made of any visible ASCII but `"`, `,` and `\`.
 * Strict where a lenient reading could differ from another parser's:
 * duplicates, unterminated quotes, control characters, bad escapes.
 *
 * @throws DigestParseError for anything not of that shape; never anything else
 *   for a string input.
 */
export function scanAuthValue(input: string): AuthValue {
  if (typeof input !== 'string') throw new TypeError('header value must be a string');
  if (input.length > MAX_AUTH_VALUE_LENGTH) {
    throw new DigestParseError('too-long', `header value longer than ${MAX_AUTH_VALUE_LENGTH} characters`);
  }
  const s = new Scanner(input);
  s.skipLws();
  if (s.atEnd) throw new DigestParseError('empty', 'empty header value');
  const scheme = s.readName();
  if (scheme === '') throw new DigestParseError('syntax', 'expected an auth-scheme', s.pos);
  const afterScheme = s.pos;
  s.skipLws();
  if (!s.atEnd && s.pos === afterScheme) {
    throw new DigestParseError('syntax', 'auth-scheme must be followed by whitespace', s.pos);
  }

  const params: AuthParam[] = [];
  const seen = new Set<string>();
  for (;;) {
    s.skipLws();
    if (s.atEnd) break;
    if (s.peek() === COMMA) {
      s.pos++;
      continue;
    }
    const nameAt = s.pos;
    const name = s.readName().toLowerCase();
    if (name === '') throw new DigestParseError('syntax', 'expected a parameter name', s.pos);
    s.skipLws();
    if (s.atEnd || s.peek() !== EQUALS) throw new DigestParseError('syntax', `expected "=" after ${name}`, s.pos);
    s.pos++;
    s.skipLws();
    let value: string;
    if (!s.atEnd && s.peek() === DQUOTE) {
      value = s.readQuoted();
    } else {
      value = s.readBareValue();
      if (value === '') throw new DigestParseError('syntax', `expected a value for ${name}`, s.pos);
    }
    if (seen.has(name)) throw new DigestParseError('duplicate-param', `parameter ${name} given twice`, nameAt);
    seen.add(name);
    params.push({ name, value });
    s.skipLws();
    if (s.atEnd) break;
    if (s.peek() !== COMMA) throw new DigestParseError('syntax', 'expected "," between parameters', s.pos);
    s.pos++;
  }
  return { scheme, params };
}

/**
 * Writes `value` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1).
 *
 * @throws TypeError if `value` holds CR, LF or another control character but
 *   HTAB: written into a header they would let a caller's data end the header
 *   line and inject new ones.
 */
export function quoteString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < SP && c !== TAB) || c === 0x7f) {
      throw new TypeError(`control character U+${c.toString(16).padStart(4, '0')} cannot be sent in a header`);
    }
  }
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** A parameter to write: `quoted` forces a quoted-string; otherwise a token is written bare. */
export interface ParamToWrite {
  readonly name: string;
  readonly value: string;
  readonly quoted?: boolean;
}

/** Writes `Scheme name=value, name="value", …`. Values that are not tokens are always quoted. */
export function formatAuthValue(scheme: string, params: readonly ParamToWrite[]): string {
  const parts = params.map((p) => {
    if (!isParamName(p.name)) throw new TypeError(`invalid parameter name ${JSON.stringify(p.name)}`);
    const bare = !p.quoted && isToken(p.value);
    return `${p.name}=${bare ? p.value : quoteString(p.value)}`;
  });
  return `${scheme} ${parts.join(', ')}`;
}

/** Looks a parameter up by its lowercase name. */
export function findParam(params: readonly AuthParam[], name: string): string | undefined {
  for (const p of params) if (p.name === name) return p.value;
  return undefined;
}

/** Reads `true` / `false` case-insensitively (ABNF literals are case-insensitive, RFC 5234 §2.3). */
export function parseBoolean(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new DigestParseError('invalid-value', `${name} must be true or false`);
}
