/**
 * The table of subscriptions where Parley is the notifier, and what ties
 * them to the rest of presence:
 *
 * - limits: at most `maxPerWatcher` subscriptions per subscribing user (the
 *   policy of this service: 200; 403), `maxTotal` in all (503), and at most
 *   `maxCategoriesPerWatcher` presentities watched per user across all their
 *   subscriptions (the original's 1,000 "category subscriptions": Parley
 *   sends every category of a presentity in one document, so one watched
 *   presentity is one category subscription here; 403 `category-limit`);
 * - each subscription follows the presence of its owner(s) in the agent and
 *   re-renders when it changes;
 * - a changed privacy relationship re-renders the subscriptions of that
 *   watcher on that owner at once; a changed contact list re-sends the full
 *   state of its owner's list subscriptions (RFC 4662 §4.5);
 * - the watchers of each presentity (the subscriptions that watch it in
 *   the agent) make its watcher information (RFC 3857), whose subscribers
 *   hear of every watcher that comes or goes.
 *
 * Creating a subscription is two steps: `open…` (checks, store look-ups:
 * may throw PresenceError, before the SUBSCRIBE is answered) returns a
 * starter, called once the 200 is sent, which creates the subscription and
 * registers it; the caller then sends the first NOTIFY (`sub.start()`, or
 * `sub.terminate('timeout')` for a fetch, RFC 6665 §4.4.3).
 *
 * With a store (`subscription-repo.ts`), every subscription has a durable
 * shadow: written after it is accepted and when refreshed, deleted when it
 * ends. {@link SubscriptionManager.close} then suspends instead of
 * terminating (no "terminated;reason=deactivated": the subscriber keeps its
 * subscription), and {@link SubscriptionManager.restore} at the next start
 * rebuilds each live one in its own dialog and sends it the full state.
 */
import { randomBytes } from 'node:crypto';
import { parseNameAddr, parseUri, SipUri } from '@parley/sip';
import { Dialog, DialogState } from '@parley/sip/dialog';
import type { Clock, SendTarget } from '@parley/sip/transaction';
import type { ContactService } from './contact-service.js';
import { PresenceError } from './errors.js';
import type { WatcherEntry } from './list-documents.js';
import type { PresenceAgent, PresenceWatcher } from './presence-agent.js';
import type { Relationship } from './privacy.js';
import { contactListUri } from './sip-common.js';
import type { StoredSubscription, StoredTarget, SubscriptionKind, SubscriptionStore } from './subscription-repo.js';
import { Subscription, type NotifyBody, type NotifyChannel, type SubscriptionHandler, type TerminationReason } from './subscription.js';
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
  /** Distinct presentities one user may watch (the original's category subscriptions). Default 1,000. */
  readonly maxCategoriesPerWatcher?: number;
  /** The durable shadow; without one, subscriptions end with the process. */
  readonly store?: SubscriptionStore;
  /** The protocol of a flow target, for the shadow (a flow does not survive a restart; its protocol says how to reach the device anew). */
  protocolOf?(target: SendTarget): string;
  /** A user by address (restoring a contact-list subscription). */
  lookupUser?(address: string): Promise<{ id: string; address: string } | undefined>;
  onError?(err: unknown): void;
}

/** After a crash, the local CSeq of a restored dialog skips this far ahead of the stored one (RFC 3261 §12.2.2: the subscriber only refuses a lower one). */
export const CSEQ_SKIP_AFTER_CRASH = 10_000;

/** The dialog side of a new subscription, known once the 200 is built. */
export interface DialogSpec {
  readonly dialog: Dialog;
  readonly target: SendTarget;
  readonly expiresAt: number;
  /** A restored subscription keeps its id. */
  readonly id?: string;
}

export type Starter = (d: DialogSpec) => Subscription;

/** Where entries report to their manager: one object per manager, shared by all its entries. */
interface EntryHooks {
  forget(entry: Entry, reason: TerminationReason): void;
  persist(sub: Subscription, kind: SubscriptionKind, domain: string): void;
}

/**
 * One live subscription as the manager keeps it. The entry is also the
 * subscription's handler (render, end, refresh) and, for presence and list
 * subscriptions, the agent's watcher (`presenceChanged`): methods on a class
 * rather than a closure per callback keep a subscription at one small
 * object. (Closures cost ~56 B each plus their contexts, and a context
 * keeps alive whatever else its function scope held: the contact list and
 * relationship map of the SUBSCRIBE, for as long as the subscription.)
 */
abstract class EntryBase implements SubscriptionHandler {
  abstract readonly kind: SubscriptionKind;
  /** Set once, at once after the entry is built (the subscription needs its handler first): see `#start`. */
  sub!: Subscription;

  constructor(
    protected readonly hooks: EntryHooks,
    /** The list's domain, for the durable shadow; '' for the other kinds. */
    readonly domain: string,
  ) {}

  abstract render(full: boolean, maxBytes: number): NotifyBody | undefined;

  onTerminated(_sub: Subscription, reason: TerminationReason): void {
    this.hooks.forget(this as EntryBase as Entry, reason);
  }

  onRefreshed(sub: Subscription): void {
    this.hooks.persist(sub, this.kind, this.domain);
  }
}

/** A subscription to one user's presence (RFC 3856); it watches that user in the agent. */
class PresenceEntry extends EntryBase implements PresenceWatcher {
  readonly kind = 'presence' as const;

  constructor(
    hooks: EntryHooks,
    readonly watch: PresenceWatch,
  ) {
    super(hooks, '');
  }

  render(full: boolean): NotifyBody | undefined {
    return this.watch.render(full);
  }

  presenceChanged(): void {
    this.sub.changed();
  }
}

/** A subscription to a contact list (RFC 4662); it watches every contact in the agent. */
class ListEntry extends EntryBase implements PresenceWatcher {
  readonly kind = 'list' as const;

  constructor(
    hooks: EntryHooks,
    readonly watch: ListWatch,
    domain: string,
  ) {
    super(hooks, domain);
  }

  render(full: boolean, maxBytes: number): NotifyBody | undefined {
    return this.watch.render(full, maxBytes);
  }

  presenceChanged(contact: string): void {
    this.watch.touched(contact);
    this.sub.changed();
  }
}

/** A subscription to the watcher information of one presentity (RFC 3857). */
class WinfoEntry extends EntryBase {
  readonly kind = 'winfo' as const;

  constructor(
    hooks: EntryHooks,
    readonly watch: WinfoWatch,
  ) {
    super(hooks, '');
  }

  render(full: boolean): NotifyBody | undefined {
    return this.watch.render(full);
  }
}

type Entry = PresenceEntry | ListEntry | WinfoEntry;

const pairKey = (owner: string, watcher: string): string => `${owner}\n${watcher}`;

export class SubscriptionManager implements WatcherRegistry {
  readonly #byDialog = new Map<string, Entry>();
  readonly #perWatcher = new Map<string, number>();
  /*
   * Entries by key, in arrays rather than Sets: most keys have one or two
   * entries (a user's devices), and an array of two costs a fraction of a
   * Set. The watchers of each presentity (watcher information) are not kept
   * here: they are the agent's watchers of it (`watchersOf`).
   */
  /** owner+watcher → single-presence entries (relationship changes). */
  readonly #pairs = new Map<string, PresenceEntry[]>();
  /** list owner → list entries. */
  readonly #lists = new Map<string, ListEntry[]>();
  /** owner → winfo entries. */
  readonly #winfo = new Map<string, WinfoEntry[]>();
  readonly #hooks: EntryHooks = {
    forget: (entry, reason) => this.#forget(entry, reason),
    persist: (sub, kind, domain) => this.#persist(sub, kind, domain),
  };
  readonly #maxPerWatcher: number;
  readonly #maxTotal: number;
  readonly #maxCategories: number;
  /** watcher → presentity → how many of the watcher's single-presence subscriptions watch it (lists: `#lists`). */
  readonly #singles = new Map<string, Map<string, number>>();
  /** Ids unique across restarts (restored subscriptions keep theirs). */
  readonly #idPrefix = `s${randomBytes(4).toString('hex')}-`;
  #seq = 0;
  #closing = false;

  constructor(private readonly o: SubscriptionManagerOptions) {
    this.#maxPerWatcher = o.maxPerWatcher ?? 200;
    this.#maxTotal = o.maxTotal ?? 100_000;
    this.#maxCategories = o.maxCategoriesPerWatcher ?? 1000;
  }

  /** The presentities `watcher` watches now, across all their subscriptions (computed: only SUBSCRIBE and list changes ask). */
  #watchedBy(watcher: string): Set<string> {
    const out = new Set<string>(this.#singles.get(watcher)?.keys() ?? []);
    for (const e of this.#lists.get(watcher) ?? []) for (const r of e.watch.resources) out.add(r);
    return out;
  }

  /** Distinct presentities `watcher` watches now (category subscriptions). */
  categoriesOf(watcher: string): number {
    return this.#watchedBy(watcher).size;
  }

  #admitCategories(watcher: string, presentities: readonly string[]): void {
    const mine = this.#watchedBy(watcher);
    const before = mine.size;
    for (const p of presentities) mine.add(p);
    if (mine.size > before && mine.size > this.#maxCategories)
      throw new PresenceError('category-limit', `at most ${this.#maxCategories} category subscriptions (watched contacts) per user, presence policy`);
  }

  #singleAdd(watcher: string, presentity: string): void {
    let m = this.#singles.get(watcher);
    if (!m) this.#singles.set(watcher, (m = new Map()));
    m.set(presentity, (m.get(presentity) ?? 0) + 1);
  }

  #singleRemove(watcher: string, presentity: string): void {
    const m = this.#singles.get(watcher);
    if (!m) return;
    const n = (m.get(presentity) ?? 0) - 1;
    if (n > 0) m.set(presentity, n);
    else m.delete(presentity);
    if (m.size === 0) this.#singles.delete(watcher);
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

  /**
   * The watchers of `owner` (built on demand: watcher information and REST
   * only): the subscriptions whose entries watch `owner` in the agent, in
   * the order they came.
   */
  watchersOf(owner: string): ReadonlyMap<string, WatcherEntry> {
    const out = new Map<string, WatcherEntry>();
    for (const w of this.o.agent.watchersOf(owner)) {
      if (!(w instanceof EntryBase)) continue; // not one of ours (the agent may have other watchers)
      const sub = w.sub;
      out.set(sub.id, { id: sub.id, uri: `sip:${sub.watcher}`, status: 'active', event: 'subscribe' });
    }
    return out;
  }

  #admit(watcher: string): void {
    if (this.#byDialog.size >= this.#maxTotal) throw new PresenceError('server-busy');
    if (this.countOf(watcher) >= this.#maxPerWatcher)
      throw new PresenceError('subscription-limit', `at most ${this.#maxPerWatcher} presence subscriptions per user, presence policy`);
  }

  /** A subscription of `watcher` to the presence of `owner` (RFC 3856). */
  async openPresence(watcher: string, owner: string, event = 'presence'): Promise<Starter> {
    this.#admit(watcher);
    this.#admitCategories(watcher, [owner]);
    const [relationship] = await Promise.all([this.o.contacts.relationship(owner, watcher), this.o.agent.loadCard(owner)]);
    this.#admit(watcher);
    this.#admitCategories(watcher, [owner]);
    // The starter is short-lived (called once, then dropped); what the subscription keeps is built in a method, whose scope holds nothing else.
    return (d) => this.#startPresence(d, watcher, owner, relationship, event);
  }

  #startPresence(d: DialogSpec, watcher: string, owner: string, relationship: Relationship, event: string): Subscription {
    const entry = new PresenceEntry(this.#hooks, new PresenceWatch(this.o.agent, owner, relationship, watcher === owner));
    this.#start(entry, d, event, watcher, owner);
    this.o.agent.watch(owner, entry);
    this.#singleAdd(watcher, owner);
    add(this.#pairs, pairKey(owner, watcher), entry);
    this.#winfoChanged(owner);
    return entry.sub;
  }

  /** A subscription of `owner` to their own contact list as a resource list (RFC 4662). */
  async openList(owner: { id: string; address: string }, listUri: string, domain: string): Promise<Starter> {
    this.#admit(owner.address);
    const contacts = (await this.o.contacts.repo.contacts(owner.id)).map((c) => c.address);
    const rels = await this.o.contacts.relationshipsToward(owner.address, contacts);
    await Promise.all(contacts.map((c) => this.o.agent.loadCard(c)));
    this.#admit(owner.address);
    this.#admitCategories(owner.address, contacts);
    // Only the short-lived starter holds `contacts` and `rels` (no closure the subscription keeps shares this scope).
    return (d) => this.#startList(d, owner.address, listUri, domain, contacts, rels);
  }

  #startList(d: DialogSpec, owner: string, listUri: string, domain: string, contacts: readonly string[], rels: ReadonlyMap<string, Relationship>): Subscription {
    const entry = new ListEntry(this.#hooks, new ListWatch(this.o.agent, listUri, owner, domain), domain);
    this.#start(entry, d, 'presence', owner, listUri);
    for (const c of contacts) this.#listAdd(entry, c, rels.get(c)!);
    add(this.#lists, owner, entry);
    return entry.sub;
  }

  /** A subscription of `owner` to the watcher information of their presence (RFC 3857). */
  openWinfo(owner: string): Starter {
    this.#admit(owner);
    return (d) => this.#startWinfo(d, owner);
  }

  #startWinfo(d: DialogSpec, owner: string): Subscription {
    const entry = new WinfoEntry(this.#hooks, new WinfoWatch(this, owner));
    this.#start(entry, d, 'presence.winfo', owner, owner);
    add(this.#winfo, owner, entry);
    return entry.sub;
  }

  /** Creates the subscription of `entry` (the entry is its handler) and registers it. */
  #start(entry: Entry, d: DialogSpec, event: string, watcher: string, resource: string): void {
    const sub = new Subscription(
      { id: d.id ?? `${this.#idPrefix}${++this.#seq}`, event, watcher, resource, dialog: d.dialog, target: d.target, expiresAt: d.expiresAt, clock: this.o.clock, channel: this.o.channel },
      entry,
    );
    entry.sub = sub;
    this.#byDialog.set(d.dialog.key, entry);
    this.#perWatcher.set(watcher, this.countOf(watcher) + 1);
    // After the caller's first NOTIFY (same tick), so that the stored CSeq is that NOTIFY's.
    queueMicrotask(() => this.#persist(sub, entry.kind, entry.domain));
  }

  /** Writes the shadow of `sub` (write-behind: a failure is logged, the subscription goes on). */
  #persist(sub: Subscription, kind: SubscriptionKind, domain: string): void {
    const store = this.o.store;
    if (!store || sub.state !== 'active') return;
    const d = sub.dialog;
    const t = sub.target;
    const target: StoredTarget = 'flowId' in t ? { flowId: t.flowId, protocol: this.o.protocolOf?.(t) ?? 'tcp' } : { protocol: t.protocol, host: t.host, port: t.port };
    const row: StoredSubscription = {
      id: sub.id,
      kind,
      event: sub.event,
      watcher: sub.watcher,
      resource: kind === 'list' ? sub.watcher : sub.resource,
      domain,
      callId: d.id.callId,
      localTag: d.id.localTag,
      remoteTag: d.id.remoteTag,
      localUri: d.localUri.toString(),
      remoteUri: d.remoteUri.toString(),
      remoteTarget: d.remoteTarget.toString(),
      routeSet: d.routeSet.map((r) => r.toString()),
      localContact: d.localContact?.toString(),
      secure: d.secure,
      localSeq: d.localSeq,
      localSeqExact: false,
      remoteSeq: d.remoteSeq,
      target,
      expiresAt: sub.expiresAt,
    };
    store.upsert(row).catch((e: unknown) => this.o.onError?.(e));
  }

  /**
   * Rebuilds the live subscriptions of the store (service start): each in
   * its own dialog (RFC 3261 §12), with a NOTIFY of the full current state
   * at once (as after a refresh, RFC 6665 §4.2.1.2). A subscriber reached
   * over a WebSocket cannot be reached again (the browser re-subscribes when
   * it reconnects): its row is dropped; one over TCP or TLS is reached anew
   * at its remote target (its Contact). Paced: the event loop turns every
   * 50 subscriptions. Returns how many were restored.
   */
  async restore(): Promise<number> {
    const store = this.o.store;
    if (!store) return 0;
    const now = this.o.clock.now();
    const rows = await store.loadLive(now);
    let n = 0;
    for (const r of rows) {
      if (this.#closing) break; // stopped meanwhile: the rest stay in the store for the next start
      try {
        const target = restoredTarget(r);
        if (!target) {
          await store.remove(r.id);
          continue;
        }
        const localSeq = r.localSeq === undefined ? undefined : r.localSeqExact ? r.localSeq : r.localSeq + CSEQ_SKIP_AFTER_CRASH;
        const dialog = new Dialog({
          id: { callId: r.callId, localTag: r.localTag, remoteTag: r.remoteTag },
          state: DialogState.Confirmed,
          role: 'uas',
          localSeq,
          remoteSeq: r.remoteSeq,
          localUri: parseNameAddr(r.localUri, 'to'),
          remoteUri: parseNameAddr(r.remoteUri, 'from'),
          remoteTarget: parseUri(r.remoteTarget),
          routeSet: r.routeSet.map((x) => parseNameAddr(x, 'route')),
          secure: r.secure,
          localContact: r.localContact !== undefined ? parseNameAddr(r.localContact, 'contact') : undefined,
        });
        if (this.#byDialog.has(dialog.key)) continue;
        let starter: Starter;
        if (r.kind === 'presence') starter = await this.openPresence(r.watcher, r.resource, r.event);
        else if (r.kind === 'winfo') starter = this.openWinfo(r.resource);
        else {
          const owner = await this.o.lookupUser?.(r.resource);
          if (!owner) {
            await store.remove(r.id);
            continue;
          }
          starter = await this.openList(owner, contactListUri(owner.address), r.domain);
        }
        starter({ dialog, target, expiresAt: r.expiresAt, id: r.id }).start();
        // Thousands of full-state NOTIFYs at once would flood the transport: let I/O through every 50.
        if (++n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (e) {
        this.o.onError?.(e);
      }
    }
    await store.purgeExpired(now).catch((e: unknown) => this.o.onError?.(e));
    return n;
  }

  #listAdd(e: ListEntry, contact: string, relationship: Relationship): void {
    // The list keeps the agent's copy of the address: one string per address for all lists.
    const shared = this.o.agent.watch(contact, e);
    e.watch.set(shared, relationship);
    this.#winfoChanged(shared);
  }

  #listRemove(e: ListEntry, contact: string): void {
    e.watch.delete(contact);
    if (this.o.agent.unwatch(contact, e)) this.#winfoChanged(contact);
  }

  #forget(entry: Entry, _reason: TerminationReason): void {
    const sub = entry.sub;
    this.#byDialog.delete(sub.dialog.key);
    if (!this.#closing) this.o.store?.remove(sub.id).catch((e: unknown) => this.o.onError?.(e));
    const n = this.countOf(sub.watcher) - 1;
    if (n > 0) this.#perWatcher.set(sub.watcher, n);
    else this.#perWatcher.delete(sub.watcher);
    if (entry.kind === 'presence') {
      const unwatched = this.o.agent.unwatch(entry.watch.owner, entry);
      this.#singleRemove(sub.watcher, entry.watch.owner);
      remove(this.#pairs, pairKey(entry.watch.owner, sub.watcher), entry);
      if (unwatched) this.#winfoChanged(entry.watch.owner);
    } else if (entry.kind === 'list') {
      for (const c of entry.watch.resources) this.#listRemove(entry, c);
      remove(this.#lists, entry.watch.owner, entry);
    } else {
      remove(this.#winfo, entry.watch.owner, entry);
    }
  }

  /** The watchers of `owner` changed: its watcher-information subscribers hear of it. */
  #winfoChanged(owner: string): void {
    for (const e of this.#winfo.get(owner) ?? []) e.sub.changed();
  }

  /** `owner` changed how they relate to `watcher`: re-render that watcher's view at once. */
  async relationshipChanged(owner: string, watcher: string): Promise<void> {
    const singles = this.#pairs.get(pairKey(owner, watcher));
    const lists = (this.#lists.get(watcher) ?? []).filter((e) => e.watch.has(owner));
    if (!singles?.length && lists.length === 0) return;
    const rel = await this.o.contacts.relationship(owner, watcher);
    await this.o.agent.loadCard(owner);
    for (const e of singles ?? []) {
      e.watch.relationship = rel;
      e.sub.changed();
    }
    for (const e of lists) {
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
      if (e.sub.state !== 'active') continue;
      for (const c of e.watch.resources) if (!wanted.has(c)) this.#listRemove(e, c);
      const watched = this.#watchedBy(owner.address);
      for (const c of contacts) {
        if (e.watch.has(c)) continue;
        // Past the category limit a new contact is not watched (its state stays unknown to this list).
        if (watched.size >= this.#maxCategories && !watched.has(c)) {
          this.o.onError?.(new PresenceError('category-limit', `${owner.address}: ${c} not watched, ${this.#maxCategories} category subscriptions reached`));
          continue;
        }
        this.#listAdd(e, c, rels.get(c)!);
        watched.add(c);
      }
      e.sub.resync();
    }
  }

  /**
   * Without a store: ends every subscription with "terminated;reason=deactivated"
   * (subscribers retry, RFC 6665 §4.2.2). With one: suspends every
   * subscription and writes its exact local CSeq, so that the next start
   * resumes each in its dialog ({@link restore}).
   */
  async close(): Promise<void> {
    this.#closing = true;
    const entries = [...this.#byDialog.values()];
    if (this.o.store) {
      for (const e of entries) e.sub.suspend();
      await this.o.store.saveSeqs(entries.map((e) => ({ id: e.sub.id, localSeq: e.sub.dialog.localSeq }))).catch((err: unknown) => this.o.onError?.(err));
      return;
    }
    for (const e of entries) {
      try {
        e.sub.terminate('deactivated');
      } catch (err) {
        this.o.onError?.(err);
      }
    }
  }
}

/** Where a restored subscription's NOTIFYs go; undefined when the subscriber cannot be reached again. */
function restoredTarget(r: StoredSubscription): SendTarget | undefined {
  const t = r.target;
  if (!('flowId' in t)) return t;
  if (t.protocol !== 'tcp' && t.protocol !== 'tls') return undefined; // WebSocket: only the browser can reconnect
  const u = parseUri(r.remoteTarget);
  if (!(u instanceof SipUri)) return undefined;
  return { protocol: t.protocol, host: u.hostname, port: u.port ?? (t.protocol === 'tls' ? 5061 : 5060) };
}

/** Adds `v` to the entries of `k` (once). */
function add<T>(m: Map<string, T[]>, k: string, v: T): void {
  const a = m.get(k);
  if (!a) m.set(k, [v]);
  else if (!a.includes(v)) a.push(v);
}

/** Removes `v` from the entries of `k`, keeping the others' order. */
function remove<T>(m: Map<string, T[]>, k: string, v: T): void {
  const a = m.get(k);
  if (!a) return;
  const i = a.indexOf(v);
  if (i < 0) return;
  if (a.length === 1) m.delete(k);
  else a.splice(i, 1);
}
