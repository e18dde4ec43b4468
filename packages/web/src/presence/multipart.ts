/**
 * Splitting a multipart body (RFC 2046 §5.1.1) such as the
 * multipart/related NOTIFY of a resource-list subscription (RFC 4662 §5,
 * RFC 2387). Works on the decoded text of the SIP body.
 */

export interface BodyPart {
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

/** Media type and parameters of a Content-Type value (RFC 2045 §5.1). */
export function parseContentType(value: string): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (semi >= 0) {
    const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
    const rest = value.slice(semi);
    for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
      let v = m[2].trim();
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      params.set(m[1].toLowerCase(), v);
    }
  }
  return { type, params };
}

/** The parts of `body`, given the boundary from the Content-Type. */
export function splitMultipart(body: string, boundary: string): BodyPart[] {
  if (boundary === '' || boundary.length > 70) throw new MultipartError('bad boundary');
  const delimiter = `--${boundary}`;
  // A delimiter starts a line (RFC 2046 §5.1.1); the CRLF before it belongs to it.
  const text = '\r\n' + body.replace(/\r?\n/g, '\r\n');
  const pieces = text.split(`\r\n${delimiter}`);
  if (pieces.length < 2) throw new MultipartError('no boundary delimiter in the body');
  const parts: BodyPart[] = [];
  let closed = false;
  // pieces[0] is the preamble.
  for (const piece of pieces.slice(1)) {
    if (piece.startsWith('--')) {
      closed = true;
      break;
    }
    // Drop the transport padding and CRLF after the delimiter.
    const afterLine = piece.indexOf('\r\n');
    const content = afterLine < 0 ? '' : piece.slice(afterLine + 2);
    const end = content.indexOf('\r\n\r\n');
    const head = end < 0 ? content : content.slice(0, end);
    const partBody = end < 0 ? '' : content.slice(end + 4);
    const headers = new Map<string, string>();
    // Unfold continuation lines (RFC 5322 §2.2.3).
    for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: partBody });
  }
  if (!closed) throw new MultipartError('the body has no close delimiter');
  return parts;
}

/** A Content-ID without its angle brackets, for matching RLMI `cid` attributes (RFC 2392). */
export function bareCid(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}
