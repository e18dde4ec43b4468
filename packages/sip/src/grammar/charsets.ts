/**
 * Character classes of the SIP grammar (RFC 3261 §25.1), as lookup tables
 * indexed by char code (0..127). A code above 127 is never in these classes
 * except where a rule says UTF-8 is allowed (quoted strings, reason phrases,
 * header values), which the callers handle.
 */

function table(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~");
/** word = token chars plus ( ) < > : \ DQUOTE / [ ] ? { } (RFC 3261 §25.1, used by Call-ID) */
export const WORD = table("-.!%*_+`'~()<>:\\\"/[]?{}");
/** unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( ) */
export const UNRESERVED = table("-_.!~*'()");
/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = & = + $ , ; ? / */
export const USER = table("-_.!~*'()&=+$,;?/");
/** password = *( unreserved / escaped / & = + $ , ) */
export const PASSWORD = table("-_.!~*'()&=+$,");
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $ */
export const PARAMCHAR = table("-_.!~*'()[]/:&+$");
/** hname/hvalue = hnv-unreserved / unreserved / escaped; hnv-unreserved = [ ] / ? : + $ */
export const HNV = table("-_.!~*'()[]/?:+$");
/** hostname characters (alphanum, "-", "."); the structure is checked separately. */
export const HOSTCHAR = table('-.');
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = table('+-.');
/** uric (RFC 2396) for absoluteURI opaque parts: reserved / unreserved / escaped */
export const URIC = table(";/?:@&=+$,-_.!~*'()%");

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** True if `s` consists only of chars in `t` or valid %HH escapes. */
export function isEscapedIn(s: string, t: Uint8Array, allowEmpty = false): boolean {
  if (s.length === 0) return allowEmpty;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      if (i + 2 >= s.length) return false;
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (c > 127 || t[c] === 0) return false;
  }
  return true;
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** LWS/SWS characters: SP, HTAB, CR, LF (folding is undone before values are parsed). */
export function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Decode %HH escapes (RFC 3261 §19.1.2 "escaped"); invalid escapes are left as they are. */
export function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Not valid UTF-8 once decoded (e.g. %00 is fine, %C0 alone is not): decode byte-wise as latin1.
    return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Escape every char of `s` that is not in `t` (as UTF-8 %HH). */
export function escapeFor(s: string, t: Uint8Array): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && t[c] === 1) out += s[i];
    else {
      const bytes = Buffer.from(s[i], 'utf8');
      for (const b of bytes) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}
