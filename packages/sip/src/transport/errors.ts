/**
 * The transport layer's error catalogue (one per layer, see DESIGN.md §3).
 *
 * Every failure a caller must handle is a {@link TransportError} with a stable
 * `code`; misuse of the API (bad port, unknown protocol) throws `TypeError`.
 * The transaction layer maps these codes to its own outcomes: RFC 3261 §8.1.3.1
 * and §17.1.4 treat a transport error as a 503 (Service Unavailable) for a
 * request, and RFC 3263 §4.3 moves on to the next resolved target.
 */

/**
 * Stable codes.
 *
 * | code           | meaning                                                           |
 * | -------------- | ----------------------------------------------------------------- |
 * | `unreachable`  | connect failed or timed out, no socket of the needed family,     |
 * |                | peer stopped answering keep-alives                                |
 * | `closed`       | the flow or the transport manager is closed / flow id unknown    |
 * | `too-big`      | message larger than the datagram or WebSocket payload limit      |
 * | `backpressure` | the peer does not read: the flow's send buffer is over its limit |
 * | `refused`      | connection refused by a limit (per source IP, total)             |
 * | `framing`      | the stream violated RFC 3261 §18.3 framing or a size limit       |
 * | `idle`         | closed after the idle timeout without traffic                    |
 */
export type TransportErrorCode =
  | 'unreachable'
  | 'closed'
  | 'too-big'
  | 'backpressure'
  | 'refused'
  | 'framing'
  | 'idle';

/** Every code, in catalogue order (for documentation tests and metrics labels). */
export const TRANSPORT_ERROR_CODES: readonly TransportErrorCode[] = [
  'unreachable',
  'closed',
  'too-big',
  'backpressure',
  'refused',
  'framing',
  'idle',
];

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Why a byte stream could not be framed (RFC 3261 §18.3, §20.14; RFC 5626 §4.4.1).
 * A framing error ends that one connection only.
 */
export type FramingErrorReason =
  | 'bad-start-line'
  | 'header-too-large'
  | 'too-many-headers'
  | 'missing-content-length'
  | 'bad-content-length'
  | 'body-too-large';

export class FramingError extends TransportError {
  override readonly name: string = 'FramingError';
  readonly reason: FramingErrorReason;

  constructor(reason: FramingErrorReason, message: string) {
    super('framing', message);
    this.reason = reason;
  }
}
