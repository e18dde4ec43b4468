/**
 * Bulk import of contact lists (`parley contact import FILE`): rows of
 * owner, contact, group, relationship, written ALL OR NOTHING in one
 * transaction, with the rules of `contact-service.ts` checked for every row
 * first (owners and local contacts must be users, relationships and group
 * names valid, no duplicates, at most `maxContacts` contacts and
 * `maxGroups` groups per owner, counting what the store holds already).
 * An administrator's import is an established list: it leaves no prompts
 * (prompted subscribers) and notifies nobody — a running server sees the
 * rows at the next subscription or REST read, as it reads contact lists
 * from the store.
 *
 * Rows are inserted 500 at a time (portable multi-row INSERT), so 20,000
 * users × 80 contacts take seconds, not the hours of 1.6 M REST calls.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { normalizeAddress, toStoreError, type Database, type Store } from '../../store/index.js';
import type { ContactGroupsTable, ContactsTable } from './contact-repo.js';
import { DEFAULT_GROUP } from './contact-service.js';
import { isRelationship, type Relationship } from './privacy.js';

export interface ContactImportRow {
  /** 1-based line of the source, for error messages. */
  readonly line: number;
  readonly owner: string;
  readonly contact: string;
  /** Group name; empty: the default group ("Other Contacts"). */
  readonly group: string;
  /** Relationship; empty: the default (by domain). */
  readonly relationship: string;
}

export interface ContactImportResult {
  readonly imported: number;
  readonly groupsCreated: number;
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
}

type Db = Kysely<Database & { contact_groups: ContactGroupsTable; contacts: ContactsTable }>;

const BATCH = 500;

export async function importContacts(
  store: Pick<Store, 'db'>,
  rows: readonly ContactImportRow[],
  o: { isLocalDomain: (domain: string) => boolean; now: number; maxContacts?: number; maxGroups?: number },
): Promise<ContactImportResult> {
  const db: Db = store.db.withTables<{ contact_groups: ContactGroupsTable; contacts: ContactsTable }>();
  const maxContacts = o.maxContacts ?? 1000;
  const maxGroups = o.maxGroups ?? 64;
  const errors: Array<{ line: number; message: string }> = [];
  const fail = (line: number, message: string): void => {
    if (errors.length < 1000) errors.push({ line, message });
  };
  try {
    const users = new Map((await db.selectFrom('users').select(['id', 'address']).execute()).map((u) => [u.address, u.id]));
    type Parsed = { line: number; ownerId: string; address: string; group: string; relationship: Relationship | null };
    const parsed: Parsed[] = [];
    const norm = (raw: string, line: number, what: string): string | undefined => {
      try {
        return normalizeAddress(raw);
      } catch {
        fail(line, `${what} is not an address (user@domain): ${JSON.stringify(raw)}`);
        return undefined;
      }
    };
    for (const r of rows) {
      const owner = norm(r.owner, r.line, 'owner');
      const contact = norm(r.contact, r.line, 'contact');
      if (owner === undefined || contact === undefined) continue;
      const ownerId = users.get(owner);
      if (ownerId === undefined) {
        fail(r.line, `no user ${owner}`);
        continue;
      }
      if (owner === contact) {
        fail(r.line, `${owner} cannot list themself`);
        continue;
      }
      if (o.isLocalDomain(contact.slice(contact.lastIndexOf('@') + 1)) && !users.has(contact)) {
        fail(r.line, `no user ${contact}`);
        continue;
      }
      const rel = r.relationship.trim();
      if (rel !== '' && !isRelationship(rel)) {
        fail(r.line, `unknown relationship ${JSON.stringify(rel)}`);
        continue;
      }
      const group = r.group.trim().replace(/\s+/g, ' ');
      if (group.length > 64) {
        fail(r.line, 'a group name has at most 64 characters');
        continue;
      }
      parsed.push({ line: r.line, ownerId, address: contact, group, relationship: rel === '' ? null : rel });
    }

    // What the store holds for these owners already.
    const owners = [...new Set(parsed.map((p) => p.ownerId))];
    const existing = new Map<string, Set<string>>();
    const groups = new Map<string, Map<string, { id: string; position: number }>>();
    for (let i = 0; i < owners.length; i += BATCH) {
      const slice = owners.slice(i, i + BATCH);
      for (const c of await db.selectFrom('contacts').select(['owner_id', 'address']).where('owner_id', 'in', slice).execute()) {
        let s = existing.get(c.owner_id);
        if (!s) existing.set(c.owner_id, (s = new Set()));
        s.add(c.address);
      }
      for (const g of await db.selectFrom('contact_groups').select(['owner_id', 'id', 'name', 'position']).where('owner_id', 'in', slice).orderBy('position').execute()) {
        let m = groups.get(g.owner_id);
        if (!m) groups.set(g.owner_id, (m = new Map()));
        m.set(g.name.toLowerCase(), { id: g.id, position: Number(g.position) });
      }
    }
    const newGroups: ContactGroupsTable[] = [];
    const groupOf = (ownerId: string, name: string): string | undefined => {
      let m = groups.get(ownerId);
      if (!m) groups.set(ownerId, (m = new Map()));
      if (m.size === 0) {
        // The first group is the default one, at position 0 (contact-service.ts).
        const d: ContactGroupsTable = { id: randomUUID(), owner_id: ownerId, name: DEFAULT_GROUP, position: 0, created_at: o.now };
        newGroups.push(d);
        m.set(DEFAULT_GROUP.toLowerCase(), { id: d.id, position: 0 });
      }
      if (name === '') return [...m.values()].sort((a, b) => a.position - b.position)[0].id;
      const found = m.get(name.toLowerCase());
      if (found) return found.id;
      if (m.size >= maxGroups) return undefined;
      const g: ContactGroupsTable = { id: randomUUID(), owner_id: ownerId, name, position: Math.max(...[...m.values()].map((x) => x.position)) + 1, created_at: o.now };
      newGroups.push(g);
      m.set(name.toLowerCase(), { id: g.id, position: g.position });
      return g.id;
    };
    const newContacts: ContactsTable[] = [];
    for (const p of parsed) {
      let s = existing.get(p.ownerId);
      if (!s) existing.set(p.ownerId, (s = new Set()));
      if (s.has(p.address)) {
        fail(p.line, `${p.address} is in that contact list already`);
        continue;
      }
      if (s.size >= maxContacts) {
        fail(p.line, `contact list full: at most ${maxContacts} contacts per user, presence policy`);
        continue;
      }
      const groupId = groupOf(p.ownerId, p.group);
      if (groupId === undefined) {
        fail(p.line, `at most ${maxGroups} groups per user`);
        continue;
      }
      s.add(p.address);
      newContacts.push({ id: randomUUID(), owner_id: p.ownerId, address: p.address, group_id: groupId, relationship: p.relationship, created_at: o.now, updated_at: o.now });
    }
    if (errors.length > 0) return { imported: 0, groupsCreated: 0, errors: errors.sort((a, b) => a.line - b.line) };

    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < newGroups.length; i += BATCH) await trx.insertInto('contact_groups').values(newGroups.slice(i, i + BATCH)).execute();
      for (let i = 0; i < newContacts.length; i += BATCH) await trx.insertInto('contacts').values(newContacts.slice(i, i + BATCH)).execute();
    });
    return { imported: newContacts.length, groupsCreated: newGroups.length, errors };
  } catch (err) {
    throw toStoreError(err, 'import contacts');
  }
}
