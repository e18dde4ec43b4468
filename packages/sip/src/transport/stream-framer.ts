/**
 * Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3).
 *
 * On a stream the header section ends at the first empty line and the body is
 * exactly Content-Length bytes (RFC 3261 §18.3, §20.14: the header is mandatory
 * on streams; compact form `l`, names case-insensitive per §7.3.1). Between
 * messages a peer may send keep-alives (RFC 5626 §4.4.1, §3.5.1):
 *
 *   CRLF CRLF  "ping"  → the delegate's `ping()`; the owner answers with one CRLF
 *   CRLF       "pong"  → the delegate's `pong()`
 *
 * A lone CRLF at the very end of the bytes received so far may be the first half
 * of a ping. In the `server` role (we accepted the connection, the peer pings)
 * it is held until more bytes arrive; in the `client` role (we opened the
 * connection and send the pings) it is reported as a pong at once.
 *
 * The first byte of a message must be a token character and the start line must
 * carry a SIP version (`SIP/` first or last): this is a cheap sanity check so
 * garbage is refused at once rather than after `maxHeaderBytes`; full parsing is
 * the message layer's job.
 *
 * Limits bound memory: the framer never holds more than `maxHeaderBytes` of an
 * unfinished header section, nor a body over `maxBodyBytes`. A violation is
 * reported once through `error()` with a {@link FramingError}; the framer is
 * then dead and ignores input. `push()` never throws.
 *
 * Speed: the header end is found with `Buffer.indexOf`, the scan resumes where
 * it stopped, and when a read holds whole messages they are handed out as
 * views of that read without copying.
 */
import { FramingError, type FramingErrorReason } from './errors.js';

export interface StreamFramerLimits {
  /** Start line plus headers plus the empty line. */
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  /** Header fields (continuation lines not counted). */
  readonly maxHeaders: number;
}

export const DEFAULT_FRAMER_LIMITS: StreamFramerLimits = {
  maxHeaderBytes: 64 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaders: 256,
};

export interface StreamFramerDelegate {
  /** One whole message, header and body, byte-identical to the wire. */
  message(data: Buffer): void;
  /** CRLF CRLF keep-alive received: answer with a single CRLF (RFC 5626 §4.4.1). */
  ping(): void;
  /** Lone CRLF received: the answer to our ping. */
  pong(): void;
  /** The stream cannot be framed; the owner closes that connection. */
  error(error: FramingError): void;
}

export type StreamFramerRole = 'server' | 'client';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const CRLF = Buffer.from('\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 3261 §25.1 token characters. */
const TOKEN = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') {
  TOKEN[c.charCodeAt(0)] = 1;
}

export class StreamFramer {
  private readonly limits: StreamFramerLimits;
  private readonly role: StreamFramerRole;
  private readonly delegate: StreamFramerDelegate;
  /** Bytes of an unfinished message (or keep-alive), always starting at a message boundary. */
  private acc: Buffer | null = null;
  private accLen = 0;
  /** Bytes of the current message already searched for the header end. */
  private scanned = 0;
  /** Header + body length of the current message once its header is known, else 0. */
  private pendingTotal = 0;
  private startLineChecked = false;
  private dead = false;

  constructor(delegate: StreamFramerDelegate, options?: { limits?: Partial<StreamFramerLimits>; role?: StreamFramerRole }) {
    this.delegate = delegate;
    this.limits = { ...DEFAULT_FRAMER_LIMITS, ...options?.limits };
    this.role = options?.role ?? 'server';
  }

  /** Bytes held for an unfinished message. */
  get bufferedBytes(): number {
    return this.accLen;
  }

  /** True after a framing error or `stop()`. */
  get stopped(): boolean {
    return this.dead;
  }

  /** Stop framing and release the buffer (the owner's connection closed). Idempotent. */
  stop(): void {
    this.dead = true;
    this.acc = null;
    this.accLen = 0;
  }

  push(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    if (this.accLen === 0) {
      // Zero-copy path: whole messages in this read are views of it.
      const used = this.consume(chunk, false);
      if (!this.dead && used < chunk.length) this.append(chunk.subarray(used));
      return;
    }
    this.append(chunk);
    const acc = this.acc as Buffer;
    const used = this.consume(acc.subarray(0, this.accLen), true);
    if (this.dead || used === 0) return;
    const rest = this.accLen - used;
    if (rest === 0) {
      this.acc = null; // release a buffer grown for a large message
      this.accLen = 0;
    } else {
      acc.copyWithin(0, used, this.accLen);
      this.accLen = rest;
    }
  }

  private append(bytes: Buffer): void {
    const need = this.accLen + bytes.length;
    if (this.acc === null || this.acc.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * (this.acc?.length ?? 0), 256));
      if (this.acc !== null) this.acc.copy(grown, 0, 0, this.accLen);
      this.acc = grown;
    }
    bytes.copy(this.acc, this.accLen);
    this.accLen = need;
  }

  /** Frames what it can from `data`; returns the bytes consumed. */
  private consume(data: Buffer, mustCopy: boolean): number {
    const n = data.length;
    let off = 0;
    while (off < n && !this.dead) {
      if (this.pendingTotal > 0) {
        if (n - off < this.pendingTotal) return off;
        const end = off + this.pendingTotal;
        const view = data.subarray(off, end);
        off = end;
        this.pendingTotal = 0;
        this.scanned = 0;
        this.startLineChecked = false;
        this.delegate.message(mustCopy ? Buffer.from(view) : view);
        continue;
      }
      if (this.scanned === 0) {
        const c = data[off];
        if (c === CR || c === LF) {
          const step = this.keepAlive(data, off);
          if (step === 0) return off;
          off += step;
          continue;
        }
        if (TOKEN[c] !== 1) return this.fail(off, 'bad-start-line', 'message does not start with a token character');
      }
      const from = off + Math.max(0, this.scanned - 3);
      const headerEnd = data.indexOf(CRLFCRLF, from);
      if (!this.startLineChecked && !this.checkStartLine(data, off)) return off;
      if (headerEnd === -1) {
        const have = n - off;
        if (have > this.limits.maxHeaderBytes) {
          return this.fail(off, 'header-too-large', `header section exceeds ${this.limits.maxHeaderBytes} bytes`);
        }
        this.scanned = have;
        return off;
      }
      const headerLen = headerEnd + 4 - off;
      if (headerLen > this.limits.maxHeaderBytes) {
        return this.fail(off, 'header-too-large', `header section exceeds ${this.limits.maxHeaderBytes} bytes`);
      }
      const bodyLen = this.contentLength(data, off, headerEnd);
      if (bodyLen < 0) return off;
      this.pendingTotal = headerLen + bodyLen;
    }
    return off;
  }

  /**
   * RFC 5626 §4.4.1 keep-alives at a message boundary. Returns the bytes used,
   * or 0 to wait for more.
   */
  private keepAlive(data: Buffer, off: number): number {
    const rem = data.length - off;
    if (data[off] === LF) {
      this.fail(off, 'bad-start-line', 'bare LF between messages');
      return 0;
    }
    if (rem < 2) return 0;
    if (data[off + 1] !== LF) {
      this.fail(off, 'bad-start-line', 'CR without LF between messages');
      return 0;
    }
    if (rem >= 4 && data[off + 2] === CR && data[off + 3] === LF) {
      this.delegate.ping();
      return 4;
    }
    if (rem >= 4 || (rem === 3 && data[off + 2] !== CR) || this.role === 'client') {
      this.delegate.pong();
      return 2;
    }
    return 0; // maybe the first half of a ping
  }

  /** Start line sanity (RFC 3261 §7.1, §7.2): `SIP/x.y …` or `… SIP/x.y`. */
  private checkStartLine(data: Buffer, off: number): boolean {
    // Earlier pushes found no CRLF in the first `scanned` bytes: resume there.
    const eol = data.indexOf(CRLF, off + Math.max(0, this.scanned - 1));
    if (eol === -1) {
      if (data.length - off > this.limits.maxHeaderBytes) {
        this.fail(off, 'header-too-large', `start line exceeds ${this.limits.maxHeaderBytes} bytes`);
        return false;
      }
      return true; // not complete yet
    }
    if (isSipSlash(data, off)) {
      this.startLineChecked = true;
      return true;
    }
    const sp = data.lastIndexOf(SP, eol - 1);
    if (sp > off && isSipSlash(data, sp + 1)) {
      this.startLineChecked = true;
      return true;
    }
    this.fail(off, 'bad-start-line', 'start line carries no SIP version');
    return false;
  }

  /**
   * Finds Content-Length / `l` among the header lines of `data[off, headerEnd)`,
   * counting header fields. Returns the length, or -1 after reporting an error.
   */
  private contentLength(data: Buffer, off: number, headerEnd: number): number {
    let line = data.indexOf(CRLF, off) + 2; // skip the start line
    const stop = headerEnd + 2;
    let count = 0;
    let found = -1;
    let value: string | null = null;
    /** Folds the pending Content-Length value into `found`; false after an error. */
    const settle = (): boolean => {
      if (value === null) return true;
      const text = value.trim();
      value = null;
      const len = /^[0-9]{1,10}$/.test(text) ? Number(text) : -1;
      if (len < 0 || (found !== -1 && found !== len)) {
        this.fail(off, 'bad-content-length', len < 0 ? 'Content-Length is not a number' : 'conflicting Content-Length values');
        return false;
      }
      found = len;
      return true;
    };
    while (line < stop) {
      const eol = data.indexOf(CRLF, line);
      const first = data[line];
      if (first === SP || first === HT) {
        // RFC 3261 §7.3.1 line folding: continuation of the previous field.
        if (value !== null) value += ' ' + data.toString('latin1', line, eol);
        line = eol + 2;
        continue;
      }
      if (!settle()) return -1;
      if (++count > this.limits.maxHeaders) {
        this.fail(off, 'too-many-headers', `more than ${this.limits.maxHeaders} header fields`);
        return -1;
      }
      const colon = data.indexOf(COLON, line);
      if (colon !== -1 && colon < eol && isContentLengthName(data, line, colon)) {
        value = data.toString('latin1', colon + 1, eol);
      }
      line = eol + 2;
    }
    if (!settle()) return -1;
    if (found === -1) {
      this.fail(off, 'missing-content-length', 'Content-Length is required on stream transports (RFC 3261 §18.3)');
      return -1;
    }
    if (found > this.limits.maxBodyBytes) {
      this.fail(off, 'body-too-large', `body of ${found} bytes exceeds ${this.limits.maxBodyBytes}`);
      return -1;
    }
    return found;
  }

  private fail(off: number, reason: FramingErrorReason, message: string): number {
    this.stop();
    this.delegate.error(new FramingError(reason, message));
    return off;
  }
}

function isSipSlash(data: Buffer, at: number): boolean {
  return (
    at + 4 <= data.length &&
    (data[at] | 0x20) === 0x73 &&
    (data[at + 1] | 0x20) === 0x69 &&
    (data[at + 2] | 0x20) === 0x70 &&
    data[at + 3] === 0x2f
  );
}

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** `Content-Length` or compact `l` (RFC 3261 §7.3.3), case-insensitive, optional WSP before the colon. */
function isContentLengthName(data: Buffer, start: number, colon: number): boolean {
  let end = colon;
  while (end > start && (data[end - 1] === SP || data[end - 1] === HT)) end--;
  const len = end - start;
  if (len === 1) return (data[start] | 0x20) === 0x6c;
  if (len !== CONTENT_LENGTH.length) return false;
  for (let i = 0; i < len; i++) {
    if ((data[start + i] | 0x20) !== CONTENT_LENGTH[i]) return false;
  }
  return true;
}
