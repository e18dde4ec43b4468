/**
 * The message parser (RFC 3261 §7, §25; RFC 4475 for the hard cases).
 *
 * It finds the start line, the header lines (undoing folding, §7.3.1) and the
 * body, and checks the framing rules: header names are tokens, Content-Length
 * is one non-negative integer that fits the datagram (§18.3, §20.14). Header
 * values are parsed later, on first use, by the typed views of
 * {@link SipMessage}, which validate them; {@link SipMessage.validate} parses
 * the ones every element needs.
 *
 * Errors come in two kinds:
 * - the bytes are not a SIP message (no start line, no header end): the
 *   parser throws {@link SipParseError} and the caller drops them (or closes a
 *   stream);
 * - the message is readable but breaks a rule (a bad request line, a header
 *   line without a colon, a wrong Content-Length…): the message is returned
 *   with {@link SipMessage.defect} set, so a server can still answer 400 to
 *   the sender, as RFC 4475 asks.
 */
import { SipParseError } from '../errors.js';
import { TOKEN } from '../grammar/charsets.js';
import { SINGLE_HEADERS, canonicalName } from './header-names.js';
import { SipMessage, SipRequest, SipResponse } from './message.js';

export interface ParseOptions {
  /**
   * True for a UDP datagram: the body is what follows the headers, cut to
   * Content-Length; bytes beyond it are discarded and a shorter body is an
   * error (§18.3). False for stream-framed or WebSocket messages.
   */
  datagram?: boolean;
  /** Most header lines accepted (default 256). */
  maxHeaders?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const URI_START = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const VERSION_RE = /^SIP\/[0-9]+\.[0-9]+$/i;

/** Header names seen before, already checked to be tokens (bounded; see header-names.ts). */
const validNames = new Set<string>();

function isTokenRange(s: string, a: number, b: number): boolean {
  if (a >= b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Parse one message from `data`. See the module comment for what throws. */
export function parseMessage(data: Buffer | string, opts: ParseOptions = {}): SipRequest | SipResponse {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let start = 0;
  // §7.5: ignore CRLFs before the start line (keep-alives on streams).
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) throw new SipParseError('start-line', 'empty message');
  let headEnd = buf.indexOf(CRLFCRLF, start);
  let sepLen = 4;
  if (headEnd < 0) {
    headEnd = buf.indexOf(LFLF, start);
    sepLen = 2;
    if (headEnd < 0) throw new SipParseError('start-line', 'no end of headers');
  }
  const head = buf.toString('utf8', start, headEnd);
  const maxHeaders = opts.maxHeaders ?? 256;

  // ---- start line
  let eol = head.indexOf('\n');
  if (eol < 0) eol = head.length;
  const lineEnd = eol > 0 && head.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  const first = head.slice(0, lineEnd);
  let defect: SipParseError | undefined;
  let msg: SipRequest | SipResponse;
  if (first.startsWith('SIP/') || first.startsWith('sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp = first.indexOf(' ');
    const version = sp < 0 ? first : first.slice(0, sp);
    if (!VERSION_RE.test(version)) throw new SipParseError('start-line', 'bad SIP version');
    const code = first.slice(sp + 1, sp + 4);
    const after = first.charCodeAt(sp + 4);
    if (sp < 0 || !/^[1-6][0-9][0-9]$/.test(code) || !(Number.isNaN(after) || after === 32))
      throw new SipParseError('start-line', 'bad status code');
    msg = new SipResponse(Number(code), first.slice(sp + 5));
    msg.version = version.toUpperCase();
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF (§7.1): single spaces.
    const trimmed = first.replace(/[ \t]+$/, ''); // trailing white space tolerated ("trws")
    const parts = trimmed.split(' ');
    let method: string;
    let uri: string;
    let version: string;
    if (parts.length === 3 && parts[1].length > 0) {
      [method, uri, version] = parts;
    } else {
      const words = trimmed.split(/[ \t]+/);
      if (words.length < 3) throw new SipParseError('start-line', 'bad request line');
      method = words[0];
      version = words[words.length - 1];
      uri = words.slice(1, -1).join(' ');
      defect = new SipParseError('start-line', 'request line must have single spaces and no white space in the URI');
    }
    if (!isTokenRange(method, 0, method.length)) throw new SipParseError('start-line', 'bad method');
    if (!VERSION_RE.test(version)) throw new SipParseError('start-line', 'bad SIP version');
    if (!defect && !URI_START.test(uri)) defect = new SipParseError('uri', 'bad Request-URI', { header: 'request-uri' });
    msg = new SipRequest(method, uri);
    msg.version = version.toUpperCase();
  }

  // ---- header lines
  const names: string[] = [];
  const raw: string[] = [];
  const values: string[] = [];
  let contentLength = -1;
  let singles: Set<string> | undefined;
  let pos = eol + 1;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    const end = nl > pos && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const c0 = head.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      // Folded continuation (LWS = [*WSP CRLF] 1*WSP): joins the previous value with one space.
      if (values.length === 0) {
        defect ??= new SipParseError('header-syntax', 'continuation line before any header');
      } else {
        const more = head.slice(pos, end).trim();
        if (more.length > 0) {
          const k = values.length - 1;
          values[k] = values[k].length > 0 ? values[k] + ' ' + more : more;
          if (names[k] === 'content-length') contentLength = -2; // re-read below
        }
      }
      pos = nl + 1;
      continue;
    }
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > end) {
      defect ??= new SipParseError('header-syntax', `header line without ":"`);
      pos = nl + 1;
      continue;
    }
    let ne = colon;
    while (ne > pos && (head.charCodeAt(ne - 1) === 32 || head.charCodeAt(ne - 1) === 9)) ne--;
    const rawName = head.slice(pos, ne);
    if (!validNames.has(rawName)) {
      if (!isTokenRange(rawName, 0, rawName.length)) {
        defect ??= new SipParseError('header-syntax', 'bad header name');
        pos = nl + 1;
        continue;
      }
      if (validNames.size < 512) validNames.add(rawName);
    }
    if (names.length >= maxHeaders) throw new SipParseError('too-large', 'too many header lines');
    const name = canonicalName(rawName);
    let vs = colon + 1;
    while (vs < end && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    let ve = end;
    while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
    names.push(name);
    raw.push(rawName);
    values.push(head.slice(vs, ve));
    if (SINGLE_HEADERS.has(name)) {
      // RFC 3261 §7.3.1: these may appear once (RFC 4475 "multi01", "mcl01").
      singles ??= new Set();
      if (singles.has(name))
        defect ??= new SipParseError('duplicate-header', `more than one ${rawName}`, { header: name });
      singles.add(name);
      if (name === 'content-length') contentLength = -2;
    }
    pos = nl + 1;
  }
  if (contentLength === -2) {
    const v = values[names.indexOf('content-length')];
    contentLength = /^[0-9]{1,9}$/.test(v) ? Number(v) : -3;
    if (contentLength === -3)
      defect ??= new SipParseError('content-length', 'bad Content-Length', { header: 'content-length' });
  }

  // ---- body (§18.3)
  const bodyStart = headEnd + sepLen;
  const available = buf.length - bodyStart;
  let bodyLen: number;
  if (contentLength < 0) bodyLen = available;
  else if (contentLength > available) {
    defect ??= new SipParseError('content-length', 'message ends before Content-Length bytes of body', {
      header: 'content-length',
    });
    bodyLen = available;
  } else bodyLen = contentLength;
  const bodyEnd = bodyStart + bodyLen;
  const body = buf.subarray(bodyStart, bodyEnd);
  const wire = start === 0 && bodyEnd === buf.length ? buf : buf.subarray(start, bodyEnd);
  SipMessage.adopt(msg, names, raw, values, body, wire);
  msg.defect = defect;
  return msg;
}
