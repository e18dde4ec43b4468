import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempStore } from '../../testing/sqlite.js';
import { ContactService, DEFAULT_GROUP } from './contact-service.js';
import { searchDirectory } from './directory.js';
import { PresenceError, type PresenceErrorCode } from './errors.js';

async function setup(maxContacts = 1000, maxPrompts = 200) {
  const t = await tempStore();
  await t.store.domains.add('example.com', { isDefault: true });
  const alice = await t.store.users.create({ address: 'alice@example.com', displayName: 'Alice Liddell', phone: '+1 (425) 555-0100' });
  for (const [a, n, p] of [
    ['bob@example.com', 'Bob Builder', '+1 425 555 0101'],
    ['carol@example.com', 'Carol Danvers', null],
    ['dave@example.com', 'Dave Bowman', '+44 20 7946 0000'],
  ] as const) {
    await t.store.users.create({ address: a, displayName: n, phone: p });
  }
  const events: string[] = [];
  const contacts = new ContactService({
    store: t.store,
    now: Date.now,
    isLocalDomain: (d) => d === 'example.com',
    maxContacts,
    maxPrompts,
    onRelationshipChanged: (o, w) => events.push(`rel ${o} ${w}`),
    onListChanged: (o) => events.push(`list ${o.address}`),
  });
  return { ...t, alice, contacts, events };
}

const fails = (code: PresenceErrorCode) => (e: unknown) => e instanceof PresenceError && e.code === code;

test('groups: a default one on first use, add, rename, remove moves the contacts to the default', async () => {
  const s = await setup();
  try {
    const [first] = await s.contacts.groups(s.alice);
    assert.equal(first.name, DEFAULT_GROUP);
    const team = await s.contacts.addGroup(s.alice, '  Team  ');
    assert.equal(team.name, 'Team');
    await assert.rejects(s.contacts.addGroup(s.alice, 'team'), fails('duplicate-group'));
    await s.contacts.renameGroup(s.alice, team.id, 'Core team');
    await s.contacts.addContact(s.alice, { address: 'sip:Bob@Example.com', groupId: team.id });
    await s.contacts.removeGroup(s.alice, team.id);
    const { groups, contacts } = await s.contacts.list(s.alice);
    assert.deepEqual(groups.map((g) => g.name), [DEFAULT_GROUP]);
    assert.equal(contacts[0].groupId, first.id);
    await assert.rejects(s.contacts.removeGroup(s.alice, first.id), fails('invalid-name'));
    await assert.rejects(s.contacts.renameGroup(s.alice, 'nope', 'x'), fails('no-such-group'));
  } finally {
    await s.cleanup();
  }
});

test('contacts: add, move, relationship, remove; the policy limit; clear errors', async () => {
  const s = await setup(2);
  try {
    const bob = await s.contacts.addContact(s.alice, { address: 'bob@example.com', relationship: 'workgroup' });
    assert.equal(bob.relationship, 'workgroup');
    assert.deepEqual(s.events, ['rel alice@example.com bob@example.com', 'list alice@example.com']);
    await assert.rejects(s.contacts.addContact(s.alice, { address: 'bob@example.com' }), fails('duplicate-contact'));
    await assert.rejects(s.contacts.addContact(s.alice, { address: 'alice@example.com' }), fails('self-contact'));
    await assert.rejects(s.contacts.addContact(s.alice, { address: 'nobody@example.com' }), fails('no-such-user'));
    await assert.rejects(s.contacts.addContact(s.alice, { address: 'not an address' }), fails('invalid-address'));
    await s.contacts.addContact(s.alice, { address: 'eve@partner.org' }); // external: kept without a look-up
    await assert.rejects(s.contacts.addContact(s.alice, { address: 'carol@example.com' }), (e: unknown) => fails('contact-limit')(e) && /at most 2 contacts/.test((e as Error).message));
    s.events.length = 0;
    const g = await s.contacts.addGroup(s.alice, 'Friends');
    const moved = await s.contacts.updateContact(s.alice, 'bob@example.com', { groupId: g.id });
    assert.equal(moved.groupId, g.id);
    assert.deepEqual(s.events, [], 'a move changes no relationship');
    await s.contacts.updateContact(s.alice, 'bob@example.com', { relationship: 'blocked' });
    assert.deepEqual(s.events, ['rel alice@example.com bob@example.com']);
    assert.equal(await s.contacts.relationship('alice@example.com', 'bob@example.com'), 'blocked');
    assert.equal(await s.contacts.relationship('alice@example.com', 'carol@example.com'), 'colleagues');
    assert.equal(await s.contacts.relationship('alice@example.com', 'eve@partner.org'), 'external');
    const toward = await s.contacts.relationshipsToward('bob@example.com', ['alice@example.com', 'carol@example.com']);
    assert.deepEqual([...toward], [['alice@example.com', 'blocked'], ['carol@example.com', 'colleagues']]);
    await s.contacts.removeContact(s.alice, 'bob@example.com');
    assert.equal(await s.contacts.relationship('alice@example.com', 'bob@example.com'), 'colleagues');
    await assert.rejects(s.contacts.removeContact(s.alice, 'bob@example.com'), fails('no-such-contact'));
    assert.deepEqual(await s.contacts.repo.listedBy('eve@partner.org'), ['alice@example.com']);
  } finally {
    await s.cleanup();
  }
});

test('directory: by name prefix (any word), SIP address, phone digits', async () => {
  const s = await setup();
  try {
    const find = async (q: string) => (await searchDirectory(s.store, q)).map((e) => e.address);
    assert.deepEqual(await find('Builder'), ['bob@example.com']);
    assert.deepEqual(await find('sip:carol@'), ['carol@example.com']);
    assert.deepEqual(await find('555-0101'), ['bob@example.com']);
    assert.deepEqual(await find('4255550100'), ['alice@example.com']);
    assert.deepEqual(await find('%'), []);
    assert.deepEqual(await find(''), []);
    assert.deepEqual((await find('bo')).sort(), ['bob@example.com', 'dave@example.com']);
  } finally {
    await s.cleanup();
  }
});

test('prompted subscribers: adding someone leaves them a prompt until acknowledged or added back; 200 at most (prompt-limit)', async () => {
  const s = await setup(1000, 2);
  try {
    const user = async (a: string) => (await s.store.users.getByAddress(a))!;
    const [bob, carol, dave] = await Promise.all(['bob@example.com', 'carol@example.com', 'dave@example.com'].map(user));
    await s.contacts.addContact(bob, { address: 'alice@example.com' });
    await s.contacts.addContact(carol, { address: 'alice@example.com' });
    assert.deepEqual((await s.contacts.prompted(s.alice)).map((p) => p.watcher), ['bob@example.com', 'carol@example.com']);
    // The third unacknowledged request is refused, with what to do in the message; nothing is added.
    await assert.rejects(s.contacts.addContact(dave, { address: 'alice@example.com' }), (e: unknown) => fails('prompt-limit')(e) && /not yet acknowledged/.test((e as Error).message));
    assert.equal((await s.contacts.list(dave)).contacts.length, 0, 'all or nothing');
    // Acknowledging makes room; an unknown one is 404 no-such-prompt.
    await s.contacts.acknowledge(s.alice, 'sip:Bob@example.com');
    await assert.rejects(s.contacts.acknowledge(s.alice, 'bob@example.com'), fails('no-such-prompt'));
    await s.contacts.addContact(dave, { address: 'alice@example.com' });
    // Adding carol back acts on her prompt; dave removing alice withdraws his.
    await s.contacts.addContact(s.alice, { address: 'carol@example.com' });
    assert.deepEqual((await s.contacts.prompted(s.alice)).map((p) => p.watcher), ['dave@example.com']);
    await s.contacts.removeContact(dave, 'alice@example.com');
    assert.deepEqual(await s.contacts.prompted(s.alice), []);
    // Adding someone who lists you already prompts nobody; external contacts are never prompted.
    await s.contacts.addContact(carol, { address: 'bob@example.com' });
    assert.deepEqual((await s.contacts.prompted(bob)).map((p) => p.watcher), ['carol@example.com']);
    await s.contacts.addContact(bob, { address: 'carol@example.com' });
    assert.deepEqual(await s.contacts.prompted(carol), []);
    await s.contacts.addContact(s.alice, { address: 'eve@elsewhere.org' });
  } finally {
    await s.cleanup();
  }
});
