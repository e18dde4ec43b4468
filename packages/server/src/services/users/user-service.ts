/**
 * Domains and users (issue: Standard Edition). The CLI and the admin REST API
 * both go through this service, so the rules are in one place: addresses are
 * `user@domain` with a domain the server serves; passwords are checked for
 * strength and turned into HA1 values and a scrypt hash, never stored.
 */
import { StoreError, type Domain, type Store, type User, type UserRole } from '../../store/index.js';
import { UserError } from './errors.js';
import { checkPasswordStrength, credentialsFor, generatePassword } from './passwords.js';

const USER_PART = /^[a-z0-9][a-z0-9._+-]{0,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export interface NewUserInput {
  address: string;
  displayName?: string | null;
  /** Omit with `generatePassword: true`. */
  password?: string;
  generatePassword?: boolean;
  role?: UserRole;
  enabled?: boolean;
  phone?: string | null;
}

/** Normalise and check `user@domain`; throws UserError('malformed-address'). */
export function parseAddress(input: string): { address: string; user: string; domain: string } {
  const a = String(input ?? '').trim().toLowerCase().replace(/^sips?:/, '');
  const at = a.indexOf('@');
  const user = a.slice(0, at);
  const domain = a.slice(at + 1);
  if (at <= 0 || !USER_PART.test(user) || !DOMAIN.test(domain))
    throw new UserError('malformed-address', `malformed address "${input}": expected user@domain`);
  return { address: `${user}@${domain}`, user, domain };
}

function mapStore(err: unknown, what: string): never {
  if (err instanceof StoreError) {
    if (err.code === 'conflict') throw new UserError('duplicate-user', `${what} already exists`);
    if (err.code === 'not-found') throw new UserError('not-found', `${what} not found`);
    if (err.code === 'invalid') throw new UserError('invalid', err.message);
  }
  throw err;
}

export class UserService {
  constructor(private readonly store: Store) {}

  // ---- domains
  async addDomain(name: string, opts: { isDefault?: boolean } = {}): Promise<Domain> {
    const d = String(name ?? '').trim().toLowerCase();
    if (!DOMAIN.test(d)) throw new UserError('invalid', `malformed domain "${name}"`);
    if (await this.store.domains.get(d)) throw new UserError('duplicate-domain', `domain ${d} already exists`);
    const first = (await this.store.domains.list()).length === 0;
    try {
      return await this.store.domains.add(d, { isDefault: opts.isDefault || first });
    } catch (e) {
      if (e instanceof StoreError && e.code === 'conflict') throw new UserError('duplicate-domain', `domain ${d} already exists`);
      throw e;
    }
  }

  listDomains(): Promise<Domain[]> {
    return this.store.domains.list();
  }

  async removeDomain(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const d = String(name ?? '').trim().toLowerCase();
    if (!(await this.store.domains.get(d))) throw new UserError('unknown-domain', `unknown domain ${d}`);
    const users = await this.store.users.count({ domain: d });
    if (users > 0 && !opts.force)
      throw new UserError('domain-in-use', `domain ${d} has ${users} user(s); remove them or use --force`);
    await this.store.domains.remove(d, { force: opts.force });
  }

  // ---- users
  /** Create a user. Returns the user and, when generated, the password (shown once). */
  async addUser(input: NewUserInput): Promise<{ user: User; password?: string }> {
    const { address, domain } = parseAddress(input.address);
    if (!(await this.store.domains.get(domain))) throw new UserError('unknown-domain', `unknown domain ${domain}`);
    if (await this.store.users.getByAddress(address)) throw new UserError('duplicate-user', `user ${address} already exists`);
    let password = input.password;
    let generated: string | undefined;
    if (input.generatePassword) password = generated = generatePassword();
    if (password === undefined) throw new UserError('weak-password', 'a password is required (or --generate-password)');
    checkPasswordStrength(password, address);
    const credentials = await credentialsFor(address, password);
    try {
      const user = await this.store.users.create({
        address,
        displayName: input.displayName ?? null,
        role: input.role ?? 'user',
        enabled: input.enabled ?? true,
        phone: input.phone ?? null,
        credentials,
      });
      return { user, password: generated };
    } catch (e) {
      mapStore(e, `user ${address}`);
    }
  }

  async getUser(address: string): Promise<User> {
    const { address: a } = parseAddress(address);
    const u = await this.store.users.getByAddress(a);
    if (!u) throw new UserError('not-found', `user ${a} not found`);
    return u;
  }

  listUsers(opts: { search?: string; domain?: string; limit?: number; offset?: number } = {}): Promise<User[]> {
    return this.store.users.list(opts);
  }

  async setEnabled(address: string, enabled: boolean): Promise<User> {
    const u = await this.getUser(address);
    try {
      return await this.store.users.setEnabled(u.address, enabled);
    } catch (e) {
      mapStore(e, `user ${u.address}`);
    }
  }

  async setPassword(address: string, opts: { password?: string; generate?: boolean }): Promise<{ user: User; password?: string }> {
    const u = await this.getUser(address);
    const password = opts.generate ? generatePassword() : opts.password;
    if (password === undefined) throw new UserError('weak-password', 'a password is required (or --generate-password)');
    checkPasswordStrength(password, u.address);
    const user = await this.store.users.setCredentials(u.address, await credentialsFor(u.address, password));
    return { user, password: opts.generate ? password : undefined };
  }

  async removeUser(address: string): Promise<void> {
    const u = await this.getUser(address);
    await this.store.registrations.removeAll(u.address);
    await this.store.users.remove(u.address);
  }

  /**
   * Check a batch (e.g. a CSV) and create it in one transaction: all or
   * nothing. `onProgress(done, total)` is called as rows are prepared.
   */
  async importUsers(
    rows: Array<{ address: string; name?: string; password: string }>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ created: number; errors: Array<{ line: number; message: string }> }> {
    const errors: Array<{ line: number; message: string }> = [];
    const domains = new Set((await this.store.domains.list()).map((d) => d.name));
    const checked: Array<{ address: string; name?: string; password: string }> = [];
    const seen = new Set<string>();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      try {
        const { address, domain } = parseAddress(r.address);
        if (!domains.has(domain)) throw new UserError('unknown-domain', `unknown domain ${domain}`);
        if (seen.has(address)) throw new UserError('duplicate-user', `${address} appears twice`);
        seen.add(address);
        checkPasswordStrength(r.password, address);
        checked.push({ address, name: r.name, password: r.password });
      } catch (e) {
        errors.push({ line: i + 2, message: e instanceof Error ? e.message : String(e) });
      }
    }
    if (errors.length > 0) return { created: 0, errors };
    // Hash on the libuv thread pool, a few at a time.
    const prepared: Array<{ address: string; displayName: string | null; credentials: Awaited<ReturnType<typeof credentialsFor>> }> = [];
    let done = 0;
    for (let i = 0; i < checked.length; i += 8) {
      const chunk = checked.slice(i, i + 8);
      const creds = await Promise.all(chunk.map((r) => credentialsFor(r.address, r.password)));
      chunk.forEach((r, k) => prepared.push({ address: r.address, displayName: r.name || null, credentials: creds[k] }));
      done += chunk.length;
      onProgress?.(done, rows.length);
    }
    if (errors.length > 0) return { created: 0, errors };
    const res = await this.store.users.createMany(prepared);
    for (const e of res.errors) errors.push({ line: e.index + 2, message: e.error.message });
    return { created: res.committed ? res.created.length : 0, errors };
  }
}
