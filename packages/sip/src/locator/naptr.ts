/**
 * NAPTR transport selection (RFC 3263 §4.1) and the SRV owner names of each
 * transport (RFC 3263 §4.1, RFC 4168 §5, RFC 7118 §6).
 */
import type { NaptrRecord, Transport } from './types.js';

/**
 * NAPTR services of the IANA "SIP NAPTR Resource Record Services Field"
 * registry. `SIPS+D2S` (TLS over SCTP) has no {@link Transport} and is ignored.
 */
const SERVICE_TRANSPORTS: ReadonlyMap<string, Transport> = new Map([
  ['SIP+D2U', 'udp'],
  ['SIP+D2T', 'tcp'],
  ['SIPS+D2T', 'tls'],
  ['SIP+D2S', 'sctp'],
  ['SIP+D2W', 'ws'],
  ['SIPS+D2W', 'wss'],
]);

/**
 * SRV service and protocol labels per transport: `_sips` for TLS-protected
 * transports, `_sip` otherwise, then the protocol beneath (RFC 3263 §4.1).
 * RFC 7118 §6 names no SRV owner for WebSocket outside NAPTR; `_sip._ws` and
 * `_sips._ws` follow the same pattern.
 */
const SRV_PREFIXES: Readonly<Record<Transport, string>> = {
  udp: '_sip._udp',
  tcp: '_sip._tcp',
  tls: '_sips._tcp',
  sctp: '_sip._sctp',
  ws: '_sip._ws',
  wss: '_sips._ws',
};

/** The SRV owner name to query for `transport` at `domain`. */
export function srvName(transport: Transport, domain: string): string {
  return `${SRV_PREFIXES[transport]}.${domain}`;
}

/** One step of the plan NAPTR gives: query SRV `srvName`, use `transport`. */
export interface SrvPlan {
  transport: Transport;
  srvName: string;
}

/**
 * The NAPTR records a client may follow, in the order to follow them
 * (RFC 3263 §4.1, RFC 3403 §4.1): terminal `s` flag, no regexp (SIP uses the
 * replacement field only), a service the client supports, and for a SIPS URI
 * only `SIPS+` services; sorted by order, then preference.
 */
export function selectNaptrRecords(
  records: readonly NaptrRecord[],
  options: { secure: boolean; supported: readonly Transport[] },
): SrvPlan[] {
  return records
    .filter((r) => r.flags.toLowerCase() === 's' && r.regexp === '' && r.replacement !== '' && r.replacement !== '.')
    .filter((r) => !options.secure || r.service.toUpperCase().startsWith('SIPS+'))
    .map((r) => ({ record: r, transport: SERVICE_TRANSPORTS.get(r.service.toUpperCase()) }))
    .filter((x): x is { record: NaptrRecord; transport: Transport } =>
      x.transport !== undefined && options.supported.includes(x.transport))
    .sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference)
    .map((x) => ({ transport: x.transport, srvName: x.record.replacement }));
}
