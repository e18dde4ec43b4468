/** The contact list: search (my contacts and the directory), groups, the contact card. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { RELATIONSHIPS, RELATIONSHIP_LABEL, type Relationship } from '../presence/availability.js';
import type { App, Contact } from '../state/app.js';
import { useStore } from '../state/store.js';
import { Avatar, formatTime, MenuButton, Modal, PresenceLabel } from './common.js';
import { ChevronIcon, CloseIcon, MoreIcon, PlusIcon, SearchIcon } from './icons.js';

const RELATIONSHIP_HINT: Record<Relationship, string> = {
  'friends-family': 'Sees everything, including your home and mobile numbers.',
  workgroup: 'Can interrupt you while you are in Do Not Disturb.',
  colleagues: 'Sees your status, note and location (the default for people here).',
  external: 'Sees only your status, name and company.',
  blocked: 'Sees you as Offline and cannot reach you.',
};

function ContactRow({ app, c, onCard }: { app: App; c: Contact; onCard: (address: string) => void }) {
  const p = useStore(app.store, (s) => s.presence[c.address]);
  const now = useStore(app.store, (s) => s.now);
  const unread = useStore(app.store, (s) => s.conversations[c.address]?.unread ?? 0);
  const name = c.displayName ?? c.address;
  const presence = p ?? app.presenceOf(c.address);
  return (
    <li class="contact" data-address={c.address} data-state={presence.cls}>
      <button
        type="button"
        class="contact-main"
        onClick={() => app.openConversation(c.address)}
        title={`Send an instant message to ${name}`}
      >
        <Avatar name={name} presence={presence} />
        <span class="contact-text">
          <span class="contact-name">{name}</span>
          <span class="contact-sub">
            <PresenceLabel presence={presence} now={now} />
            {presence.note && <span class="contact-note"> — {presence.note}</span>}
          </span>
        </span>
        {unread > 0 && (
          <span class="badge">
            <span class="visually-hidden">, </span>
            {unread}
            <span class="visually-hidden"> unread</span>
          </span>
        )}
      </button>
      <MenuButton
        label={`More options for ${name}`}
        align="end"
        items={[
          { label: 'Send an IM', onSelect: () => app.openConversation(c.address) },
          { label: 'View contact card', onSelect: () => onCard(c.address) },
          { label: 'Remove from contacts', danger: true, separatorBefore: true, onSelect: () => void app.removeContact(c.address).catch(() => undefined) },
        ]}
      >
        <MoreIcon />
      </MenuButton>
    </li>
  );
}

function ContactCard({ app, c, onClose }: { app: App; c: Contact; onClose: () => void }) {
  const groups = useStore(app.store, (s) => s.groups);
  const p = useStore(app.store, (s) => s.presence[c.address]) ?? app.presenceOf(c.address);
  const live = useStore(app.store, (s) => s.contacts[c.address]) ?? c;
  const now = useStore(app.store, (s) => s.now);
  const name = c.displayName ?? c.address;
  const rel: Relationship = live.relationship ?? (c.address.endsWith(`@${app.state.user?.domain ?? app.state.user?.address.split('@')[1]}`) ? 'colleagues' : 'external');
  return (
    <Modal title="Contact card" onClose={onClose}>
      <div class="card-head">
        <Avatar name={name} presence={p} size={64} />
        <div>
          <div class="card-name">{name}</div>
          <div class="muted">{c.address}</div>
          <PresenceLabel presence={p} now={now} />
          {p.note && <p class="card-note">{p.note}</p>}
          {p.location && <p class="muted">{p.location}</p>}
        </div>
      </div>
      <div class="field">
        <label for="card-group">Group</label>
        <select id="card-group" value={live.groupId} onChange={(e) => void app.updateContact(c.address, { groupId: e.currentTarget.value }).catch(() => undefined)}>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="card-rel">Privacy relationship</label>
        <select id="card-rel" value={rel} aria-describedby="card-rel-hint" onChange={(e) => void app.updateContact(c.address, { relationship: e.currentTarget.value as Relationship }).catch(() => undefined)}>
          {RELATIONSHIPS.map((r) => (
            <option key={r} value={r}>
              {RELATIONSHIP_LABEL[r]}
            </option>
          ))}
        </select>
        <p id="card-rel-hint" class="hint">
          {RELATIONSHIP_HINT[rel]}
        </p>
      </div>
      <div class="modal-actions">
        <button type="button" class="danger-button" onClick={() => void app.removeContact(c.address).then(onClose, () => undefined)}>
          Remove from contacts
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => {
            onClose();
            app.openConversation(c.address);
          }}
        >
          Send an IM
        </button>
      </div>
    </Modal>
  );
}

function GroupSection({ app, id, name, contacts, onCard }: { app: App; id: string; name: string; contacts: Contact[]; onCard: (address: string) => void }) {
  const [open, setOpen] = useState(true);
  const [rename, setRename] = useState(false);
  const presence = useStore(app.store, (s) => s.presence);
  const online = contacts.filter((c) => (presence[c.address]?.cls ?? 'offline') !== 'offline').length;
  const headId = `group-${id}`;
  return (
    <section class="group" aria-labelledby={headId}>
      <div class="group-head">
        <h3 id={headId} class="group-title">
          <button type="button" class="group-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
            <ChevronIcon open={open} />
            <span>{name}</span>
            <span class="group-count" aria-label={`${online} of ${contacts.length} online`}>
              {online}/{contacts.length}
            </span>
          </button>
        </h3>
        <MenuButton
          label={`Options for group ${name}`}
          align="end"
          items={[
            { label: 'Rename group', onSelect: () => setRename(true) },
            { label: 'Delete group', danger: true, onSelect: () => void app.removeGroup(id).catch(() => undefined) },
          ]}
        >
          <MoreIcon size={16} />
        </MenuButton>
      </div>
      {open &&
        (contacts.length === 0 ? (
          <p class="empty-group">No contacts in this group.</p>
        ) : (
          <ul class="contact-list" aria-label={name}>
            {contacts.map((c) => (
              <ContactRow key={c.address} app={app} c={c} onCard={onCard} />
            ))}
          </ul>
        ))}
      {rename && <GroupNameDialog title="Rename group" initial={name} onClose={() => setRename(false)} onSave={(n) => app.renameGroup(id, n)} />}
    </section>
  );
}

function GroupNameDialog({ title, initial, onClose, onSave }: { title: string; initial: string; onClose: () => void; onSave: (name: string) => Promise<void> }) {
  const [name, setName] = useState(initial);
  return (
    <Modal title={title} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onSave(name).then(onClose, () => undefined);
        }}
      >
        <div class="field">
          <label for="group-name">Group name</label>
          <input id="group-name" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
        </div>
        <div class="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DirectoryResults({ app, q }: { app: App; q: string }) {
  const [state, setState] = useState<{ q: string; users: Array<{ address: string; displayName: string | null }> | undefined; error?: string }>({ q, users: undefined });
  const groups = useStore(app.store, (s) => s.groups);
  const contacts = useStore(app.store, (s) => s.contacts);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      app.searchDirectory(q).then(
        (users) => live && setState({ q, users }),
        () => live && setState({ q, users: [], error: 'The directory cannot be searched right now.' }),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [q]);
  const users = state.users;
  return (
    <section class="directory" aria-labelledby="dir-title" aria-busy={users === undefined}>
      <h3 id="dir-title" class="section-title">
        Directory
      </h3>
      {state.error && <p class="form-error">{state.error}</p>}
      {users === undefined ? (
        <p class="muted pad">Searching…</p>
      ) : users.length === 0 ? (
        <p class="muted pad">No one in the directory matches “{q}”.</p>
      ) : (
        <ul class="contact-list">
          {users.map((u) => {
            const name = u.displayName ?? u.address;
            const listed = !!contacts[u.address];
            return (
              <li class="contact directory-entry" key={u.address} data-address={u.address}>
                <button type="button" class="contact-main" onClick={() => app.openConversation(u.address)} title={`Send an instant message to ${name}`}>
                  <Avatar name={name} />
                  <span class="contact-text">
                    <span class="contact-name">{name}</span>
                    <span class="contact-sub muted">{u.address}</span>
                  </span>
                </button>
                {listed ? (
                  <span class="tag">In contacts</span>
                ) : (
                  <MenuButton
                    label={`Add ${name} to contacts`}
                    align="end"
                    class="add-button"
                    items={groups.map((g) => ({ label: `Add to ${g.name}`, onSelect: () => void app.addContact(u.address, g.id).catch(() => undefined) }))}
                  >
                    <PlusIcon size={16} /> <span>Add</span>
                  </MenuButton>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function RecentList({ app }: { app: App }) {
  const conversations = useStore(app.store, (s) => s.conversations);
  const now = useStore(app.store, (s) => s.now);
  const list = Object.values(conversations)
    .filter((c) => c.lastAt > 0)
    .sort((a, b) => b.lastAt - a.lastAt);
  if (list.length === 0) return <p class="muted pad">No conversations yet. Choose a contact to send an instant message.</p>;
  return (
    <ul class="contact-list" aria-label="Recent conversations">
      {list.map((c) => {
        const name = app.displayName(c.peer);
        const p = app.presenceOf(c.peer);
        return (
          <li class="contact" key={c.peer} data-address={c.peer}>
            <button type="button" class="contact-main" onClick={() => app.openConversation(c.peer)}>
              <Avatar name={name} presence={p} />
              <span class="contact-text">
                <span class="contact-name">
                  {name} <span class="muted small">{formatTime(c.lastAt, now)}</span>
                </span>
                <span class="contact-sub muted">{c.lastText}</span>
              </span>
              {c.unread > 0 && (
                <span class="badge">
                  <span class="visually-hidden">, </span>
                  {c.unread}
                  <span class="visually-hidden"> unread</span>
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export function ContactsPane({ app }: { app: App }) {
  const groups = useStore(app.store, (s) => s.groups);
  const contacts = useStore(app.store, (s) => s.contacts);
  const loaded = useStore(app.store, (s) => s.contactsLoaded);
  const unreadTotal = useStore(app.store, (s) => Object.values(s.conversations).reduce((t, c) => t + c.unread, 0));
  const [q, setQ] = useState('');
  const [tab, setTab] = useState<'groups' | 'recent'>('groups');
  const [newGroup, setNewGroup] = useState(false);
  // Here rather than in the row: moving the contact to another group re-mounts its row.
  const [card, setCard] = useState<string | null>(null);
  const cardContact = card ? contacts[card] : undefined;
  const query = q.trim().toLowerCase();
  const byGroup = useMemo(() => {
    const m = new Map<string, Contact[]>();
    for (const c of Object.values(contacts)) {
      const name = (c.displayName ?? c.address).toLowerCase();
      if (query && !name.includes(query) && !c.address.includes(query)) continue;
      (m.get(c.groupId) ?? m.set(c.groupId, []).get(c.groupId)!).push(c);
    }
    for (const l of m.values()) l.sort((a, b) => (a.displayName ?? a.address).localeCompare(b.displayName ?? b.address));
    return m;
  }, [contacts, query]);
  const count = Object.keys(contacts).length;

  return (
    <div class="contacts-pane">
      <div class="search">
        <SearchIcon />
        <label class="visually-hidden" for="contact-search">
          Find someone
        </label>
        <input id="contact-search" type="search" placeholder="Find someone or add a contact" value={q} onInput={(e) => setQ(e.currentTarget.value)} autoComplete="off" />
        {q && (
          <button type="button" class="icon-button" aria-label="Clear search" onClick={() => setQ('')}>
            <CloseIcon size={14} />
          </button>
        )}
      </div>
      {query ? (
        <div class="pane-scroll">
          <section aria-labelledby="mine-title">
            <h3 id="mine-title" class="section-title">
              My contacts
            </h3>
            {[...byGroup.values()].flat().length === 0 ? (
              <p class="muted pad">None of your contacts match.</p>
            ) : (
              <ul class="contact-list">
                {[...byGroup.values()].flat().map((c) => (
                  <ContactRow key={c.address} app={app} c={c} onCard={setCard} />
                ))}
              </ul>
            )}
          </section>
          <DirectoryResults app={app} q={q.trim()} />
        </div>
      ) : (
        <>
          <div class="tabs" role="tablist" aria-label="Contact views" onKeyDown={(e) => {
            // WAI-ARIA tabs pattern: arrows move and select (automatic activation), Home/End go to the ends.
            const order = ['groups', 'recent'] as const;
            const i = order.indexOf(tab);
            let next: (typeof order)[number] | undefined;
            if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = order[(i + 1) % order.length];
            else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = order[(i - 1 + order.length) % order.length];
            else if (e.key === 'Home') next = order[0];
            else if (e.key === 'End') next = order[order.length - 1];
            if (!next) return;
            e.preventDefault();
            setTab(next);
            document.getElementById(`tab-${next}`)?.focus();
          }}>
            <button type="button" role="tab" id="tab-groups" aria-selected={tab === 'groups'} aria-controls="panel-contacts" tabIndex={tab === 'groups' ? 0 : -1} onClick={() => setTab('groups')}>
              Groups
            </button>
            <button type="button" role="tab" id="tab-recent" aria-selected={tab === 'recent'} aria-controls="panel-contacts" tabIndex={tab === 'recent' ? 0 : -1} onClick={() => setTab('recent')}>
              Conversations{unreadTotal > 0 && <span class="badge small"><span class="visually-hidden">, </span>{unreadTotal}<span class="visually-hidden"> unread</span></span>}
            </button>
          </div>
          <div class="pane-scroll" role="tabpanel" id="panel-contacts" aria-labelledby={tab === 'groups' ? 'tab-groups' : 'tab-recent'}>
            {tab === 'recent' ? (
              <RecentList app={app} />
            ) : !loaded ? (
              <p class="muted pad" aria-busy="true">
                Loading contacts…
              </p>
            ) : (
              <>
                {count === 0 && <p class="muted pad">Your contact list is empty. Search above to find people and add them.</p>}
                {groups.map((g) => (
                  <GroupSection key={g.id} app={app} id={g.id} name={g.name} contacts={byGroup.get(g.id) ?? []} onCard={setCard} />
                ))}
                <button type="button" class="link-button new-group" onClick={() => setNewGroup(true)}>
                  <PlusIcon size={14} /> New group
                </button>
              </>
            )}
          </div>
        </>
      )}
      {cardContact && <ContactCard app={app} c={cardContact} onClose={() => setCard(null)} />}
      {newGroup && <GroupNameDialog title="New group" initial="" onClose={() => setNewGroup(false)} onSave={(n) => app.addGroup(n)} />}
    </div>
  );
}
