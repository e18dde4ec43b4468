/** The signed-in frame: header with my presence, navigation, connection state, notifications. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CHOICES, CHOICE_LABEL, classOf, availabilityOf, availabilityText, AVAILABILITY, type AvailabilityClass, type ChosenStatus, type Presence } from '../presence/availability.js';
import type { App } from '../state/app.js';
import { useStore } from '../state/store.js';
import { Avatar, MenuButton, PresenceLabel } from './common.js';
import { ControlPanel } from './ControlPanel.js';
import { ContactsPane } from './Contacts.js';
import { ConversationsPane } from './Conversations.js';
import { ChatIcon, CloseIcon, Logo, PresenceIcon, ShieldIcon, SignOutIcon } from './icons.js';

/** What I look like to others, as far as this device knows. */
function myPresence(status: ChosenStatus, idleSince: number | undefined, now: number): Presence {
  const n = availabilityOf(status);
  let cls: AvailabilityClass = n === undefined ? 'available' : classOf(n);
  if (idleSince !== undefined && (cls === 'available' || cls === 'busy')) {
    const idleFor = now - idleSince;
    if (cls === 'busy') cls = idleFor >= 5 * 60_000 ? 'busy-idle' : 'busy';
    else cls = idleFor >= 10 * 60_000 ? 'away' : idleFor >= 5 * 60_000 ? 'inactive' : 'available';
  }
  return { availability: n ?? AVAILABILITY.available, cls, activity: undefined, note: undefined, idleSince, location: undefined };
}

function MyStatus({ app }: { app: App }) {
  const user = useStore(app.store, (s) => s.user)!;
  const my = useStore(app.store, (s) => s.my);
  const now = useStore(app.store, (s) => s.now);
  const [note, setNote] = useState(my.note);
  const noteRef = useRef<HTMLInputElement>(null);
  // A note set on another device shows here, unless this one is being edited.
  useEffect(() => {
    if (document.activeElement !== noteRef.current) setNote(my.note);
  }, [my.note]);
  // The server's aggregate over all my devices, unless a choice made here is not reflected in it yet.
  const p = my.server && my.confirmed ? my.server : myPresence(my.status, my.idleSince, Math.max(now, Date.now()));
  const name = user.displayName ?? user.address;
  const statusText = availabilityText(p, now);
  const items = CHOICES.map((c) => ({
    label: CHOICE_LABEL[c],
    checked: my.status === c,
    icon: c === 'reset' ? <span class="menu-icon-spacer" /> : <PresenceIcon cls={c === 'appear-offline' ? 'offline' : classOf(availabilityOf(c)!)} />,
    separatorBefore: c === 'reset',
    onSelect: () => app.setStatus(c),
  }));
  return (
    <section class="me" aria-label="My status" data-state={p.cls}>
      <Avatar name={name} presence={p} size={44} />
      <div class="me-text">
        <div class="me-name">{name}</div>
        <MenuButton label={`My status: ${p.cls === 'offline' ? 'Appear Offline' : statusText}. Change status`} items={items} class="status-button">
          <PresenceLabel presence={p} now={now} />
          <span aria-hidden="true" class="caret">▾</span>
        </MenuButton>
        <form
          class="note-form"
          onSubmit={(e) => {
            e.preventDefault();
            app.setNote(note);
            (document.activeElement as HTMLElement | null)?.blur();
          }}
        >
          <label class="visually-hidden" for="my-note">
            Personal note
          </label>
          <input
            id="my-note"
            ref={noteRef}
            class="note-input"
            placeholder="What's happening today?"
            maxLength={500}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
            onBlur={() => app.setNote(note)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setNote(my.note);
                e.currentTarget.blur();
              }
            }}
          />
        </form>
      </div>
    </section>
  );
}

function LinkBanner({ app }: { app: App }) {
  const link = useStore(app.store, (s) => s.link);
  const detail = useStore(app.store, (s) => s.linkDetail);
  if (link === 'online' || link === 'idle' || link === 'stopped' || link === 'signed-out') return null;
  const text = link === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <div class={`banner banner-${link}`} role="status" aria-live="polite" data-link={link}>
      <span class="spinner" aria-hidden="true" />
      <span>
        <strong>{text}</strong> {link === 'reconnecting' && <span class="muted-on-dark">Your status and messages will update when the connection is back{detail ? ` (${detail})` : ''}.</span>}
      </span>
    </div>
  );
}

function Toasts({ app }: { app: App }) {
  const toasts = useStore(app.store, (s) => s.toasts);
  return (
    <div class="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <div class="toast-body">
            <strong>{t.title}</strong>
            <span>{t.text.length > 140 ? `${t.text.slice(0, 140)}…` : t.text}</span>
          </div>
          {t.peer && (
            <button
              type="button"
              class="link-button"
              onClick={() => {
                app.openConversation(t.peer!);
                app.dismissToast(t.id);
              }}
            >
              Reply
            </button>
          )}
          <button type="button" class="icon-button" aria-label="Dismiss notification" onClick={() => app.dismissToast(t.id)}>
            <CloseIcon size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

export function Shell({ app }: { app: App }) {
  const user = useStore(app.store, (s) => s.user)!;
  const view = useStore(app.store, (s) => s.view);
  const active = useStore(app.store, (s) => s.active);
  const link = useStore(app.store, (s) => s.link);
  const isAdmin = user.role === 'admin';
  return (
    <div class={`shell view-${view} ${active ? 'has-active' : ''}`} data-link={link}>
      <header class="topbar">
        <a class="brand" href="/" onClick={(e) => { e.preventDefault(); app.setView('im'); }} aria-label="Parley home">
          <Logo />
          <span>Parley</span>
        </a>
        <nav aria-label="Main">
          <button type="button" class={`nav-button ${view === 'im' ? 'current' : ''}`} aria-current={view === 'im' ? 'page' : undefined} onClick={() => app.setView('im')}>
            <ChatIcon /> <span>Contacts</span>
          </button>
          {isAdmin && (
            <button type="button" class={`nav-button ${view === 'admin' ? 'current' : ''}`} aria-current={view === 'admin' ? 'page' : undefined} onClick={() => app.setView('admin')}>
              <ShieldIcon /> <span>Control Panel</span>
            </button>
          )}
          <button type="button" class="nav-button" onClick={() => void app.signOut()}>
            <SignOutIcon /> <span>Sign out</span>
          </button>
        </nav>
      </header>
      <LinkBanner app={app} />
      {view === 'admin' && isAdmin ? (
        <ControlPanel app={app} />
      ) : (
        <div class="workspace">
          <aside class="sidebar" aria-label="Contacts and status">
            <MyStatus app={app} />
            <ContactsPane app={app} />
          </aside>
          <ConversationsPane app={app} />
        </div>
      )}
      <Toasts app={app} />
    </div>
  );
}
