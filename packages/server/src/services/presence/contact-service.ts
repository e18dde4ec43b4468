/**
 * Server-side contact lists, shared by every device of a user: groups,
 * contacts and the privacy relationship each contact is given.
 *
 * Rules (the original's, where it has one):
 * - at most {@link ContactServiceOptions.maxContacts} contacts per user (the
 *   original's presence policy: 1,000) — beyond: `contact-limit`;
 * - a contact is in exactly one group; a user's first group, "Other
 *   Contacts", is made on first use and cannot be removed; removing another
 *   group moves its contacts there;
 * - a contact of a domain this server serves must be an existing user;
 *   addresses of other domains are kept (external contacts);
 * - the relationship is one of `privacy.ts`, or null for the default;
 * - prompted subscribers (the original's "someone added you" prompt): adding
 *   a local user who does not list you yet leaves them a prompt until they
 *   acknowledge it (`acknowledge`) or add you back; at most
 *   {@link ContactServiceOptions.maxPrompts} (200, the original's presence
 *   policy) unacknowledged per user — past it the ADDITION is refused
 *   (`prompt-limit`, 403): nothing is kept that the user could not see.
 *   Removing the contact again withdraws the prompt.
 *
 * Changes that alter what a watcher sees are reported at once
 * (`onRelationshipChanged`), and so are changes of the set of contacts
 * (`onListChanged`, for resource-list subscriptions).
 */
import { normalizeAddress, StoreError, type Store, type User } from '../../store/index.js';
import { ContactRepo, type Contact, type ContactGroup } from './contact-repo.js';
import { PromptRepo, type Prompt } from './prompt-repo.js';
import { PresenceError } from './errors.js';
import { defaultRelationship, isRelationship, type Relationship } from './privacy.js';

export const DEFAULT_GROUP = 'Other Contacts';

export interface ContactServiceOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly isLocalDomain: (domain: string) => boolean;
  /** Default 1,000. */
  readonly maxContacts?: number;
  /** Default 64. */
  readonly maxGroups?: number;
  /** Unacknowledged prompts per user (prompted subscribers). Default 200. */
  readonly maxPrompts?: number;
  onRelationshipChanged?(owner: string, watcher: string): void;
  onListChanged?(owner: Owner): void;
}

/** The user a change is made for: id and address. */
export type Owner = Pick<User, 'id' | 'address'>;

export interface ContactPatch {
  readonly groupId?: string;
  readonly relationship?: Relationship | null;
}

const cleanName = (name: string): string => {
  const n = name.trim().replace(/\s+/g, ' ');
  if (n.length === 0 || n.length > 64) throw new PresenceError('invalid-name', 'a group name has 1 to 64 characters');
  return n;
};

export class ContactService {
  readonly repo: ContactRepo;
  readonly prompts: PromptRepo;
  readonly maxContacts: number;
  readonly maxPrompts: number;
  readonly #maxGroups: number;

  constructor(private readonly o: ContactServiceOptions) {
    this.repo = new ContactRepo(o.store, o.now);
    this.prompts = new PromptRepo(o.store);
    this.maxContacts = o.maxContacts ?? 1000;
    this.maxPrompts = o.maxPrompts ?? 200;
    this.#maxGroups = o.maxGroups ?? 64;
  }

  get store(): Store {
    return this.o.store;
  }

  async groups(owner: Owner): Promise<ContactGroup[]> {
    const groups = await this.repo.groups(owner.id);
    if (groups.length > 0) return groups;
    return [await this.#defaultGroup(owner)];
  }

  async list(owner: Owner): Promise<{ groups: ContactGroup[]; contacts: Contact[] }> {
    const [groups, contacts] = await Promise.all([this.groups(owner), this.repo.contacts(owner.id)]);
    return { groups, contacts };
  }

  async #defaultGroup(owner: Owner): Promise<ContactGroup> {
    const groups = await this.repo.groups(owner.id);
    const found = groups.find((g) => g.position === 0) ?? groups[0];
    if (found) return found;
    try {
      return await this.repo.createGroup(owner.id, DEFAULT_GROUP, 0);
    } catch (e) {
      // Made at the same moment by another request.
      const again = (await this.repo.groups(owner.id))[0];
      if (again) return again;
      throw e;
    }
  }

  async #group(owner: Owner, id: string): Promise<ContactGroup> {
    const g = (await this.groups(owner)).find((x) => x.id === id);
    if (!g) throw new PresenceError('no-such-group', `no group ${id}`);
    return g;
  }

  async addGroup(owner: Owner, name: string): Promise<ContactGroup> {
    const n = cleanName(name);
    const groups = await this.groups(owner);
    if (groups.some((g) => g.name.toLowerCase() === n.toLowerCase())) throw new PresenceError('duplicate-group', `a group named ${n} exists`);
    if (groups.length >= this.#maxGroups) throw new PresenceError('group-limit', `at most ${this.#maxGroups} groups`);
    return this.#conflictAs('duplicate-group', () => this.repo.createGroup(owner.id, n, Math.max(...groups.map((g) => g.position)) + 1));
  }

  async renameGroup(owner: Owner, id: string, name: string): Promise<ContactGroup> {
    const n = cleanName(name);
    const groups = await this.groups(owner);
    const g = groups.find((x) => x.id === id);
    if (!g) throw new PresenceError('no-such-group', `no group ${id}`);
    if (groups.some((x) => x.id !== id && x.name.toLowerCase() === n.toLowerCase())) throw new PresenceError('duplicate-group', `a group named ${n} exists`);
    await this.#conflictAs('duplicate-group', () => this.repo.renameGroup(owner.id, id, n));
    return { ...g, name: n };
  }

  /** Removes a group; its contacts move to the default group. */
  async removeGroup(owner: Owner, id: string): Promise<void> {
    const target = await this.#group(owner, id);
    const first = await this.#defaultGroup(owner);
    if (target.id === first.id) throw new PresenceError('invalid-name', `the group ${first.name} cannot be removed`);
    await this.repo.removeGroup(owner.id, id, first.id);
  }

  async addContact(owner: Owner, input: { address: string; groupId?: string; relationship?: Relationship | null }): Promise<Contact> {
    const address = await this.#contactAddress(owner, input.address);
    if (input.relationship != null && !isRelationship(input.relationship)) throw new PresenceError('invalid-name', `unknown relationship ${String(input.relationship)}`);
    if (await this.repo.get(owner.id, address)) throw new PresenceError('duplicate-contact', `${address} is in the contact list already`);
    if ((await this.repo.count(owner.id)) >= this.maxContacts)
      throw new PresenceError('contact-limit', `contact list full: at most ${this.maxContacts} contacts per user, presence policy`);
    const group = input.groupId !== undefined ? await this.#group(owner, input.groupId) : await this.#defaultGroup(owner);
    const prompted = await this.#prompt(owner.address, address);
    let contact: Contact;
    try {
      contact = await this.#conflictAs('duplicate-contact', () => this.repo.add(owner.id, { address, groupId: group.id, relationship: input.relationship ?? null }));
    } catch (e) {
      if (prompted) await this.prompts.remove(address, owner.address).catch(() => undefined);
      throw e;
    }
    // Adding back someone who added you acts on their prompt.
    await this.prompts.remove(owner.address, address);
    if (contact.relationship !== null) this.o.onRelationshipChanged?.(owner.address, address);
    this.o.onListChanged?.({ id: owner.id, address: owner.address });
    return contact;
  }

  /** Moves a contact to another group and/or changes its relationship. */
  async updateContact(owner: Owner, rawAddress: string, patch: ContactPatch): Promise<Contact> {
    const address = this.#normalize(rawAddress);
    const before = await this.repo.get(owner.id, address);
    if (!before) throw new PresenceError('no-such-contact', `${address} is not in the contact list`);
    if (patch.relationship != null && !isRelationship(patch.relationship)) throw new PresenceError('invalid-name', `unknown relationship ${String(patch.relationship)}`);
    if (patch.groupId !== undefined) await this.#group(owner, patch.groupId);
    const after = await this.repo.update(owner.id, address, patch);
    if (!after) throw new PresenceError('no-such-contact', `${address} is not in the contact list`);
    if (after.relationship !== before.relationship) this.o.onRelationshipChanged?.(owner.address, address);
    return after;
  }

  async removeContact(owner: Owner, rawAddress: string): Promise<void> {
    const address = this.#normalize(rawAddress);
    const before = await this.repo.get(owner.id, address);
    if (!before || (await this.repo.remove(owner.id, address)) === 0) throw new PresenceError('no-such-contact', `${address} is not in the contact list`);
    await this.prompts.remove(address, owner.address);
    if (before.relationship !== null) this.o.onRelationshipChanged?.(owner.address, address);
    this.o.onListChanged?.({ id: owner.id, address: owner.address });
  }

  /**
   * Leaves `contact` a prompt that `adder` added them, when `contact` is a
   * local user who does not list `adder` yet. Returns true when one was made.
   * Throws `prompt-limit` when `contact` has {@link maxPrompts} already.
   */
  async #prompt(adder: string, contact: string): Promise<boolean> {
    if (!this.o.isLocalDomain(contact.slice(contact.lastIndexOf('@') + 1))) return false;
    if ((await this.repo.relationshipsToward(adder, [contact])).has(contact)) return false;
    if (await this.prompts.has(contact, adder)) return false;
    if ((await this.prompts.count(contact)) >= this.maxPrompts)
      throw new PresenceError('prompt-limit', `${contact} has ${this.maxPrompts} contact requests not yet acknowledged (presence policy); try later`);
    return this.prompts.add(contact, adder, this.o.now());
  }

  /** Who added `owner` and is not yet acknowledged, oldest first. */
  async prompted(owner: Owner): Promise<Prompt[]> {
    return this.prompts.list(owner.address, this.maxPrompts);
  }

  /** `owner` saw that `watcher` added them: the prompt goes. Throws `no-such-prompt`. */
  async acknowledge(owner: Owner, rawWatcher: string): Promise<void> {
    const watcher = this.#normalize(rawWatcher);
    if ((await this.prompts.remove(owner.address, watcher)) === 0) throw new PresenceError('no-such-prompt', `no contact request from ${watcher}`);
  }

  /** The relationship `owner` has with `watcher` (explicit, else by domain). */
  async relationship(owner: string, watcher: string): Promise<Relationship> {
    if (owner === watcher) return 'friends-family';
    const m = await this.repo.relationshipsToward(watcher, [owner]);
    return m.get(owner) ?? defaultRelationship(owner, watcher, this.o.isLocalDomain);
  }

  /** How each of `owners` relates to `watcher` (one query per 500 owners). */
  async relationshipsToward(watcher: string, owners: readonly string[]): Promise<Map<string, Relationship>> {
    const explicit = await this.repo.relationshipsToward(watcher, owners);
    const out = new Map<string, Relationship>();
    for (const o of owners) out.set(o, o === watcher ? 'friends-family' : (explicit.get(o) ?? defaultRelationship(o, watcher, this.o.isLocalDomain)));
    return out;
  }

  #normalize(raw: string): string {
    try {
      return normalizeAddress(raw);
    } catch (e) {
      if (e instanceof StoreError) throw new PresenceError('invalid-address', `not a valid address (user@domain): ${JSON.stringify(raw)}`);
      throw e;
    }
  }

  async #contactAddress(owner: Owner, raw: string): Promise<string> {
    const address = this.#normalize(raw);
    if (address === owner.address) throw new PresenceError('self-contact', 'you cannot add yourself as a contact');
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (this.o.isLocalDomain(domain)) {
      const user = await this.o.store.users.getByAddress(address);
      if (!user) throw new PresenceError('no-such-user', `no user ${address}`);
    }
    return address;
  }

  async #conflictAs<T>(code: 'duplicate-contact' | 'duplicate-group', fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreError && e.code === 'conflict') throw new PresenceError(code);
      throw e;
    }
  }
}
