/**
 * What each kind of subscription watches and how it renders its NOTIFY
 * bodies, with change detection per watcher (a NOTIFY only when what THIS
 * watcher may see changed: a blocked watcher never learns of a new note):
 *
 * - {@link PresenceWatch}: one user's presence (RFC 3856), one PIDF;
 * - {@link ListWatch}: the owner's contact list as a resource list (RFC
 *   4662), full state first, then only the resources whose view changed;
 * - {@link WinfoWatch}: watcher information for one presentity (RFC 3857).
 */
import type { AggregatedState } from './aggregate.js';
import { buildListNotify, buildWatcherInfo, PART_OVERHEAD, RLMI_RESOURCE_OVERHEAD, WINFO_CONTENT_TYPE, type ListResource, type WatcherEntry } from './list-documents.js';
import { buildPidf, PIDF_CONTENT_TYPE } from './pidf-build.js';
import { RELATIONSHIPS, sameView, selfView, viewFor, type ContactCard, type Relationship, type WatcherView } from './privacy.js';
import type { NotifyBody } from './subscription.js';

/** What renderers read from the presence agent. */
export interface StateSource {
  stateOf(owner: string): AggregatedState;
  cardOf(owner: string): ContactCard | undefined;
}

const sipUri = (address: string): string => `sip:${address}`;

interface Rendered {
  readonly owner: string;
  readonly card: ContactCard | undefined;
  readonly view: WatcherView;
  readonly pidf: string;
}

/**
 * Views and PIDF documents by state object and relationship: built once per
 * change of a presentity and shared by every watcher with that
 * relationship (a contact watched by 120 list subscriptions is rendered at
 * most five times per change, not 120). The agent replaces a watched
 * user's state object on every change, so a stale entry is never hit; an
 * unwatched user's state is computed anew on each read (a miss).
 */
const rendered = new WeakMap<AggregatedState, Map<Relationship | 'self', Rendered>>();

/** `'self'`: the owner watching themself ({@link selfView}). */
function renderedFor(source: StateSource, owner: string, relationship: Relationship | 'self'): Rendered {
  const state = source.stateOf(owner);
  const card = source.cardOf(owner);
  let m = rendered.get(state);
  if (!m) rendered.set(state, (m = new Map()));
  let r = m.get(relationship);
  if (!r || r.owner !== owner || r.card !== card) {
    const view = relationship === 'self' ? selfView(state, card) : viewFor(state, relationship, card);
    r = { owner, card, view, pidf: buildPidf(sipUri(owner), view) };
    m.set(relationship, r);
  }
  return r;
}

export class PresenceWatch {
  #last: WatcherView | undefined;

  constructor(
    private readonly source: StateSource,
    readonly owner: string,
    public relationship: Relationship,
    /** The owner watching themself: sees the {@link selfView}. */
    readonly self = false,
  ) {}

  /** What the watcher sees now. */
  view(): WatcherView {
    return renderedFor(this.source, this.owner, this.self ? 'self' : this.relationship).view;
  }

  render(full: boolean): NotifyBody | undefined {
    const { view, pidf } = renderedFor(this.source, this.owner, this.self ? 'self' : this.relationship);
    if (!full && this.#last && sameView(this.#last, view)) return undefined;
    this.#last = view;
    return { contentType: PIDF_CONTENT_TYPE, body: pidf };
  }
}

/** No relationship codes yet (see {@link ListWatch}). */
const NO_CODES = new Uint8Array(0);

export class ListWatch {
  /*
   * The list as parallel arrays in list order (index i is one resource):
   * a server holds ~1.5 list subscriptions per user of ~80 resources each,
   * one of its largest per-user structures. Without pointer compression a
   * Map entry costs ~45 B; here a resource costs one array slot (8 B) in
   * `#resources` and in `#last` and one byte in `#codes`. Look-ups are
   * `indexOf` over ~80 entries (~0.2 µs). The addresses are the presence
   * agent's copies (`PresenceAgent.watch`): one string per address, shared
   * by every list, not one per list.
   */
  #resources: string[] = [];
  /** The relationship of each resource, as an index into {@link RELATIONSHIPS}; capacity ≥ `#resources.length` (grown by doubling). */
  #codes: Uint8Array = NO_CODES;
  /** What each resource's watcher was last told; undefined before the first NOTIFY and while owed. */
  #last: Array<WatcherView | undefined> = [];
  /**
   * Indices of the resources whose state or relationship changed since the
   * last NOTIFY, in the order they changed (a partial NOTIFY looks at these
   * only); undefined when there are none, as most of the time.
   */
  #dirty: number[] | undefined;
  #version = 0;

  constructor(
    private readonly source: StateSource,
    /** The list's URI (`sip:alice;list=contacts@example.com`). */
    readonly uri: string,
    /** Its owner, who is also the only watcher. */
    readonly owner: string,
    private readonly domain: string,
  ) {}

  /** The resources, in list order (a copy). */
  get resources(): string[] {
    return this.#resources.slice();
  }

  has(resource: string): boolean {
    return this.#resources.includes(resource);
  }

  set(resource: string, relationship: Relationship): void {
    const code = RELATIONSHIPS.indexOf(relationship);
    // The store's CHECK constraint and the types admit no other value; a byte would silently hold 255.
    if (code < 0) throw new RangeError(`not a relationship: ${String(relationship)}`);
    let i = this.#resources.indexOf(resource);
    if (i < 0) {
      i = this.#resources.push(resource) - 1;
      this.#last.push(undefined);
      if (i >= this.#codes.length) {
        const grown = new Uint8Array(Math.max(8, 2 * this.#codes.length));
        grown.set(this.#codes);
        this.#codes = grown;
      }
    }
    this.#codes[i] = code;
    this.#markDirty(i);
  }

  delete(resource: string): void {
    const i = this.#resources.indexOf(resource);
    if (i < 0) return;
    const n = this.#resources.length;
    this.#resources.splice(i, 1);
    this.#last.splice(i, 1);
    this.#codes.copyWithin(i, i + 1, n);
    // The indices past i move down by one.
    const dirty = this.#dirty;
    if (dirty === undefined) return;
    let k = 0;
    for (const d of dirty) if (d !== i) dirty[k++] = d > i ? d - 1 : d;
    dirty.length = k;
    if (k === 0) this.#dirty = undefined;
  }

  /** The state of `resource` changed (the agent's report): the next partial NOTIFY considers it. */
  touched(resource: string): void {
    const i = this.#resources.indexOf(resource);
    if (i >= 0) this.#markDirty(i);
  }

  #markDirty(i: number): void {
    if (this.#dirty === undefined) this.#dirty = [i];
    else if (!this.#dirty.includes(i)) this.#dirty.push(i);
  }

  /**
   * The NOTIFY body: the full state, or the resources whose view changed.
   * Within `maxBytes` (a UDP datagram): resources that do not fit are sent
   * in the next NOTIFY (`more`; in a full state they are listed `pending`,
   * RFC 4662 §5.2). Over UDP a full-state RLMI of about 400 contacts is the
   * most that can be listed at all; beyond, the subscriber needs TCP or TLS.
   */
  render(full: boolean, maxBytes = Number.POSITIVE_INFINITY): NotifyBody | undefined {
    const dirty = this.#dirty;
    this.#dirty = undefined;
    const changed: Array<{ i: number; pidf: string }> = [];
    const count = full ? this.#resources.length : (dirty?.length ?? 0);
    for (let k = 0; k < count; k++) {
      const i = full ? k : dirty![k];
      const { view, pidf } = renderedFor(this.source, this.#resources[i], RELATIONSHIPS[this.#codes[i]]);
      const last = this.#last[i];
      if (full || !last || !sameView(last, view)) changed.push({ i, pidf });
      this.#last[i] = view;
    }
    if (!full && changed.length === 0) return undefined;
    const resources: ListResource[] = [];
    const owed: number[] = [];
    const named = changed.map(({ i, pidf }) => {
      const r = this.#resources[i];
      return { i, r, pidf, name: this.source.cardOf(r)?.displayName ?? undefined };
    });
    const listedCost = (r: string, name: string | undefined): number => RLMI_RESOURCE_OVERHEAD + 2 * r.length + (name?.length ?? 0);
    let budget = maxBytes - 400 - this.uri.length;
    // A full state lists every resource whatever fits: reserve the listing first.
    if (full) for (const { r, name } of named) budget -= listedCost(r, name);
    for (const { i, r, pidf, name } of named) {
      const cost = PART_OVERHEAD + Buffer.byteLength(pidf) + (full ? 0 : listedCost(r, name));
      if (owed.length === 0 && budget >= cost) {
        budget -= cost;
        resources.push({ uri: sipUri(r), name, pidf });
        continue;
      }
      // Owed: sent in the next NOTIFY (as changed: no last view); a full state still lists it, pending.
      owed.push(i);
      this.#last[i] = undefined;
      if (full) resources.push({ uri: sipUri(r), name, pidf: undefined });
    }
    if (owed.length > 0) this.#dirty = owed;
    const body = buildListNotify(this.uri, this.#version++, full, resources, this.domain);
    return owed.length > 0 ? { ...body, more: true } : body;
  }
}

/** The watchers of one presentity, as the subscription manager keeps them. */
export interface WatcherRegistry {
  watchersOf(owner: string): ReadonlyMap<string, WatcherEntry>;
}

export class WinfoWatch {
  /** What the subscriber was last told, by watcher id. */
  readonly #known = new Map<string, WatcherEntry>();
  #version = 0;

  constructor(
    private readonly registry: WatcherRegistry,
    readonly owner: string,
  ) {}

  render(full: boolean): NotifyBody | undefined {
    const now = this.registry.watchersOf(this.owner);
    let entries: WatcherEntry[];
    if (full) {
      this.#known.clear();
      entries = [...now.values()];
      for (const e of entries) this.#known.set(e.id, e);
    } else {
      entries = [];
      for (const e of now.values()) {
        const k = this.#known.get(e.id);
        if (!k || k.status !== e.status) entries.push(e);
        this.#known.set(e.id, e);
      }
      for (const [id, k] of this.#known) {
        if (now.has(id)) continue;
        entries.push({ ...k, status: 'terminated', event: 'timeout' });
        this.#known.delete(id);
      }
      if (entries.length === 0) return undefined;
    }
    return { contentType: WINFO_CONTENT_TYPE, body: buildWatcherInfo(sipUri(this.owner), this.#version++, full, entries) };
  }
}
