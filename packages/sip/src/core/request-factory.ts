/**
 * Out-of-dialog requests (RFC 3261 §8.1.1): Request-URI, To, From with a
 * new tag, Call-ID, CSeq, Max-Forwards 70, Contact, and Route from a
 * preloaded route set (§8.1.2, with the strict-routing rule of §12.2.1.1).
 * The Via is added when the request is sent (its sent-by depends on the
 * transport chosen, §18.1.1).
 */
import { NameAddr, parseNameAddr } from '../grammar/name-addr.js';
import { type Uri, parseUri } from '../grammar/uri.js';
import { newCallId, newTag } from '../message/factory.js';
import { SipRequest } from '../message/message.js';
import { routeRequest } from '../dialog/route-set.js';

export interface OutOfDialogRequestInit {
  method: string;
  /** Where the request goes (§8.1.1.1); usually the To URI. */
  requestUri: Uri | string;
  /** From (§8.1.1.3); a tag is added when missing. */
  from: NameAddr | string;
  /** To (§8.1.1.2); any tag is removed. Default: the Request-URI. */
  to?: NameAddr | string;
  /** Default: a new random Call-ID (§8.1.1.4). */
  callId?: string;
  /** Default 1 (§8.1.1.5: any number below 2**31). */
  cseq?: number;
  /** Required for dialog-creating requests (§8.1.1.8). */
  contact?: NameAddr | string;
  /** A preloaded route set (§8.1.2), e.g. an outbound proxy or a Service-Route (RFC 3608). */
  routeSet?: ReadonlyArray<NameAddr | string>;
  /** Default 70 (§8.1.1.6). */
  maxForwards?: number;
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
}

function toNameAddr(v: NameAddr | string, header: string): NameAddr {
  return typeof v === 'string' ? parseNameAddr(v, header) : v.clone();
}

export function createOutOfDialogRequest(init: OutOfDialogRequestInit): SipRequest {
  if (init.method === 'ACK' || init.method === 'CANCEL') throw new TypeError(`${init.method} is never out of dialog on its own`);
  const target = typeof init.requestUri === 'string' ? parseUri(init.requestUri, 'request-uri') : init.requestUri;
  const routes = (init.routeSet ?? []).map((r) => toNameAddr(r, 'route'));
  const { requestUri, routes: routeHeaders } = routeRequest(target, routes);
  const from = toNameAddr(init.from, 'from');
  if (from.tag === undefined) from.tag = newTag();
  const to = init.to === undefined ? new NameAddr(target) : toNameAddr(init.to, 'to');
  to.tag = undefined;
  const cseq = init.cseq ?? 1;
  if (!Number.isInteger(cseq) || cseq < 0 || cseq >= 2 ** 31) throw new TypeError('CSeq must be an integer below 2**31');
  const req = new SipRequest(init.method, requestUri.toString());
  for (const r of routeHeaders) req.append('Route', r.toString());
  req.append('Max-Forwards', init.maxForwards ?? 70);
  req.append('From', from.toString());
  req.append('To', to.toString());
  req.append('Call-ID', init.callId ?? newCallId());
  req.append('CSeq', `${cseq} ${init.method}`);
  if (init.contact !== undefined) req.append('Contact', toNameAddr(init.contact, 'contact').toString());
  for (const [n, v] of init.headers ?? []) req.append(n, v);
  if (init.body !== undefined) req.setBody(init.body, init.contentType);
  return req;
}
