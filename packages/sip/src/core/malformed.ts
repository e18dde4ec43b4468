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

/**
 * A 400 (or 505) for a malformed message, or null when none can be formed
 * and the message must be dropped: it is a response or an ACK (never
 * answered), it does not parse at all, or it has no Via line. The Via lines
 * are copied as written even when they do not parse, and so are From, To,
 * Call-ID and CSeq when present: the answer goes back over the flow the
 * request came on, and RFC 4475 asks for a 400 to "badinv01" (unparsable
 * Via) and, "ideally", to "insuf" (no Call-ID, From or To).
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
  if (msg.get('via') === undefined) return null;
  const err =
    error instanceof SipParseError ? error : new SipParseError('header-value', error instanceof Error ? error.message : 'malformed request');
  return responseForParseError(msg, err);
}
