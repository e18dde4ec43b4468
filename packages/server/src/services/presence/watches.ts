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
import { buildListNotify, buildWatcherInfo, WINFO_CONTENT_TYPE, type WatcherEntry } from './list-documents.js';
import { buildPidf, PIDF_CONTENT_TYPE } from './pidf-build.js';
import { sameView, viewFor, type ContactCard, type Relationship, type WatcherView } from './privacy.js';
import type { NotifyBody } from './subscription.js';

/** What renderers read from the presence agent. */
export interface StateSource {
  stateOf(owner: string): AggregatedState;
  cardOf(owner: string): ContactCard | undefined;
}

const sipUri = (address: string): string => `sip:${address}`;

export class PresenceWatch {
  #last: WatcherView | undefined;

  constructor(
    private readonly source: StateSource,
    readonly owner: string,
    public relationship: Relationship,
  ) {}

  /** What the watcher sees now. */
  view(): WatcherView {
    return viewFor(this.source.stateOf(this.owner), this.relationship, this.source.cardOf(this.owner));
  }

  render(full: boolean): NotifyBody | undefined {
    const view = this.view();
    if (!full && this.#last && sameView(this.#last, view)) return undefined;
    this.#last = view;
    return { contentType: PIDF_CONTENT_TYPE, body: buildPidf(sipUri(this.owner), view) };
  }
}

export class ListWatch {
  readonly #rel = new Map<string, Relationship>();
  readonly #last = new Map<string, WatcherView>();
  #version = 0;

  constructor(
    private readonly source: StateSource,
    /** The list's URI (`sip:alice;list=contacts@example.com`). */
    readonly uri: string,
    /** Its owner, who is also the only watcher. */
    readonly owner: string,
    private readonly domain: string,
  ) {}

  /** The resources, in list order. */
  get resources(): string[] {
    return [...this.#rel.keys()];
  }

  has(resource: string): boolean {
    return this.#rel.has(resource);
  }

  set(resource: string, relationship: Relationship): void {
    this.#rel.set(resource, relationship);
  }

  delete(resource: string): void {
    this.#rel.delete(resource);
    this.#last.delete(resource);
  }

  render(full: boolean): NotifyBody | undefined {
    const changed: string[] = [];
    for (const [r, rel] of this.#rel) {
      const view = viewFor(this.source.stateOf(r), rel, this.source.cardOf(r));
      const last = this.#last.get(r);
      if (full || !last || !sameView(last, view)) changed.push(r);
      this.#last.set(r, view);
    }
    if (!full && changed.length === 0) return undefined;
    return buildListNotify(
      this.uri,
      this.#version++,
      full,
      changed.map((r) => ({ uri: sipUri(r), name: this.source.cardOf(r)?.displayName ?? undefined, pidf: buildPidf(sipUri(r), this.#last.get(r)!) })),
      this.domain,
    );
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
