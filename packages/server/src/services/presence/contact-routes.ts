/**
 * REST routes of presence under `/api/v1` (signed-in users; see README.md
 * in this folder for the table): the caller's contact list and groups, who
 * lists the caller, a user's presence as the caller may see it, and
 * directory search. Every failure leaves through the API's catalogue: a
 * PresenceError becomes the ApiError of its row in `errors.ts`.
 */
import type { ApiRoutes } from '../../http/api/index.js';
import { ApiError } from '../../http/api/index.js';
import type { User } from '../../store/index.js';
import { classOf } from './availability.js';
import type { ContactService } from './contact-service.js';
import type { Contact, ContactGroup } from './contact-repo.js';
import { displayNames, searchDirectory } from './directory.js';
import { PRESENCE_ERRORS, PresenceError } from './errors.js';
import type { PresenceAgent } from './presence-agent.js';
import { RELATIONSHIPS, viewFor, type Relationship } from './privacy.js';
import type { SubscriptionManager } from './subscription-manager.js';

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false }) as const;
const str = (maxLength: number, minLength = 1) => ({ type: 'string', minLength, maxLength }) as const;
const relationship = { type: ['string', 'null'], enum: [...RELATIONSHIPS, null] } as const;

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PresenceError) throw new ApiError(PRESENCE_ERRORS[e.code].http, e.message);
    throw e;
  }
}

export interface PresenceRoutesDeps {
  readonly contacts: ContactService;
  readonly agent: PresenceAgent;
  readonly manager: SubscriptionManager;
}

export function presenceRoutes(d: PresenceRoutesDeps): ApiRoutes {
  /** What `me` sees of each of `addresses`. */
  const presenceFor = async (me: User, addresses: string[]): Promise<Map<string, ReturnType<typeof presenceView>>> => {
    const rels = await d.contacts.relationshipsToward(me.address, addresses);
    await Promise.all(addresses.map((a) => d.agent.loadCard(a)));
    return new Map(addresses.map((a) => [a, presenceView(d.agent, a, rels.get(a)!)]));
  };

  return (api, guards) => {
    const signedIn = { onRequest: guards.signedIn };
    const me = (request: Parameters<typeof guards.principal>[0]): User => guards.principal(request).user;

    api.get('/me/contacts', signedIn, (request) =>
      run(async () => {
        const user = me(request);
        const { groups, contacts } = await d.contacts.list(user);
        const addresses = contacts.map((c) => c.address);
        const [names, presence] = await Promise.all([displayNames(d.contacts.store, addresses), presenceFor(user, addresses)]);
        return {
          groups: groups.map(groupView),
          contacts: contacts.map((c) => ({ ...contactView(c, names.get(c.address) ?? null), presence: presence.get(c.address) })),
          limit: d.contacts.maxContacts,
        };
      }),
    );

    api.post<{ Body: { address: string; groupId?: string; relationship?: Relationship | null } }>(
      '/me/contacts',
      { ...signedIn, schema: { body: obj({ address: str(320), groupId: str(64), relationship }, ['address']) } },
      (request, reply) =>
        run(async () => {
          const c = await d.contacts.addContact(me(request), request.body);
          const names = await displayNames(d.contacts.store, [c.address]);
          return reply.code(201).send({ contact: contactView(c, names.get(c.address) ?? null) });
        }),
    );

    api.patch<{ Params: { address: string }; Body: { groupId?: string; relationship?: Relationship | null } }>(
      '/me/contacts/:address',
      { ...signedIn, schema: { params: obj({ address: str(320) }, ['address']), body: obj({ groupId: str(64), relationship }) } },
      (request) =>
        run(async () => {
          const c = await d.contacts.updateContact(me(request), request.params.address, request.body);
          const names = await displayNames(d.contacts.store, [c.address]);
          return { contact: contactView(c, names.get(c.address) ?? null) };
        }),
    );

    api.delete<{ Params: { address: string } }>('/me/contacts/:address', { ...signedIn, schema: { params: obj({ address: str(320) }, ['address']) } }, (request, reply) =>
      run(async () => {
        await d.contacts.removeContact(me(request), request.params.address);
        return reply.code(204).send();
      }),
    );

    api.get('/me/groups', signedIn, (request) => run(async () => ({ groups: (await d.contacts.groups(me(request))).map(groupView) })));

    api.post<{ Body: { name: string } }>('/me/groups', { ...signedIn, schema: { body: obj({ name: str(64) }, ['name']) } }, (request, reply) =>
      run(async () => reply.code(201).send({ group: groupView(await d.contacts.addGroup(me(request), request.body.name)) })),
    );

    api.patch<{ Params: { id: string }; Body: { name: string } }>(
      '/me/groups/:id',
      { ...signedIn, schema: { params: obj({ id: str(64) }, ['id']), body: obj({ name: str(64) }, ['name']) } },
      (request) => run(async () => ({ group: groupView(await d.contacts.renameGroup(me(request), request.params.id, request.body.name)) })),
    );

    api.delete<{ Params: { id: string } }>('/me/groups/:id', { ...signedIn, schema: { params: obj({ id: str(64) }, ['id']) } }, (request, reply) =>
      run(async () => {
        await d.contacts.removeGroup(me(request), request.params.id);
        return reply.code(204).send();
      }),
    );

    api.get('/me/watchers', signedIn, (request) =>
      run(async () => {
        const user = me(request);
        const listedBy = await d.contacts.repo.listedBy(user.address);
        const watching = [...new Set([...d.manager.watchersOf(user.address).values()].map((w) => w.uri.replace(/^sip:/, '')))];
        const prompted = (await d.contacts.prompted(user)).map((p) => ({ address: p.watcher, since: new Date(p.createdAt).toISOString() }));
        return { listedBy, watching, prompted, promptLimit: d.contacts.maxPrompts };
      }),
    );

    api.post<{ Params: { address: string } }>('/me/watchers/:address/ack', { ...signedIn, schema: { params: obj({ address: str(320) }, ['address']) } }, (request, reply) =>
      run(async () => {
        await d.contacts.acknowledge(me(request), request.params.address);
        return reply.code(204).send();
      }),
    );

    api.get<{ Params: { address: string } }>('/presence/:address', { ...signedIn, schema: { params: obj({ address: str(320) }, ['address']) } }, (request) =>
      run(async () => {
        const address = request.params.address.trim().toLowerCase().replace(/^sips?:/, '');
        const user = await d.contacts.store.users.getByAddress(address);
        if (!user || !user.enabled) throw new PresenceError('no-such-user', `no user ${address}`);
        const presence = await presenceFor(me(request), [address]);
        return { address, presence: presence.get(address) };
      }),
    );

    api.get<{ Querystring: { q: string; limit: number } }>(
      '/directory',
      { ...signedIn, schema: { querystring: obj({ q: str(256, 0), limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }, ['q']) } },
      (request) => run(async () => ({ users: await searchDirectory(d.contacts.store, request.query.q, request.query.limit) })),
    );
  };
}

function groupView(g: ContactGroup) {
  return { id: g.id, name: g.name, position: g.position, createdAt: new Date(g.createdAt).toISOString() };
}

function contactView(c: Contact, displayName: string | null) {
  return {
    address: c.address,
    displayName,
    groupId: c.groupId,
    relationship: c.relationship,
    createdAt: new Date(c.createdAt).toISOString(),
  };
}

/** Never says which relationship the owner chose: a blocked watcher sees a plain Offline. */
function presenceView(agent: PresenceAgent, address: string, rel: Relationship) {
  const v = viewFor(agent.stateOf(address), rel, agent.cardOf(address));
  return {
    availability: v.availability,
    state: classOf(v.availability),
    activity: v.activity ?? null,
    note: v.note ?? null,
    idleSince: v.idleSince !== undefined ? new Date(v.idleSince).toISOString() : null,
    location: v.location ?? null,
    interruptible: v.interruptible,
    outOfOffice: v.oof !== undefined,
    oofNote: v.oof?.note ?? null,
  };
}
