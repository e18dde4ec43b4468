/** Registrar errors and their SIP status codes: the one table (STYLE.md habit 5; cf. Kamailio registrar/reply.c). */
export type RegistrarErrorCode =
  | 'foreign-domain'
  | 'not-an-aor'
  | 'unknown-aor'
  | 'forbidden'
  | 'bad-contact'
  | 'bad-wildcard'
  | 'interval-too-brief'
  | 'out-of-order'
  | 'first-hop-lacks-outbound'
  | 'too-many-contacts'
  | 'unavailable';

export const REGISTRAR_STATUS: Record<RegistrarErrorCode, { status: number; reason: string }> = {
  'foreign-domain': { status: 403, reason: 'Forbidden (not a domain of this server)' },
  'not-an-aor': { status: 400, reason: 'Bad Request (To must be a SIP or SIPS URI)' },
  'unknown-aor': { status: 404, reason: 'Not Found' },
  forbidden: { status: 403, reason: 'Forbidden (you may only register your own address)' },
  'bad-contact': { status: 400, reason: 'Bad Request (bad Contact)' },
  'bad-wildcard': { status: 400, reason: 'Bad Request (Contact: * needs Expires: 0 and no other contact)' },
  'interval-too-brief': { status: 423, reason: 'Interval Too Brief' },
  'out-of-order': { status: 500, reason: 'Server Internal Error (CSeq out of order)' },
  'first-hop-lacks-outbound': { status: 439, reason: 'First Hop Lacks Outbound Support' },
  'too-many-contacts': { status: 403, reason: 'Forbidden (too many devices registered)' },
  unavailable: { status: 503, reason: 'Service Unavailable' },
};

export class RegistrarError extends Error {
  override readonly name = 'RegistrarError';
  constructor(
    readonly code: RegistrarErrorCode,
    message?: string,
  ) {
    super(message ?? REGISTRAR_STATUS[code].reason);
  }
}
