/**
 * A registrar binding as the store keeps it, the input that writes one, and
 * the binding key that identifies it within its address of record.
 */
import type { Insertable, Selectable } from 'kysely';
import { isInteger, toNumber } from './columns.js';
import { StoreError } from './errors.js';
import type { RegistrationsTable } from './schema.js';

/** Transports a flow may use (RFC 3261 §18, RFC 7118). */
export type FlowProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export const FLOW_PROTOCOLS: readonly FlowProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/**
 * The transport flow that reaches a device (RFC 5626 §3.2): where its
 * requests came from, and on which connection when connection-oriented.
 */
export interface Flow {
  readonly protocol: FlowProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** The transport layer's id of the connection, meaningful to the front end that holds it. */
  readonly connectionId?: string;
}

/** What identifies a binding within its AOR. */
export interface BindingIdentity {
  /** RFC 5626 `+sip.instance`, e.g. '<urn:uuid:…>'. */
  readonly instanceId?: string | null;
  /** RFC 5626 `reg-id`, only with an instance id. */
  readonly regId?: number | null;
  readonly contactUri: string;
}

/** What {@link RegistrationRepo.upsert} writes. */
export interface BindingInput extends BindingIdentity {
  /** The address of record as the registrar canonicalises it (Parley: 'user@domain'). */
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  /** ms epoch. */
  readonly expiresAt: number;
  /** Path header URIs (RFC 3327), in order. */
  readonly path?: readonly string[];
  readonly flow?: Flow | null;
  /** RFC 5627 public and latest temporary GRUU. */
  readonly gruuPub?: string | null;
  readonly gruuTemp?: string | null;
  readonly userAgent?: string | null;
  /** Contact q-value, 0..1 (RFC 3261 §20.10). */
  readonly q?: number | null;
  /** ms epoch of the REGISTER; default now. */
  readonly receivedAt?: number;
}

/** A binding as stored. */
export interface Registration {
  readonly id: string;
  readonly aor: string;
  readonly contactUri: string;
  readonly instanceId: string | null;
  readonly regId: number | null;
  readonly callId: string;
  readonly cseq: number;
  readonly expiresAt: number;
  readonly path: string[];
  readonly flow: Flow | null;
  readonly gruuPub: string | null;
  readonly gruuTemp: string | null;
  readonly userAgent: string | null;
  readonly q: number | null;
  readonly receivedAt: number;
}

/**
 * The key of a binding within its AOR:
 * - instance id and reg-id: one binding per flow (RFC 5626 §6);
 * - instance id alone: one binding per device (RFC 5627 §3.2);
 * - otherwise the contact URI (RFC 3261 §10.3 step 6).
 * @throws StoreError `invalid` when neither an instance id nor a contact is given.
 */
export function bindingKey(id: BindingIdentity): string {
  if (id.instanceId) {
    return id.regId === undefined || id.regId === null ? `i:${id.instanceId}` : `i:${id.instanceId};reg-id=${id.regId}`;
  }
  if (typeof id.contactUri !== 'string' || id.contactUri.length === 0) {
    throw new StoreError('invalid', 'a binding needs an instance id or a contact URI');
  }
  return `c:${id.contactUri}`;
}

/** The row of a binding, without id. @throws StoreError `invalid` */
export function bindingRow(b: BindingInput, now: number): Omit<Insertable<RegistrationsTable>, 'id'> {
  if (typeof b !== 'object' || b === null) throw new TypeError('binding must be an object');
  text('aor', b.aor);
  text('contactUri', b.contactUri);
  text('callId', b.callId);
  // RFC 3261 §8.1.1.5: CSeq is below 2**31.
  if (!isInteger(b.cseq) || b.cseq < 0 || b.cseq >= 2 ** 31) throw new StoreError('invalid', 'cseq must be 0..2^31-1');
  if (!isInteger(b.expiresAt)) throw new StoreError('invalid', 'expiresAt must be an integer ms epoch');
  if (b.receivedAt !== undefined && !isInteger(b.receivedAt)) {
    throw new StoreError('invalid', 'receivedAt must be an integer ms epoch');
  }
  if (b.regId !== undefined && b.regId !== null) {
    if (!isInteger(b.regId) || b.regId < 1 || b.regId >= 2 ** 31) throw new StoreError('invalid', 'regId must be 1..2^31-1');
    if (!b.instanceId) throw new StoreError('invalid', 'regId needs an instance id (RFC 5626 §4.2)');
  }
  if (b.q !== undefined && b.q !== null && !(typeof b.q === 'number' && b.q >= 0 && b.q <= 1)) {
    throw new StoreError('invalid', 'q must be 0..1');
  }
  const path = b.path ?? [];
  if (!Array.isArray(path) || !path.every((p) => typeof p === 'string')) {
    throw new StoreError('invalid', 'path must be an array of URIs');
  }
  if (b.flow !== undefined && b.flow !== null) checkFlow(b.flow);
  return {
    aor: b.aor,
    binding_key: bindingKey(b),
    contact_uri: b.contactUri,
    instance_id: b.instanceId || null,
    reg_id: b.regId ?? null,
    call_id: b.callId,
    cseq: b.cseq,
    expires_at: b.expiresAt,
    path: JSON.stringify(path),
    flow: b.flow ? JSON.stringify(b.flow) : null,
    gruu_pub: b.gruuPub ?? null,
    gruu_temp: b.gruuTemp ?? null,
    user_agent: b.userAgent ?? null,
    q: b.q ?? null,
    received_at: b.receivedAt ?? now,
  };
}

function text(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) throw new StoreError('invalid', `${field} must be non-empty text`);
}

function checkFlow(f: Flow): void {
  if (!FLOW_PROTOCOLS.includes(f.protocol)) throw new StoreError('invalid', `flow protocol must be one of ${FLOW_PROTOCOLS.join(', ')}`);
  text('flow.remoteAddress', f.remoteAddress);
  if (!isInteger(f.remotePort) || f.remotePort < 0 || f.remotePort > 65535) {
    throw new StoreError('invalid', 'flow.remotePort must be 0..65535');
  }
}

/** The record of a row. */
export function toRegistration(row: Selectable<RegistrationsTable>): Registration {
  return {
    id: row.id,
    aor: row.aor,
    contactUri: row.contact_uri,
    instanceId: row.instance_id,
    regId: row.reg_id === null ? null : toNumber(row.reg_id),
    callId: row.call_id,
    cseq: toNumber(row.cseq),
    expiresAt: toNumber(row.expires_at),
    path: JSON.parse(row.path) as string[],
    flow: row.flow === null ? null : (JSON.parse(row.flow) as Flow),
    gruuPub: row.gruu_pub,
    gruuTemp: row.gruu_temp,
    userAgent: row.user_agent,
    q: row.q === null ? null : Number(row.q),
    receivedAt: toNumber(row.received_at),
  };
}
