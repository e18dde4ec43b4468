import type { SipResponse } from '../message/message.js';
import { SipRequest } from '../message/message.js';

/**
 * The ACK an INVITE client transaction sends for a 300–699 final response
 * (RFC 3261 §17.1.1.3): Request-URI, Call-ID, From, CSeq number and the top
 * Via (one Via only) of the INVITE; To of the response (with its tag); the
 * INVITE's Route header fields. It belongs to the INVITE transaction, so it
 * reuses the INVITE's branch.
 */
export function createNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.requestUri);
  ack.append('Via', invite.topVia.toString());
  for (const r of invite.getAll('route')) ack.append('Route', r);
  ack.append('Max-Forwards', 70);
  ack.append('From', invite.get('from') ?? '');
  ack.append('To', response.get('to') ?? '');
  ack.append('Call-ID', invite.callId);
  ack.append('CSeq', `${invite.cseq.seq} ACK`);
  return ack;
}
