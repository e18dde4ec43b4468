/**
 * Header and URI parameters (RFC 3261 §25.1 generic-param, uri-parameter).
 *
 * Parameters are kept in order in a Map keyed by lower-case name (parameter
 * names are case-insensitive, RFC 3261 §7.3.1); a parameter without a value
 * maps to `null`. Quoted values keep their quotes in `raw` form so that
 * serialization is stable; {@link unquote} gives the content.
 */
import { SipParseError } from '../errors.js';
import { TOKEN, isWs } from './charsets.js';

export type Params = Map<string, string | null>;

/** Skip linear white space from `i`; returns the new index. */
export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Read a quoted-string starting at `i` (which must be at the DQUOTE). Returns
 * the index just past the closing quote. quoted-pair = "\" (%x00-09 / %x0B-0C /
 * %x0E-7F) (RFC 3261 §25.1).
 */
export function readQuoted(s: string, i: number, header?: string): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) {
      if (j + 1 >= s.length) break;
      const n = s.charCodeAt(j + 1);
      if (n === 10 || n === 13) break;
      j += 2;
      continue;
    }
    if (c === 34) return j + 1;
    j++;
  }
  throw new SipParseError('header-value', 'unterminated quoted string', { header });
}

/** The content of a quoted string, with quoted-pairs undone; other values unchanged. */
export function unquote(v: string): string {
  if (v.length < 2 || v.charCodeAt(0) !== 34 || v.charCodeAt(v.length - 1) !== 34) return v;
  const inner = v.slice(1, -1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\(.)/gs, '$1');
}

/** Quote `v` as a quoted-string (escaping \ and "). */
export function quote(v: string): string {
  return '"' + v.replace(/(["\\])/g, '\\$1') + '"';
}

/** True for characters allowed in an unquoted generic-param value: token, host (incl. [v6]), ":" for v6. */
function isGenValueChar(c: number): boolean {
  return (c < 128 && TOKEN[c] === 1) || c === 91 /* [ */ || c === 93 /* ] */ || c === 58 /* : */;
}

/**
 * Parse `;name[=value]` pairs of a header starting at `i` (at a ";" or at the
 * end). Stops at `,` (next list element) or end of string; anything else is a
 * syntax error. Returns the params and the index where parsing stopped.
 */
export function parseHeaderParams(
  s: string,
  i: number,
  header: string,
  into: Params = new Map(),
): { params: Params; end: number } {
  i = skipWs(s, i);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 44 /* , */) break;
    if (c !== 59 /* ; */) throw new SipParseError('header-value', `unexpected "${s[i]}" in parameters`, { header });
    i = skipWs(s, i + 1);
    const ns = i;
    while (i < s.length && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === ns) throw new SipParseError('header-value', 'empty parameter name', { header });
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      if (i < s.length && s.charCodeAt(i) === 34) {
        const end = readQuoted(s, i, header);
        value = s.slice(i, end);
        i = end;
      } else {
        const vs = i;
        while (i < s.length && isGenValueChar(s.charCodeAt(i))) i++;
        if (i === vs) throw new SipParseError('header-value', `empty value for parameter ${name}`, { header });
        value = s.slice(vs, i);
      }
      i = skipWs(s, i);
    }
    into.set(name, value);
  }
  return { params: into, end: i };
}

/** Serialize params as `;a=b;c`. */
export function formatParams(p: Params | undefined): string {
  if (!p || p.size === 0) return '';
  let out = '';
  for (const [k, v] of p) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/**
 * Split a header value into its comma-separated elements (RFC 3261 §7.3.1),
 * respecting quoted strings and `<...>` (a URI in angle brackets may hold a
 * comma). Elements are trimmed; an empty element is a syntax error.
 */
export function splitList(s: string, header: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  let angle = false;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 34 && !angle) {
      i = readQuoted(s, i, header);
      continue;
    }
    if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      const el = s.slice(start, i).trim();
      if (el.length === 0) throw new SipParseError('header-value', 'empty list element', { header });
      out.push(el);
      start = i + 1;
    }
    i++;
  }
  const last = s.slice(start).trim();
  if (last.length === 0) {
    if (out.length > 0) throw new SipParseError('header-value', 'empty list element', { header });
  } else out.push(last);
  return out;
}
