/**
 * The user record as the store hands it out, the inputs that create and
 * change one, and their checks. Clear passwords never reach the store: the
 * caller derives the digest HA1 values and the scrypt hash.
 */
import type { Insertable, Selectable } from 'kysely';
import { splitAddress } from './address.js';
import { fromFlag, toFlag, toNumber } from './columns.js';
import { StoreError } from './errors.js';
import type { UsersTable } from './schema.js';

/** What a user may do: `admin` may use the admin API and Control Panel. */
export type UserRole = 'user' | 'admin';

export const USER_ROLES: readonly UserRole[] = ['user', 'admin'];

/**
 * Secrets for authentication, all derived from the password by the caller.
 * Each HA1 is hex of H(username ":" realm ":" password) with realm = the
 * user's domain (RFC 7616 §3.4.2; SHA-256 and SHA-512/256 per RFC 8760).
 */
export interface UserCredentials {
  readonly ha1Md5: string | null;
  readonly ha1Sha256: string | null;
  readonly ha1Sha512_256: string | null;
  /** scrypt hash string for HTTP sign-in. */
  readonly passwordHash: string | null;
}

/** A user as stored. */
export interface User {
  readonly id: string;
  /** 'user@domain', lowercase. */
  readonly address: string;
  readonly domain: string;
  readonly displayName: string | null;
  readonly enabled: boolean;
  readonly role: UserRole;
  readonly credentials: UserCredentials;
  readonly phone: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What creates a user. The domain is taken from the address and must exist. */
export interface NewUser {
  readonly address: string;
  readonly displayName?: string | null;
  /** Default true. */
  readonly enabled?: boolean;
  /** Default 'user'. */
  readonly role?: UserRole;
  readonly credentials?: Partial<UserCredentials>;
  readonly phone?: string | null;
}

/** Fields {@link UserRepo.update} may change; absent ones stay. */
export interface UserPatch {
  readonly displayName?: string | null;
  readonly role?: UserRole;
  readonly phone?: string | null;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** E.164 or an extension: digits with an optional leading '+', as in a tel: URI. */
const PHONE = /^\+?[0-9]{1,32}$/;

/** Checks a role. @throws StoreError `invalid` */
export function checkRole(role: unknown): UserRole {
  if (!USER_ROLES.includes(role as UserRole)) {
    throw new StoreError('invalid', `role must be one of ${USER_ROLES.join(', ')}: ${JSON.stringify(role)}`);
  }
  return role as UserRole;
}

/** Normalises credential columns; hex is lowercased. @throws StoreError `invalid` */
export function credentialColumns(
  creds: Partial<UserCredentials>,
): Pick<Insertable<UsersTable>, 'ha1_md5' | 'ha1_sha256' | 'ha1_sha512_256' | 'password_hash'> {
  const out: Pick<Insertable<UsersTable>, 'ha1_md5' | 'ha1_sha256' | 'ha1_sha512_256' | 'password_hash'> = {};
  if (creds.ha1Md5 !== undefined) out.ha1_md5 = hex('ha1Md5', creds.ha1Md5, HEX32);
  if (creds.ha1Sha256 !== undefined) out.ha1_sha256 = hex('ha1Sha256', creds.ha1Sha256, HEX64);
  if (creds.ha1Sha512_256 !== undefined) out.ha1_sha512_256 = hex('ha1Sha512_256', creds.ha1Sha512_256, HEX64);
  if (creds.passwordHash !== undefined) {
    const v = creds.passwordHash;
    if (v !== null && (typeof v !== 'string' || v.length === 0 || v.length > 1024)) {
      throw new StoreError('invalid', 'passwordHash must be a non-empty hash string or null');
    }
    out.password_hash = v;
  }
  return out;
}

function hex(field: string, value: string | null, re: RegExp): string | null {
  if (value === null) return null;
  const v = typeof value === 'string' ? value.toLowerCase() : '';
  if (!re.test(v)) throw new StoreError('invalid', `${field} must be hex of the digest length`);
  return v;
}

/** Checks optional text. @throws StoreError `invalid` */
export function optionalText(field: string, value: string | null | undefined, max = 256): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw new StoreError('invalid', `${field} must be text of at most ${max} characters`);
  }
  const trimmed = value.trim();
  return trimmed.length === 0 ? null : trimmed;
}

/** Checks a phone number. @throws StoreError `invalid` */
export function checkPhone(value: string | null | undefined): string | null {
  const v = optionalText('phone', value, 64);
  if (v !== null && !PHONE.test(v.replace(/[\s().-]/g, ''))) {
    throw new StoreError('invalid', `phone must be digits with an optional leading +: ${JSON.stringify(value)}`);
  }
  return v === null ? null : v.replace(/[\s().-]/g, '');
}

/** The row that creates `input`. @throws StoreError `invalid` */
export function newUserRow(input: NewUser, id: string, now: number): Insertable<UsersTable> {
  if (typeof input !== 'object' || input === null) throw new TypeError('user input must be an object');
  const { user, domain } = splitAddress(input.address);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    throw new StoreError('invalid', 'enabled must be a boolean');
  }
  if ('password' in input) throw new TypeError('the store takes no clear password; pass derived credentials');
  return {
    id,
    address: `${user}@${domain}`,
    domain,
    display_name: optionalText('displayName', input.displayName),
    enabled: toFlag(input.enabled ?? true),
    role: checkRole(input.role ?? 'user'),
    ha1_md5: null,
    ha1_sha256: null,
    ha1_sha512_256: null,
    password_hash: null,
    ...credentialColumns(input.credentials ?? {}),
    phone: checkPhone(input.phone),
    created_at: now,
    updated_at: now,
  };
}

/** The record of a row. */
export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    address: row.address,
    domain: row.domain,
    displayName: row.display_name,
    enabled: fromFlag(row.enabled),
    role: row.role as UserRole,
    credentials: {
      ha1Md5: row.ha1_md5,
      ha1Sha256: row.ha1_sha256,
      ha1Sha512_256: row.ha1_sha512_256,
      passwordHash: row.password_hash,
    },
    phone: row.phone,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}
