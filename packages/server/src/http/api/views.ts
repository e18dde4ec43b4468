/**
 * What the API shows of the store's records. Times are ISO 8601 strings in
 * UTC. Credentials (HA1 values, the scrypt hash) never leave: a view lists
 * the fields it shows rather than copying a record.
 */
import type { Domain, Registration, User } from '../../store/index.js';

export interface UserView {
  readonly id: string;
  readonly address: string;
  readonly domain: string;
  readonly displayName: string | null;
  readonly enabled: boolean;
  readonly role: string;
  readonly phone: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DomainView {
  readonly name: string;
  readonly isDefault: boolean;
  readonly createdAt: string;
}

/** One registered device: "who is signed in on which devices". */
export interface RegistrationView {
  readonly address: string;
  readonly contact: string;
  readonly instanceId: string | null;
  readonly userAgent: string | null;
  /** udp, tcp, tls, ws or wss; null when the flow is unknown. */
  readonly transport: string | null;
  readonly remoteAddress: string | null;
  readonly remotePort: number | null;
  readonly registeredAt: string;
  readonly expiresAt: string;
  readonly expiresInS: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function userView(u: User): UserView {
  return {
    id: u.id,
    address: u.address,
    domain: u.domain,
    displayName: u.displayName,
    enabled: u.enabled,
    role: u.role,
    phone: u.phone,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

/** The short form `POST /session` and `GET /me` give. */
export function meView(u: User): { address: string; displayName: string | null; role: string } {
  return { address: u.address, displayName: u.displayName, role: u.role };
}

export function domainView(d: Domain): DomainView {
  return { name: d.name, isDefault: d.isDefault, createdAt: iso(d.createdAt) };
}

export function registrationView(r: Registration, now: number): RegistrationView {
  return {
    address: r.aor,
    contact: r.contactUri,
    instanceId: r.instanceId,
    userAgent: r.userAgent,
    transport: r.flow?.protocol ?? null,
    remoteAddress: r.flow?.remoteAddress ?? null,
    remotePort: r.flow?.remotePort ?? null,
    registeredAt: iso(r.receivedAt),
    expiresAt: iso(r.expiresAt),
    expiresInS: Math.max(0, Math.round((r.expiresAt - now) / 1000)),
  };
}
