/**
 * Answering what does not parse or validate (RFC 3261 §8.2, §16.3 item 1,
 * §21.4.1, §21.5.6; RFC 4475).
 */
import { SipParseError } from '../errors.js';
import { createResponse } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parser.js';

/**
 * The response to a request that failed `validate()`: 505 for a version we
 * do not speak, else 400 with the error in the reason phrase (§21.4.1).
 */
export function responseForParseError(request: SipRequest, error: SipParseError): SipResponse {
  return createResponse(request, error.status, { reason: error.reasonPhrase });
}

const MANDATORY = ['from', 'to', 'call-id', 'cseq'] as const;

/**
 * A 400 (or 505) for a malformed message, or null when none can be formed
 * and the message must be dropped: it is a response (never answered), it
 * does not parse at all, its top Via cannot be read (nowhere to send, and
 * the client could not match the answer), or From, To, Call-ID or CSeq is
 * missing (a response copies them; they are copied as written even when
 * their value is bad, so a 400 still reaches the sender, RFC 4475 §3.1.2).
 */
export function answerMalformed(input: Buffer | SipRequest | SipResponse, error: unknown, options: { datagram?: boolean } = {}): SipResponse | null {
  let msg: SipRequest | SipResponse;
  if (Buffer.isBuffer(input)) {
    try {
      msg = parseMessage(input, { datagram: options.datagram ?? false });
    } catch {
      return null;
    }
  } else msg = input;
  if (!msg.isRequest || msg.method === 'ACK') return null; // §17.1.1.3: an ACK is never answered
  try {
    void msg.topVia;
  } catch {
    return null;
  }
  for (const h of MANDATORY) if (msg.get(h) === undefined) return null;
  const err =
    error instanceof SipParseError ? error : new SipParseError('header-value', error instanceof Error ? error.message : 'malformed request');
  return responseForParseError(msg, err);
}
