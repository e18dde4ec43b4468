/**
 * The table of subscriptions where Parley is the notifier, and what ties
 * them to the rest of presence:
 *
 * - limits: at most `maxPerWatcher` subscriptions per subscribing user (the
 *   policy of this service: 200; 403) and `maxTotal` in all (503);
 * - each subscription follows the presence of its owner(s) in the agent and
 *   re-renders when it changes;
 * - a changed privacy relationship re-renders the subscriptions of that
 *   watcher on that owner at once; a changed contact list re-sends the full
 *   state of its owner's list subscriptions (RFC 4662 §4.5);
 * - the watchers of each presentity are kept for watcher information (RFC
 *   3857), whose subscribers hear of every watcher that comes or goes.
 *
 * Creating a subscription is two steps: `open…` (checks, store look-ups:
 * may throw PresenceError, before the SUBSCRIBE is answered) returns a
 * starter, called once the 200 is sent, which creates the subscription and
 * registers it; the caller then sends the first NOTIFY (`sub.start()`, or
 * `sub.terminate('timeout')` for a fetch, RFC 6665 §4.4.3).
 */
import type { Dialog } from '@parley/sip/dialog';
import type { Clock, SendTarget } from '@parley/sip/transaction';
import type { ContactService } from './contact-service.js';
import { PresenceError } from './errors.js';
import type { WatcherEntry } from './list-documents.js';
import type { PresenceAgent, PresenceWatcher } from './presence-agent.js';
import { Subscription, type NotifyBody, type NotifyChannel, type TerminationReason } from './subscription.js';
import { ListWatch, PresenceWatch, WinfoWatch, type WatcherRegistry } from './watches.js';

export interface SubscriptionManagerOptions {
  readonly agent: PresenceAgent;
  readonly contacts: ContactService;
  readonly clock: Clock;
  readonly channel: NotifyChannel;
  /** Default 200. */
  readonly maxPerWatcher?: number;
  /** Default 100,000. */
  readonly maxTotal?: number;
  onError?(err: unknown): void;
}

/** The dialog side of a new subscription, known once the 200 is built. */
export interface DialogSpec {
  readonly dialog: Dialog;
  readonly target: SendTarget;
  readonly expiresAt: number;
}

export type Starter = (d: DialogSpec) => Subscription;

type Entry =
  | { readonly kind: 'presence'; readonly sub: Subscription; readonly watch: PresenceWatch; readonly listener: PresenceWatcher }
  | { readonly kind: 'list'; readonly sub: Subscription; readonly watch: ListWatch; readonly listener: PresenceWatcher }
  | { readonly kind: 'winfo'; readonly sub: Subscription; readonly watch: WinfoWatch };

const pairKey = (owner: string, watcher: string): string => `${owner}\n${watcher}`;

export class SubscriptionManager implements WatcherRegistry {
  readonly #byDialog = new Map<string, Entry>();
  readonly #perWatcher = new Map<string, number>();
  /** owner+watcher → single-presence entries (relationship changes). */
  readonly #pairs = new Map<string, Set<Entry>>();
  /** list owner → list entries. */
  readonly #lists = new Map<string, Set<Entry>>();
  /** owner → winfo entries. */
  readonly #winfo = new Map<string, Set<Entry>>();
  /** owner → watchers (subscription id → entry), for watcher information. */
  readonly #watchers = new Map<string, Map<string, WatcherEntry>>();
  readonly #maxPerWatcher: number;
  readonly #maxTotal: number;
  #seq = 0;

  constructor(private readonly o: SubscriptionManagerOptions) {
    this.#maxPerWatcher = o.maxPerWatcher ?? 200;
    this.#maxTotal = o.maxTotal ?? 100_000;
  }

  get size(): number {
    return this.#byDialog.size;
  }

  /** The live subscription of a dialog (in-dialog SUBSCRIBE). */
  byDialog(key: string): Subscription | undefined {
    return this.#byDialog.get(key)?.sub;
  }

  /** Subscriptions a user holds now. */
  countOf(watcher: string): number {
    return this.#perWatcher.get(watcher) ?? 0;
  }

  watchersOf(owner: string): ReadonlyMap<string, WatcherEntry> {
    return this.#watchers.get(owner) ?? new Map();
  }

  #admit(watcher: string): void {
    if (this.#byDialog.size >= this.#maxTotal) throw new PresenceError('server-busy');
    if (this.countOf(watcher) >= this.#maxPerWatcher)
      throw new PresenceError('subscription-limit', `at most ${this.#maxPerWatcher} presence subscriptions per user, presence policy`);
  }

  /** A subscription of `watcher` to the presence of `owner` (RFC 3856). */
  async openPresence(watcher: string, owner: string, event = 'presence'): Promise<Starter> {
    this.#admit(watcher);
    const [relationship] = await Promise.all([this.o.contacts.relationship(owner, watcher), this.o.agent.loadCard(owner)]);
    this.#admit(watcher);
    return (d) => {
      const watch = new PresenceWatch(this.o.agent, owner, relationship);
      const entry = this.#create(d, event, watcher, owner, (full) => watch.render(full), (sub) => ({ kind: 'presence', sub, watch, listener: { presenceChanged: () => sub.changed() } }));
      const e = entry as Extract<Entry, { kind: 'presence' }>;
      this.o.agent.watch(owner, e.listener);
      add(this.#pairs, pairKey(owner, watcher), entry);
      this.#addWatcher(owner, entry.sub);
      return entry.sub;
    };
  }

  /** A subscription of `owner` to their own contact list as a resource list (RFC 4662). */
  async openList(owner: { id: string; address: string }, listUri: string, domain: string): Promise<Starter> {
    this.#admit(owner.address);
    const contacts = (await this.o.contacts.repo.contacts(owner.id)).map((c) => c.address);
    const rels = await this.o.contacts.relationshipsToward(owner.address, contacts);
    await Promise.all(contacts.map((c) => this.o.agent.loadCard(c)));
    this.#admit(owner.address);
    return (d) => {
      const watch = new ListWatch(this.o.agent, listUri, owner.address, domain);
      const entry = this.#create(d, 'presence', owner.address, listUri, (full) => watch.render(full), (sub) => ({ kind: 'list', sub, watch, listener: { presenceChanged: () => sub.changed() } }));
      const e = entry as Extract<Entry, { kind: 'list' }>;
      for (const c of contacts) this.#listAdd(e, c, rels.get(c)!);
      add(this.#lists, owner.address, entry);
      return entry.sub;
    };
  }

  /** A subscription of `owner` to the watcher information of their presence (RFC 3857). */
  openWinfo(owner: string): Starter {
    this.#admit(owner);
    return (d) => {
      const watch = new WinfoWatch(this, owner);
      const entry = this.#create(d, 'presence.winfo', owner, owner, (full) => watch.render(full), (sub) => ({ kind: 'winfo', sub, watch }));
      add(this.#winfo, owner, entry);
      return entry.sub;
    };
  }

  #create(
    d: DialogSpec,
    event: string,
    watcher: string,
    resource: string,
    render: (full: boolean) => NotifyBody | undefined,
    make: (sub: Subscription) => Entry,
  ): Entry {
    let entry: Entry | undefined;
    const sub = new Subscription({
      id: `s${++this.#seq}`,
      event,
      watcher,
      resource,
      dialog: d.dialog,
      target: d.target,
      expiresAt: d.expiresAt,
      clock: this.o.clock,
      channel: this.o.channel,
      render,
      onTerminated: (_s, reason) => {
        if (entry) this.#forget(entry, reason);
      },
    });
    entry = make(sub);
    this.#byDialog.set(d.dialog.key, entry);
    this.#perWatcher.set(watcher, this.countOf(watcher) + 1);
    return entry;
  }

  #listAdd(e: Extract<Entry, { kind: 'list' }>, contact: string, relationship: Parameters<ListWatch['set']>[1]): void {
    e.watch.set(contact, relationship);
    this.o.agent.watch(contact, e.listener);
    this.#addWatcher(contact, e.sub);
  }

  #listRemove(e: Extract<Entry, { kind: 'list' }>, contact: string): void {
    e.watch.delete(contact);
    this.o.agent.unwatch(contact, e.listener);
    this.#removeWatcher(contact, e.sub);
  }

  #forget(entry: Entry, _reason: TerminationReason): void {
    const sub = entry.sub;
    this.#byDialog.delete(sub.dialog.key);
    const n = this.countOf(sub.watcher) - 1;
    if (n > 0) this.#perWatcher.set(sub.watcher, n);
    else this.#perWatcher.delete(sub.watcher);
    if (entry.kind === 'presence') {
      this.o.agent.unwatch(entry.watch.owner, entry.listener);
      remove(this.#pairs, pairKey(entry.watch.owner, sub.watcher), entry);
      this.#removeWatcher(entry.watch.owner, sub);
    } else if (entry.kind === 'list') {
      for (const c of entry.watch.resources) this.#listRemove(entry, c);
      remove(this.#lists, entry.watch.owner, entry);
    } else {
      remove(this.#winfo, entry.watch.owner, entry);
    }
  }

  #addWatcher(owner: string, sub: Subscription): void {
    let m = this.#watchers.get(owner);
    if (!m) this.#watchers.set(owner, (m = new Map()));
    m.set(sub.id, { id: sub.id, uri: `sip:${sub.watcher}`, status: 'active', event: 'subscribe' });
    this.#winfoChanged(owner);
  }

  #removeWatcher(owner: string, sub: Subscription): void {
    const m = this.#watchers.get(owner);
    if (!m?.delete(sub.id)) return;
    if (m.size === 0) this.#watchers.delete(owner);
    this.#winfoChanged(owner);
  }

  #winfoChanged(owner: string): void {
    for (const e of this.#winfo.get(owner) ?? []) e.sub.changed();
  }

  /** `owner` changed how they relate to `watcher`: re-render that watcher's view at once. */
  async relationshipChanged(owner: string, watcher: string): Promise<void> {
    const singles = this.#pairs.get(pairKey(owner, watcher));
    const lists = [...(this.#lists.get(watcher) ?? [])].filter((e) => e.kind === 'list' && e.watch.has(owner));
    if (!singles?.size && lists.length === 0) return;
    const rel = await this.o.contacts.relationship(owner, watcher);
    await this.o.agent.loadCard(owner);
    for (const e of singles ?? []) {
      if (e.kind !== 'presence') continue;
      e.watch.relationship = rel;
      e.sub.changed();
    }
    for (const e of lists) {
      if (e.kind !== 'list') continue;
      e.watch.set(owner, rel);
      e.sub.changed();
    }
  }

  /** The contact list of `owner` changed: list subscriptions follow it and send the full state. */
  async listChanged(owner: { id: string; address: string }): Promise<void> {
    const entries = [...(this.#lists.get(owner.address) ?? [])];
    if (entries.length === 0) return;
    const contacts = (await this.o.contacts.repo.contacts(owner.id)).map((c) => c.address);
    const rels = await this.o.contacts.relationshipsToward(owner.address, contacts);
    await Promise.all(contacts.map((c) => this.o.agent.loadCard(c)));
    const wanted = new Set(contacts);
    for (const e of entries) {
      if (e.kind !== 'list' || e.sub.state !== 'active') continue;
      for (const c of e.watch.resources) if (!wanted.has(c)) this.#listRemove(e, c);
      for (const c of contacts) if (!e.watch.has(c)) this.#listAdd(e, c, rels.get(c)!);
      e.sub.resync();
    }
  }

  /** Ends every subscription with "terminated;reason=deactivated" (subscribers retry, RFC 6665 §4.2.2). */
  close(): void {
    for (const e of [...this.#byDialog.values()]) {
      try {
        e.sub.terminate('deactivated');
      } catch (err) {
        this.o.onError?.(err);
      }
    }
  }
}

function add<T>(m: Map<string, Set<T>>, k: string, v: T): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function remove<T>(m: Map<string, Set<T>>, k: string, v: T): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}
