/**
 * The client's controller: sign-in and the session, the SIP link, contacts
 * and presence, conversations, and notifications. Components read the store
 * and call these methods; nothing else changes the state.
 */
import { api, ApiError, describeError, type Group, type ImMessage, type RestContact, type User } from '../api.js';
import {
  availabilityOf,
  choiceOf,
  OFFLINE_PRESENCE,
  presenceFromRest,
  type ChosenStatus,
  type Presence,
  type Relationship,
} from '../presence/availability.js';
import { buildPublishPidf } from '../presence/pidf.js';
import type { ListNotify } from '../presence/rlmi.js';
import { SendError, SipClient, type IncomingIm, type LinkState } from '../sip/client.js';
import { IdleTracker } from './idle.js';
import { Store } from './store.js';

export interface Contact {
  readonly address: string;
  readonly displayName: string | null;
  readonly groupId: string;
  readonly relationship: Relationship | null;
}

export type MessageStatus = 'sending' | 'delivered' | 'stored' | 'failed' | 'pending' | 'missed';

export interface ChatMessage {
  readonly key: string;
  readonly id?: string;
  readonly direction: 'sent' | 'received';
  readonly body: string;
  readonly at: number;
  readonly status: MessageStatus;
}

export interface Conversation {
  readonly peer: string;
  readonly messages: readonly ChatMessage[];
  readonly unread: number;
  readonly loaded: boolean;
  /** Id of the oldest loaded message when older ones exist. */
  readonly next: string | null;
  readonly composing: boolean;
  readonly lastAt: number;
  readonly lastText: string | undefined;
}

export interface Toast {
  readonly id: number;
  readonly kind: 'message' | 'error' | 'info';
  readonly title: string;
  readonly text: string;
  readonly peer?: string;
}

export interface MyState {
  /** What this device last chose or adopted from another device (the status menu's tick). */
  readonly status: ChosenStatus;
  readonly note: string;
  /** This device's idleness (published as RPID user-input idle). */
  readonly idleSince: number | undefined;
  /** My state aggregated by the server over all my devices (the self subscription); undefined until its first NOTIFY. */
  readonly server: Presence | undefined;
  /** False from a choice made here until the server's state reflects it (or 3 s pass): meanwhile the choice is shown. */
  readonly confirmed: boolean;
}

export interface AppState {
  readonly phase: 'starting' | 'signed-out' | 'signed-in';
  readonly user: User | undefined;
  readonly signInError: string | undefined;
  readonly link: LinkState;
  readonly linkDetail: string | undefined;
  readonly groups: readonly Group[];
  readonly contacts: Readonly<Record<string, Contact>>;
  readonly contactsLoaded: boolean;
  readonly presence: Readonly<Record<string, Presence>>;
  readonly names: Readonly<Record<string, string>>;
  readonly conversations: Readonly<Record<string, Conversation>>;
  readonly open: readonly string[];
  readonly active: string | null;
  readonly view: 'im' | 'admin';
  readonly my: MyState;
  readonly toasts: readonly Toast[];
  readonly now: number;
}

const INITIAL: AppState = {
  phase: 'starting',
  user: undefined,
  signInError: undefined,
  link: 'idle',
  linkDetail: undefined,
  groups: [],
  contacts: {},
  contactsLoaded: false,
  presence: {},
  names: {},
  conversations: {},
  open: [],
  active: null,
  view: 'im',
  my: { status: 'reset', note: '', idleSince: undefined, server: undefined, confirmed: false },
  toasts: [],
  now: Date.now(),
};

const bareAddress = (uri: string): string => uri.replace(/^sips?:/i, '').split(';')[0].toLowerCase();
const emptyConversation = (peer: string): Conversation => ({ peer, messages: [], unread: 0, loaded: false, next: null, composing: false, lastAt: 0, lastText: undefined });

/** Idle after this long without input in the page (overridable for tests: localStorage parley.idleAfterMs). */
const IDLE_AFTER_MS = 60_000;
/** How long a choice made here wins over the server's state that does not reflect it yet. */
const CHOICE_SETTLE_MS = 3_000;
/** Stop showing "typing" when the peer's refresh passes; stop sending "active" after this long without keys (RFC 3994 §4.2). */
const TYPING_IDLE_MS = 5_000;

export class App {
  readonly store = new Store<AppState>(INITIAL);
  #sip: SipClient | undefined;
  #idle: IdleTracker | undefined;
  #toastId = 0;
  #keySeq = 0;
  #composingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #typingOut = new Map<string, { lastActive: number; timer: ReturnType<typeof setTimeout> }>();
  #ticker: ReturnType<typeof setInterval> | undefined;
  #readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #choiceAt = 0;

  get state(): AppState {
    return this.store.state;
  }

  #patch(p: Partial<AppState>): void {
    this.store.update((s) => ({ ...s, ...p }));
  }

  #conv(peer: string, fn: (c: Conversation) => Conversation): void {
    this.store.update((s) => ({ ...s, conversations: { ...s.conversations, [peer]: fn(s.conversations[peer] ?? emptyConversation(peer)) } }));
  }

  // ---- session ----

  /** On page load: a live session continues, else the sign-in page. */
  async boot(): Promise<void> {
    window.addEventListener('online', () => this.#sip?.nudge());
    window.addEventListener('offline', () => this.#sip?.networkDown());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.state.active && this.state.view === 'im') this.#markRead(this.state.active);
      this.#title();
    });
    for (;;) {
      try {
        const { user } = await api.me();
        await this.#enter(user);
        return;
      } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          this.#patch({ phase: 'signed-out' });
          return;
        }
        // The server is unreachable right now: say so, and try again.
        this.#patch({ phase: 'signed-out', signInError: `${describeError(e)} Retrying…` });
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  async signIn(address: string, password: string): Promise<void> {
    this.#patch({ signInError: undefined });
    try {
      const { user } = await api.signIn(address.trim(), password);
      if (typeof Notification !== 'undefined' && Notification.permission === 'default') {
        void Notification.requestPermission().catch(() => undefined);
      }
      await this.#enter(user);
    } catch (e) {
      this.#patch({ signInError: describeError(e) });
    }
  }

  async signOut(): Promise<void> {
    const sip = this.#sip;
    this.#sip = undefined;
    await sip?.stop();
    try {
      await api.signOut();
    } catch {
      /* the session may already be gone */
    }
    this.#leave();
  }

  #leave(signInError?: string): void {
    const sip = this.#sip;
    this.#sip = undefined;
    void sip?.stop();
    this.#idle?.stop();
    this.#idle = undefined;
    clearInterval(this.#ticker);
    for (const t of this.#composingTimers.values()) clearTimeout(t);
    for (const t of this.#typingOut.values()) clearTimeout(t.timer);
    this.#composingTimers.clear();
    this.#typingOut.clear();
    this.store.update(() => ({ ...INITIAL, phase: 'signed-out', signInError, now: Date.now() }));
    document.title = 'Parley';
  }

  async #enter(user: User): Promise<void> {
    const saved = readSaved(user.address);
    // This device's saved choice is published on sign-in; it settles like a choice made now.
    this.#choiceAt = Date.now();
    this.#patch({ phase: 'signed-in', user, signInError: undefined, my: { status: saved.status, note: saved.note, idleSince: undefined, server: undefined, confirmed: false } });
    if (location.pathname.startsWith('/admin') && user.role === 'admin') this.#patch({ view: 'admin' });

    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sip`;
    this.#sip = new SipClient(
      {
        address: user.address,
        displayName: user.displayName ?? undefined,
        server: wsUrl,
        instanceId: deviceId(),
        sessionAlive: async () => {
          try {
            await api.me();
            return true;
          } catch (e) {
            if (e instanceof ApiError && e.status === 401) return false;
            throw e;
          }
        },
      },
      {
        onLinkState: (link, detail) => {
          this.#patch({ link, linkDetail: detail });
          if (link === 'signed-out') this.#leave('Your session has ended. Sign in again.');
          if (link === 'online') void this.#loadContacts();
        },
        onListNotify: (n) => this.#onList(n),
        onSelfNotify: (p) => this.#onSelf(p),
        onMessage: (m) => this.#onMessage(m),
        onComposing: (peer, active, refreshS) => this.#onComposing(peer, active, refreshS),
      },
    );
    this.#publish();
    this.#sip.start();

    const idleAfter = Number(localStorage.getItem('parley.idleAfterMs')) || IDLE_AFTER_MS;
    this.#idle = new IdleTracker(idleAfter, (idleSince) => {
      this.#patch({ my: { ...this.state.my, idleSince } });
      this.#publish();
    });
    this.#idle.start();
    this.#ticker = setInterval(() => this.#patch({ now: Date.now() }), 30_000);

    await Promise.all([this.#loadContacts(), this.#loadConversations()]);
  }

  // ---- my presence ----

  /** `send: false`: only keep the document for later (re)publications. */
  #publish(send = true): void {
    const user = this.state.user;
    if (!user || !this.#sip) return;
    const { status, note, idleSince } = this.state.my;
    this.#sip.publish(buildPublishPidf({ entity: `sip:${user.address}`, availability: availabilityOf(status), note, idleSince }), send);
  }

  setStatus(status: ChosenStatus): void {
    this.#choiceAt = Date.now();
    this.#patch({ my: { ...this.state.my, status, confirmed: false } });
    save(this.state.user?.address, { status, note: this.state.my.note });
    this.#publish();
  }

  setNote(note: string): void {
    const clean = note.trim().slice(0, 500);
    if (clean === this.state.my.note) return;
    this.#choiceAt = Date.now();
    this.#patch({ my: { ...this.state.my, note: clean, confirmed: false } });
    save(this.state.user?.address, { status: this.state.my.status, note: clean });
    this.#publish();
  }

  /**
   * My aggregated state from the server. Once it reflects what this device
   * chose (or that choice is 3 s old), a state or note chosen on another
   * device is adopted here: the status menu ticks it, and this device's
   * later publications (idle, refresh, reconnection) carry it instead of
   * overriding it with a stale choice (the latest manual state wins).
   */
  #onSelf(p: Presence): void {
    const my = this.state.my;
    const chosen = choiceOf(p);
    const note = p.note ?? '';
    const agrees = (chosen === undefined || chosen === my.status || (my.status === 'reset' && chosen === 'available')) && note === my.note;
    if (agrees || my.confirmed || Date.now() - this.#choiceAt >= CHOICE_SETTLE_MS) {
      const status = chosen === undefined || agrees ? my.status : chosen === 'available' && my.status === 'reset' ? 'reset' : chosen;
      const changed = status !== my.status || note !== my.note;
      this.#patch({ my: { ...my, status, note, server: p, confirmed: true } });
      if (changed) {
        save(this.state.user?.address, { status, note });
        this.#publish(false);
      }
    } else {
      this.#patch({ my: { ...my, server: p } });
    }
  }

  // ---- contacts ----

  async #loadContacts(): Promise<void> {
    try {
      const { groups, contacts } = await api.contacts();
      this.store.update((s) => {
        const presence = { ...s.presence };
        const names = { ...s.names };
        const map: Record<string, Contact> = {};
        for (const c of contacts) {
          map[c.address] = toContact(c);
          // The list subscription's NOTIFYs are newer than a REST answer that raced them.
          if (!presence[c.address] || !s.contactsLoaded) presence[c.address] = presenceFromRest(c.presence);
          if (c.displayName) names[c.address] = c.displayName;
        }
        return { ...s, groups: [...groups].sort((a, b) => a.position - b.position), contacts: map, presence, names, contactsLoaded: true };
      });
    } catch (e) {
      this.#handleApiError(e);
    }
  }

  #onList(n: ListNotify): void {
    this.store.update((s) => {
      const presence = { ...s.presence };
      const names = { ...s.names };
      for (const r of n.resources) {
        const a = bareAddress(r.uri);
        if (r.presence) presence[a] = r.presence;
        if (r.name && !names[a]) names[a] = r.name;
      }
      return { ...s, presence, names };
    });
  }

  async searchDirectory(q: string): Promise<Array<{ address: string; displayName: string | null }>> {
    if (q.trim() === '') return [];
    const { users } = await api.directory(q.trim());
    const me = this.state.user?.address;
    return users.filter((u) => u.address !== me);
  }

  async addContact(address: string, groupId?: string, relationship?: Relationship): Promise<void> {
    await this.#act(async () => {
      await api.addContact(address, groupId, relationship);
      await this.#loadContacts();
      this.toast('info', 'Contact added', `${this.displayName(address)} is now in your contacts.`);
    });
  }

  async updateContact(address: string, change: { groupId?: string; relationship?: Relationship | null }): Promise<void> {
    await this.#act(async () => {
      const { contact } = await api.updateContact(address, change);
      this.store.update((s) => ({ ...s, contacts: { ...s.contacts, [address]: toContact(contact) } }));
    });
  }

  async removeContact(address: string): Promise<void> {
    await this.#act(async () => {
      await api.removeContact(address);
      this.store.update((s) => {
        const contacts = { ...s.contacts };
        delete contacts[address];
        return { ...s, contacts };
      });
    });
  }

  async addGroup(name: string): Promise<void> {
    await this.#act(async () => {
      await api.addGroup(name.trim());
      await this.#loadContacts();
    });
  }

  async renameGroup(id: string, name: string): Promise<void> {
    await this.#act(async () => {
      await api.renameGroup(id, name.trim());
      await this.#loadContacts();
    });
  }

  async removeGroup(id: string): Promise<void> {
    await this.#act(async () => {
      await api.removeGroup(id);
      await this.#loadContacts();
    });
  }

  async #act(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.#handleApiError(e);
      throw e;
    }
  }

  #handleApiError(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) {
      this.#leave('Your session has ended. Sign in again.');
      return;
    }
    this.toast('error', 'Something went wrong', describeError(e));
  }

  displayName(address: string): string {
    return this.state.contacts[address]?.displayName ?? this.state.names[address] ?? address;
  }

  presenceOf(address: string): Presence {
    return this.state.presence[address] ?? OFFLINE_PRESENCE;
  }

  // ---- conversations ----

  async #loadConversations(): Promise<void> {
    try {
      const { conversations } = await api.conversations(50);
      this.store.update((s) => {
        const next = { ...s.conversations };
        for (const c of conversations) {
          const old = next[c.peer] ?? emptyConversation(c.peer);
          next[c.peer] = { ...old, unread: c.unread, lastAt: Date.parse(c.lastMessage.sentAt), lastText: c.lastMessage.body };
        }
        return { ...s, conversations: next };
      });
      this.#title();
    } catch (e) {
      this.#handleApiError(e);
    }
  }

  setView(view: 'im' | 'admin'): void {
    this.#patch({ view });
    const path = view === 'admin' ? '/admin' : '/';
    if (location.pathname !== path) history.pushState(null, '', path);
    if (view === 'im' && this.state.active) this.#markRead(this.state.active);
  }

  /** Opens (or brings forward) the conversation with `peer`. */
  openConversation(peer: string): void {
    const p = peer.toLowerCase();
    this.store.update((s) => ({
      ...s,
      view: 'im',
      open: s.open.includes(p) ? s.open : [...s.open, p],
      active: p,
      conversations: s.conversations[p] ? s.conversations : { ...s.conversations, [p]: emptyConversation(p) },
    }));
    if (location.pathname !== '/') history.pushState(null, '', '/');
    const c = this.state.conversations[p];
    if (!c?.loaded) void this.#loadHistory(p);
    else this.#markRead(p);
    if (!this.state.presence[p]) void this.#fetchPresence(p);
  }

  closeConversation(peer: string): void {
    this.store.update((s) => {
      const open = s.open.filter((x) => x !== peer);
      const i = s.open.indexOf(peer);
      const active = s.active === peer ? (open[Math.min(i, open.length - 1)] ?? null) : s.active;
      return { ...s, open, active };
    });
    if (this.state.active) this.#markRead(this.state.active);
  }

  /** Back to the contact list on a narrow screen. */
  showList(): void {
    this.#patch({ active: null });
  }

  async #fetchPresence(peer: string): Promise<void> {
    try {
      const { presence } = await api.presence(peer);
      this.store.update((s) => ({ ...s, presence: { ...s.presence, [peer]: s.presence[peer] ?? presenceFromRest(presence) } }));
    } catch {
      /* an unknown or external address: shown as Offline */
    }
  }

  async #loadHistory(peer: string, before?: string): Promise<void> {
    try {
      const { messages, next } = await api.messages(peer, before, 50);
      const older = messages.map(fromHistory).reverse();
      this.#conv(peer, (c) => {
        const known = new Set(c.messages.map((m) => m.id).filter((x): x is string => x !== undefined));
        const fresh = older.filter((m) => !known.has(m.id!));
        // Live messages that the history already holds (they arrived while it loaded).
        const live = before
          ? c.messages
          : c.messages.filter((m) => m.id !== undefined || !fresh.some((h) => h.direction === m.direction && h.body === m.body && Math.abs(h.at - m.at) < 10_000));
        const all = [...fresh, ...live].sort((a, b) => a.at - b.at);
        const last = all[all.length - 1];
        return { ...c, messages: all, loaded: true, next, lastAt: last?.at ?? c.lastAt, lastText: last?.body ?? c.lastText };
      });
      if (!before) this.#markRead(peer);
    } catch (e) {
      this.#conv(peer, (c) => ({ ...c, loaded: true }));
      this.#handleApiError(e);
    }
  }

  loadOlder(peer: string): Promise<void> {
    const c = this.state.conversations[peer];
    return c?.next ? this.#loadHistory(peer, c.next) : Promise.resolve();
  }

  #visible(peer: string): boolean {
    return !document.hidden && this.state.view === 'im' && this.state.active === peer;
  }

  #markRead(peer: string): void {
    const c = this.state.conversations[peer];
    if (!c) return;
    if (c.unread > 0) this.#conv(peer, (x) => ({ ...x, unread: 0 }));
    this.#title();
    clearTimeout(this.#readTimers.get(peer));
    this.#readTimers.set(
      peer,
      setTimeout(() => void api.markRead(peer).catch(() => undefined), 300),
    );
  }

  #title(): void {
    const n = Object.values(this.state.conversations).reduce((t, c) => t + c.unread, 0);
    document.title = n > 0 ? `(${n}) Parley` : 'Parley';
  }

  #onMessage(m: IncomingIm): void {
    const key = `k${++this.#keySeq}`;
    const visible = this.#visible(m.peer);
    const count = m.direction === 'received' && !visible ? 1 : 0;
    clearTimeout(this.#composingTimers.get(m.peer));
    this.#conv(m.peer, (c) => ({
      ...c,
      messages: [...c.messages, { key, direction: m.direction, body: m.body, at: m.at, status: 'delivered' }],
      unread: c.unread + count,
      composing: m.direction === 'received' ? false : c.composing,
      lastAt: m.at,
      lastText: m.body,
    }));
    if (m.direction !== 'received') return;
    if (visible) this.#markRead(m.peer);
    else {
      this.#title();
      const who = this.displayName(m.peer);
      this.toast('message', who, m.body, m.peer);
      if (document.hidden && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
        try {
          const n = new Notification(`${who} sent you a message`, { body: m.body.slice(0, 200), tag: `im-${m.peer}` });
          n.onclick = () => {
            window.focus();
            this.openConversation(m.peer);
            n.close();
          };
        } catch {
          /* notifications unavailable */
        }
      }
    }
  }

  #onComposing(peer: string, active: boolean, refreshS: number): void {
    clearTimeout(this.#composingTimers.get(peer));
    this.#conv(peer, (c) => ({ ...c, composing: active }));
    if (active) this.#composingTimers.set(peer, setTimeout(() => this.#conv(peer, (c) => ({ ...c, composing: false })), refreshS * 1000));
  }

  /** Called on each keystroke in the composer. */
  typing(peer: string, hasText: boolean): void {
    const t = this.#typingOut.get(peer);
    if (!hasText) {
      if (t) {
        clearTimeout(t.timer);
        this.#typingOut.delete(peer);
        this.#sip?.sendComposing(peer, 'idle');
      }
      return;
    }
    const now = Date.now();
    if (t) clearTimeout(t.timer);
    // RFC 3994 §4.2: refresh an active state before the refresh interval ends.
    if (!t || now - t.lastActive > 50_000) this.#sip?.sendComposing(peer, 'active');
    const lastActive = !t || now - t.lastActive > 50_000 ? now : t.lastActive;
    this.#typingOut.set(peer, {
      lastActive,
      timer: setTimeout(() => {
        this.#typingOut.delete(peer);
        this.#sip?.sendComposing(peer, 'idle');
      }, TYPING_IDLE_MS),
    });
  }

  async send(peer: string, text: string): Promise<void> {
    const body = text.replace(/\s+$/, '');
    if (body.trim() === '') return;
    const t = this.#typingOut.get(peer);
    if (t) clearTimeout(t.timer);
    this.#typingOut.delete(peer); // the message itself ends "typing" at the receiver (RFC 3994 §3.3)
    const key = `k${++this.#keySeq}`;
    const at = Date.now();
    this.#conv(peer, (c) => ({ ...c, messages: [...c.messages, { key, direction: 'sent', body, at, status: 'sending' }], lastAt: at, lastText: body }));
    const setStatus = (status: MessageStatus): void =>
      this.#conv(peer, (c) => ({ ...c, messages: c.messages.map((m) => (m.key === key ? { ...m, status } : m)) }));
    try {
      if (!this.#sip) throw new SendError(0, 'not signed in');
      setStatus(await this.#sip.sendMessage(peer, body));
    } catch (e) {
      setStatus('failed');
      const why = e instanceof SendError && e.status === 404 ? 'No such user.' : e instanceof SendError && e.status === 0 ? 'Not connected.' : e instanceof Error ? e.message : String(e);
      this.toast('error', 'Message not sent', why);
    }
  }

  // ---- toasts ----

  toast(kind: Toast['kind'], title: string, text: string, peer?: string): void {
    const id = ++this.#toastId;
    this.store.update((s) => ({ ...s, toasts: [...s.toasts.slice(-3), { id, kind, title, text, ...(peer ? { peer } : {}) }] }));
    setTimeout(() => this.dismissToast(id), kind === 'error' ? 8000 : kind === 'message' ? 6000 : 3500);
  }

  dismissToast(id: number): void {
    this.store.update((s) => (s.toasts.some((t) => t.id === id) ? { ...s, toasts: s.toasts.filter((t) => t.id !== id) } : s));
  }
}

function toContact(c: RestContact): Contact {
  return { address: c.address, displayName: c.displayName, groupId: c.groupId, relationship: c.relationship };
}

function fromHistory(m: ImMessage): ChatMessage {
  return {
    key: `h${m.id}`,
    id: m.id,
    direction: m.direction,
    body: m.body,
    at: Date.parse(m.sentAt),
    status: m.direction === 'sent' ? (m.status === 'pending' ? 'stored' : m.status) : 'delivered',
  };
}

interface Saved {
  status: ChosenStatus;
  note: string;
}

function readSaved(address: string): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(`parley.my.${address}`) ?? 'null') as Partial<Saved> | null;
    return { status: v?.status ?? 'reset', note: v?.note ?? '' };
  } catch {
    return { status: 'reset', note: '' };
  }
}

function save(address: string | undefined, v: Saved): void {
  if (address) localStorage.setItem(`parley.my.${address}`, JSON.stringify(v));
}

/** A stable id for this browser (RFC 5626 §4.1 instance id). */
function deviceId(): string {
  let id = localStorage.getItem('parley.device');
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem('parley.device', id);
  }
  return id;
}
