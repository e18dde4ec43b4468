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
 * - the watchers of each presentity are kept for watcher information (RFC
 *   3857), whose subscribers hear of every watcher that comes or goes.
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
import { contactListUri } from './sip-common.js';
import type { StoredSubscription, StoredTarget, SubscriptionKind, SubscriptionStore } from './subscription-repo.js';
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
  readonly #watchers = new Map<string, Set<Subscription>>();
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
    for (const e of this.#lists.get(watcher) ?? []) if (e.kind === 'list') for (const r of e.watch.resources) out.add(r);
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

  /** The watchers of `owner` (built on demand: watcher information and REST only). */
  watchersOf(owner: string): ReadonlyMap<string, WatcherEntry> {
    const out = new Map<string, WatcherEntry>();
    for (const sub of this.#watchers.get(owner) ?? []) out.set(sub.id, { id: sub.id, uri: `sip:${sub.watcher}`, status: 'active', event: 'subscribe' });
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
    return (d) => {
      const watch = new PresenceWatch(this.o.agent, owner, relationship, watcher === owner);
      const entry = this.#create(d, 'presence', '', event, watcher, owner, (full) => watch.render(full), (sub) => ({ kind: 'presence', sub, watch, listener: { presenceChanged: () => sub.changed() } }));
      const e = entry as Extract<Entry, { kind: 'presence' }>;
      this.o.agent.watch(owner, e.listener);
      this.#singleAdd(watcher, owner);
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
    this.#admitCategories(owner.address, contacts);
    return (d) => {
      const watch = new ListWatch(this.o.agent, listUri, owner.address, domain);
      const listener: PresenceWatcher = {
        presenceChanged: (contact) => {
          watch.touched(contact);
          entry.sub.changed();
        },
      };
      const entry = this.#create(d, 'list', domain, 'presence', owner.address, listUri, (full, maxBytes) => watch.render(full, maxBytes), (sub) => ({ kind: 'list', sub, watch, listener }));
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
      const entry = this.#create(d, 'winfo', '', 'presence.winfo', owner, owner, (full) => watch.render(full), (sub) => ({ kind: 'winfo', sub, watch }));
      add(this.#winfo, owner, entry);
      return entry.sub;
    };
  }

  #create(
    d: DialogSpec,
    kind: SubscriptionKind,
    domain: string,
    event: string,
    watcher: string,
    resource: string,
    render: (full: boolean, maxBytes: number) => NotifyBody | undefined,
    make: (sub: Subscription) => Entry,
  ): Entry {
    let entry: Entry | undefined;
    const sub = new Subscription({
      id: d.id ?? `${this.#idPrefix}${++this.#seq}`,
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
      onRefreshed: (s) => this.#persist(s, kind, domain),
    });
    entry = make(sub);
    this.#byDialog.set(d.dialog.key, entry);
    this.#perWatcher.set(watcher, this.countOf(watcher) + 1);
    // After the caller's first NOTIFY (same tick), so that the stored CSeq is that NOTIFY's.
    queueMicrotask(() => this.#persist(sub, kind, domain));
    return entry;
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
    if (!this.#closing) this.o.store?.remove(sub.id).catch((e: unknown) => this.o.onError?.(e));
    const n = this.countOf(sub.watcher) - 1;
    if (n > 0) this.#perWatcher.set(sub.watcher, n);
    else this.#perWatcher.delete(sub.watcher);
    if (entry.kind === 'presence') {
      this.o.agent.unwatch(entry.watch.owner, entry.listener);
      this.#singleRemove(sub.watcher, entry.watch.owner);
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
    if (!m) this.#watchers.set(owner, (m = new Set()));
    m.add(sub);
    this.#winfoChanged(owner);
  }

  #removeWatcher(owner: string, sub: Subscription): void {
    const m = this.#watchers.get(owner);
    if (!m?.delete(sub)) return;
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
