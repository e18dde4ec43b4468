/**
 * Password handling. Parley never stores a password (DESIGN §4): SIP digest
 * needs HA1 = H(username ":" realm ":" password) per algorithm (RFC 8760), and
 * HTTP sign-in a slow hash (scrypt, RFC 7914) — both computed here.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { computeHa1 } from '@parley/sip/digest';
import type { UserCredentials } from '../../store/index.js';
import { UserError } from './errors.js';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

/**
 * scrypt parameters: N=2^15, r=8, p=1 (about 30 ms, 32 MiB). PARLEY_SCRYPT_LOG2N
 * (10–20) changes N for new hashes — tests that create thousands of users use 10.
 */
const N = 1 << Math.min(20, Math.max(10, Number(process.env.PARLEY_SCRYPT_LOG2N) || 15));
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // Same work for an unknown user as for a known one.
    await scryptAsync(password, Buffer.alloc(16), KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
    return false;
  }
  const [, n, r, p, salt, key] = parts;
  const want = Buffer.from(key, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * A password is weak when it is shorter than 8 characters, or shorter than 12
 * and uses fewer than three of: lower case, upper case, digits, other.
 */
export function checkPasswordStrength(password: string, address?: string): void {
  if (typeof password !== 'string' || password.length < 8)
    throw new UserError('weak-password', 'password too weak: use at least 8 characters');
  if (password.length > 256) throw new UserError('weak-password', 'password too long (at most 256 characters)');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 12 && classes < 3)
    throw new UserError(
      'weak-password',
      'password too weak: use 12 or more characters, or mix three of lower case, upper case, digits and symbols',
    );
  if (address && password.toLowerCase().includes(address.split('@')[0].toLowerCase()))
    throw new UserError('weak-password', 'password too weak: it contains the user name');
}

/** A random password of 16 characters from an unambiguous alphabet (about 90 bits). */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[randomInt(alphabet.length)];
  // make sure the classes rule holds
  return out.replace(/^(.)(.)(.)/, 'K7m');
}

/**
 * All credentials of a user: the digest HA1s for realm = the user's domain
 * and username = the user part (what SIP phones send), and the scrypt hash.
 */
export async function credentialsFor(address: string, password: string): Promise<UserCredentials> {
  const [user, domain] = address.split('@');
  return {
    ha1Md5: computeHa1('MD5', user, domain, password),
    ha1Sha256: computeHa1('SHA-256', user, domain, password),
    ha1Sha512_256: computeHa1('SHA-512-256', user, domain, password),
    passwordHash: await hashPassword(password),
  };
}
