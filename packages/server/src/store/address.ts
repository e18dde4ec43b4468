/**
 * Canonical forms of the names the store keys on: SIP domains and user
 * addresses ('user@domain', lowercase). Both are compared case-insensitively
 * by Parley, so the store keeps them lowercase and unique in that form.
 */
import { StoreError } from './errors.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** Characters a user part may not hold: URI delimiters, space, controls. */
const BAD_USER = /[\s@:;?<>"\\/,\x00-\x1f\x7f]/;

/**
 * Lowercases and checks a domain name (RFC 1035 host name, a trailing dot
 * dropped; one label such as `localhost` is allowed).
 * @throws StoreError `invalid`
 */
export function normalizeDomain(input: string): string {
  if (typeof input !== 'string') throw new TypeError('domain must be a string');
  const name = input.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new StoreError('invalid', `not a valid domain name: ${JSON.stringify(input)}`);
  }
  return name;
}

/**
 * Turns 'Alice@Example.COM' or 'sip:alice@example.com' into
 * 'alice@example.com'.
 * @throws StoreError `invalid` when it is not user@domain.
 */
export function normalizeAddress(input: string): string {
  const { user, domain } = splitAddress(input);
  return `${user}@${domain}`;
}

/**
 * Splits an address into its lowercase user part and domain.
 * @throws StoreError `invalid`
 */
export function splitAddress(input: string): { user: string; domain: string } {
  if (typeof input !== 'string') throw new TypeError('address must be a string');
  const text = input.trim().replace(/^sips?:/i, '');
  const at = text.lastIndexOf('@');
  const user = at > 0 ? text.slice(0, at).toLowerCase() : '';
  if (user.length === 0 || user.length > 256 || BAD_USER.test(user)) {
    throw new StoreError('invalid', `not a valid address (user@domain): ${JSON.stringify(input)}`);
  }
  let domain: string;
  try {
    domain = normalizeDomain(text.slice(at + 1));
  } catch {
    throw new StoreError('invalid', `not a valid address (user@domain): ${JSON.stringify(input)}`);
  }
  return { user, domain };
}
