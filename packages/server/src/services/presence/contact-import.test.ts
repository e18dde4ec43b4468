import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempStore } from '../../testing/sqlite.js';
import { importContacts, type ContactImportRow } from './contact-import.js';
import { ContactService, DEFAULT_GROUP } from './contact-service.js';

test('contact import: all or nothing, the service\'s rules, the default group first, no prompts', async () => {
  const t = await tempStore();
  try {
    await t.store.domains.add('example.com', { isDefault: true });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await t.store.users.create({ address: `${u}@example.com` });
    const isLocalDomain = (d: string) => d === 'example.com';
    const svc = new ContactService({ store: t.store, now: Date.now, isLocalDomain });
    const alice = (await t.store.users.getByAddress('alice@example.com'))!;
    const bob = (await t.store.users.getByAddress('bob@example.com'))!;
    await svc.addContact(alice, { address: 'dave@example.com' }); // already in the store
    let line = 1;
    const row = (owner: string, contact: string, group = '', relationship = ''): ContactImportRow => ({ line: ++line, owner, contact, group, relationship });
    const good = [
      row('alice@example.com', 'bob@example.com', 'Team', 'workgroup'),
      row('alice@example.com', 'carol@example.com'),
      row('Bob@Example.com', 'sip:alice@example.com', '', 'friends-family'),
      row('bob@example.com', 'eve@elsewhere.org', 'Partners'),
    ];
    const bad = [
      row('alice@example.com', 'dave@example.com'), // duplicate of the store
      row('alice@example.com', 'bob@example.com'), // duplicate in the file
      row('nobody@example.com', 'bob@example.com'),
      row('bob@example.com', 'ghost@example.com'),
      row('bob@example.com', 'carol@example.com', '', 'boss'),
      row('bob@example.com', 'bob@example.com'),
    ];
    const refused = await importContacts(t.store, [...good, ...bad], { isLocalDomain, now: Date.now() });
    assert.equal(refused.imported, 0);
    assert.deepEqual(refused.errors.map((e) => e.line), bad.map((r) => r.line));
    assert.equal((await svc.list(bob)).contacts.length, 0, 'nothing imported');

    const ok = await importContacts(t.store, good, { isLocalDomain, now: Date.now() });
    // Team for alice, Partners for bob (his default group was made when his empty list was read above).
    assert.deepEqual([ok.imported, ok.groupsCreated, ok.errors.length], [4, 2, 0]);
    const a = await svc.list(alice);
    assert.deepEqual(a.groups.map((g) => g.name), [DEFAULT_GROUP, 'Team'], 'alice had her default group; Team comes after it');
    assert.deepEqual(a.contacts.map((c) => [c.address, c.relationship]), [['bob@example.com', 'workgroup'], ['carol@example.com', null], ['dave@example.com', null]]);
    const b = await svc.list(bob);
    assert.deepEqual(b.groups.map((g) => [g.name, g.position]), [[DEFAULT_GROUP, 0], ['Partners', 1]]);
    assert.equal(await svc.relationship('bob@example.com', 'alice@example.com'), 'friends-family');
    assert.deepEqual(await svc.prompted(bob), [], 'an administrator\'s import prompts nobody');
    // The contact limit counts what the store holds.
    const full = await importContacts(t.store, [row('carol@example.com', 'alice@example.com'), row('carol@example.com', 'bob@example.com')], { isLocalDomain, now: Date.now(), maxContacts: 1 });
    assert.match(full.errors[0].message, /contact list full/);
  } finally {
    await t.cleanup();
  }
});
