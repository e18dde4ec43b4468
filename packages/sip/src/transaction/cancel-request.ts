import { SipRequest } from '../message/message.js';

/**
 * The CANCEL for a pending request (RFC 3261 §9.1): same Request-URI, Call-ID,
 * To, From and CSeq number as the request (method CANCEL), one Via equal to
 * the request's top Via (same branch — the CANCEL matches the INVITE at the
 * server, §17.2.3), the request's Route header fields, and optionally a
 * Reason (RFC 3326), e.g. `SIP;cause=200;text="Call completed elsewhere"`.
 */
export function createCancel(request: SipRequest, reason?: string): SipRequest {
  if (request.method === 'ACK' || request.method === 'CANCEL') {
    throw new TypeError(`cannot CANCEL a ${request.method}`);
  }
  const cancel = new SipRequest('CANCEL', request.requestUri);
  cancel.append('Via', request.topVia.toString());
  for (const r of request.getAll('route')) cancel.append('Route', r);
  cancel.append('Max-Forwards', 70);
  cancel.append('From', request.get('from') ?? '');
  cancel.append('To', request.get('to') ?? '');
  cancel.append('Call-ID', request.callId);
  cancel.append('CSeq', `${request.cseq.seq} CANCEL`);
  if (reason !== undefined) cancel.append('Reason', reason);
  return cancel;
}
