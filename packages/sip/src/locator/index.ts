/**
 * RFC 3263 "Locating SIP Servers": request next hops (§4) and response
 * destinations (§5, with RFC 3261 §18.2.2 and RFC 3581 §4).
 *
 * Needs: DNS, through the {@link DnsResolver} it declares (default:
 * `node:dns/promises` `Resolver`). Imports nothing else of Parley.
 */
export { ServerLocator, type ServerLocatorOptions } from './server-locator.js';
export {
  locateResponseTarget, parseViaTransport,
  type RequestSource, type ResponseTarget, type ResponseVia,
} from './response-target.js';
export { LocatorError, type LocatorErrorCode, type LocatorErrorDetails, type QueryType } from './errors.js';
export { orderSrvRecords, type RandomSource } from './srv-order.js';
export { selectNaptrRecords, srvName, type SrvPlan } from './naptr.js';
export {
  DEFAULT_PORTS, TRANSPORTS, isReliableTransport, isSecureTransport,
  type DnsResolver, type IpFamily, type LocateTarget, type NaptrRecord, type RecordWithTtl,
  type SipTarget, type SrvRecord, type Transport,
} from './types.js';
