/**
 * multipart bodies (RFC 2046 §5.1, as SIP uses them: RFC 3261 §7.4, RFC 5621).
 * Used for SDP plus an ISUP or a resource-list body, RLMI NOTIFYs (RFC 4662)
 * and RFC 4475 "mpart01".
 */
import { SipParseError } from '../errors.js';
import { parseHeaderParams, unquote } from '../grammar/params.js';

export interface BodyPart {
  headers: Array<[string, string]>;
  /** Lower-case media type of the part, or text/plain (RFC 2046 §5.1 default). */
  contentType: string;
  body: Buffer;
}

/** The boundary parameter of a multipart Content-Type value, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const semi = contentType.indexOf(';');
  if (semi < 0 || !contentType.slice(0, semi).trim().toLowerCase().startsWith('multipart/')) return undefined;
  const { params } = parseHeaderParams(contentType, semi, 'content-type');
  const b = params.get('boundary');
  return b == null ? undefined : unquote(b);
}

/** Split a multipart body into its parts. Throws SipParseError('body') when malformed. */
export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  if (boundary.length === 0 || boundary.length > 70) throw new SipParseError('body', 'bad multipart boundary');
  const delim = Buffer.from('--' + boundary);
  const parts: BodyPart[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new SipParseError('body', 'multipart boundary not found');
  for (let guard = 0; guard < 1000; guard++) {
    let after = pos + delim.length;
    // close-delimiter "--"
    if (body[after] === 45 && body[after + 1] === 45) return parts;
    // skip transport padding and the CRLF after the delimiter
    while (after < body.length && (body[after] === 32 || body[after] === 9)) after++;
    if (body[after] === 13) after++;
    if (body[after] === 10) after++;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), after);
    const nextLf = next >= 0 ? next : body.indexOf(Buffer.concat([Buffer.from('\n'), delim]), after);
    if (nextLf < 0) throw new SipParseError('body', 'multipart body not closed');
    const partEnd = nextLf;
    const part = body.subarray(after, partEnd);
    parts.push(parsePart(part));
    pos = body[nextLf] === 13 ? nextLf + 2 : nextLf + 1;
  }
  throw new SipParseError('body', 'too many body parts');
}

function parsePart(part: Buffer): BodyPart {
  let headEnd = part.indexOf('\r\n\r\n');
  let sep = 4;
  if (headEnd < 0) {
    // A part may have no headers: it then starts with the empty line.
    if (part[0] === 13 && part[1] === 10) return { headers: [], contentType: 'text/plain', body: part.subarray(2) };
    headEnd = part.indexOf('\n\n');
    sep = 2;
    if (headEnd < 0) throw new SipParseError('body', 'body part without header end');
  }
  const headers: Array<[string, string]> = [];
  const text = part.toString('utf8', 0, headEnd);
  for (const line of text.split(/\r?\n(?![ \t])/)) {
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('body', 'bad body part header');
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim()]);
  }
  const ct = headers.find(([n]) => n.toLowerCase() === 'content-type' || n.toLowerCase() === 'c')?.[1];
  const contentType = ct ? ct.split(';')[0].trim().toLowerCase() : 'text/plain';
  return { headers, contentType, body: part.subarray(headEnd + sep) };
}

/** Build a multipart body; returns the body and the Content-Type value to use. */
export function buildMultipart(
  parts: Array<{ contentType: string; body: Buffer | string; headers?: Array<[string, string]> }>,
  subtype = 'mixed',
  boundary = 'parley' + Math.random().toString(36).slice(2, 14),
  extraParams = '',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Type: ${p.contentType}\r\n`;
    for (const [n, v] of p.headers ?? []) head += `${n}: ${v}\r\n`;
    chunks.push(Buffer.from(head + '\r\n'));
    chunks.push(typeof p.body === 'string' ? Buffer.from(p.body) : p.body);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/${subtype};boundary=${boundary}${extraParams}` };
}
