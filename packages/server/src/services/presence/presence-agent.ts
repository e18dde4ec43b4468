/**
 * The presence agent (RFC 3856 §3): each user's aggregated state, kept for
 * the users somebody watches, and pushed to their watchers when it changes.
 *
 * What moves a state, and how fast:
 * - a publication added, modified, removed or expired: at once (the table
 *   calls {@link PresenceAgent.ownerChanged});
 * - a registration added, removed or expired: at once, through
 *   {@link PresenceAgent.bindingsChanged} (the service's `onBindingsChanged`,
 *   called by the composition root from the location service's hook); a
 *   host without that hook may set `bindingPollMs` to compare the bindings
 *   of WATCHED users only on a timer;
 * - idleness crossing the Inactive or Away threshold: a timer per watched
 *   user at the next crossing (`aggregate.ts` says when);
 * - a live call starting or ending (the proxy's call tracker, given as
 *   `calls`): at once, the service calls {@link PresenceAgent.ownerChanged}.
 * A watcher hears of every change of the state; whether it sends a NOTIFY
 * depends on what its relationship lets it see.
 */
import type { Clock, TimerHandle } from '@parley/sip/transaction';
import { aggregate, flowKey, sameState, type AggregatedState, type BindingInput, type IdlePolicy } from './aggregate.js';
import type { ContactCard } from './privacy.js';
import type { PublicationTable } from './publications.js';

/** A registered device as the agent needs it (structurally the location service's Binding). */
export interface BindingLike {
  readonly key: string;
  readonly contactUri: string;
  readonly flow: { protocol: string; remoteAddress: string; remotePort: number; connectionId?: string } | null;
}

export interface BindingSource {
  lookup(aor: string): readonly BindingLike[];
}

/** Something that follows a user's state (a subscription's view of it). */
export interface PresenceWatcher {
  presenceChanged(owner: string): void;
}

export interface PresenceAgentOptions {
  readonly publications: PublicationTable;
  readonly bindings: BindingSource;
  readonly clock: Clock;
  readonly idle: IdlePolicy;
  /** Poll period of watched users' bindings; 0 (default) does not poll. */
  readonly bindingPollMs?: number;
  /** Live calls per user (`live-calls.ts`); none when absent. */
  readonly calls?: { callsOf(aor: string): number };
  /** The contact card (display name, phone) of a user, for friends and family. */
  loadCard(owner: string): Promise<ContactCard | undefined>;
  onError?(err: unknown): void;
}

interface Watched {
  /** The address as first watched: the one copy every watcher keeps (see {@link PresenceAgent.watch}). */
  readonly owner: string;
  state: AggregatedState;
  bindingsSignature: string;
  /**
   * The watchers, in the order they came. An array, not a Set: a user on 80
   * contact lists has ~120 watchers (1.5 devices each), and without pointer
   * compression a Set of 120 costs ~3.9 KB against ~1 KB here. A watcher
   * removed while a fan-out walks the array leaves a hole (undefined), so
   * that the walk neither skips nor repeats anyone (see `#tell`); the last
   * fan-out to end closes the holes.
   */
  watchers: Array<PresenceWatcher | undefined>;
  /** Watchers present: `watchers.length` less the holes. */
  count: number;
  /** Fan-outs walking `watchers` now (each spans several turns of the event loop). */
  telling: number;
  timer: TimerHandle | undefined;
}

/** Contact cards kept in memory. */
export const MAX_CARDS = 10_000;

/** Watchers told of a change per turn of the event loop (see `#tell`). */
export const FANOUT_CHUNK = 32;

export class PresenceAgent {
  readonly #watched = new Map<string, Watched>();
  readonly #cards = new Map<string, ContactCard | undefined>();
  #poll: TimerHandle | undefined;
  #pushed = false;
  #closed = false;

  constructor(private readonly o: PresenceAgentOptions) {}

  /** The aggregated state of `owner` now. */
  stateOf(owner: string): AggregatedState {
    return this.#watched.get(owner)?.state ?? this.#compute(owner).state;
  }

  /** The contact card of `owner`, once {@link loadCard} fetched it. */
  cardOf(owner: string): ContactCard | undefined {
    return this.#cards.get(owner);
  }

  /** Fetches the contact card of `owner` (kept for the most recent {@link MAX_CARDS} owners). */
  async loadCard(owner: string): Promise<void> {
    if (this.#cards.has(owner)) return;
    const card = await this.o.loadCard(owner).catch((e: unknown) => {
      this.o.onError?.(e);
      return undefined;
    });
    if (this.#cards.size >= MAX_CARDS) this.#cards.delete(this.#cards.keys().next().value as string);
    this.#cards.set(owner, card);
  }

  /** Owners with at least one watcher. */
  get watchedCount(): number {
    return this.#watched.size;
  }

  /**
   * Starts following `owner` for `watcher` (once: watching again changes
   * nothing). Returns the agent's copy of the address, equal to `owner`:
   * the copy of whoever watched it first, for as long as anybody does.
   * Contact lists keep that copy rather than their own (each list query
   * reads a fresh string per contact), so every list that holds an address
   * shares one string, and the agent reports changes with the same one.
   */
  watch(owner: string, watcher: PresenceWatcher): string {
    let w = this.#watched.get(owner);
    if (!w) {
      const { state, nextChangeAt } = this.#compute(owner);
      w = { owner, state, bindingsSignature: this.#signature(owner), watchers: [], count: 0, telling: 0, timer: undefined };
      this.#watched.set(owner, w);
      this.#schedule(owner, w, nextChangeAt);
      this.#ensurePolling();
    }
    if (!w.watchers.includes(watcher)) {
      w.watchers.push(watcher);
      w.count++;
    }
    return w.owner;
  }

  /** Stops following `owner` for `watcher`; false when it did not. */
  unwatch(owner: string, watcher: PresenceWatcher): boolean {
    const w = this.#watched.get(owner);
    if (!w) return false;
    const i = w.watchers.indexOf(watcher);
    if (i < 0) return false;
    // A fan-out under way walks the array by index: leave a hole rather than move the others.
    if (w.telling > 0) w.watchers[i] = undefined;
    else w.watchers.splice(i, 1);
    w.count--;
    if (w.count > 0) return true;
    if (w.timer !== undefined) this.o.clock.clearTimeout(w.timer);
    this.#watched.delete(owner);
    return true;
  }

  /** The watchers of `owner` now, in the order they came (a copy; watcher information). */
  watchersOf(owner: string): PresenceWatcher[] {
    const w = this.#watched.get(owner);
    if (!w) return [];
    const out: PresenceWatcher[] = [];
    for (const x of w.watchers) if (x !== undefined) out.push(x);
    return out;
  }

  /** Publications (or live calls) of `owner` changed. */
  ownerChanged(owner: string): void {
    const w = this.#watched.get(owner);
    if (!w || this.#closed) return;
    const { state, nextChangeAt } = this.#compute(owner);
    this.#schedule(owner, w, nextChangeAt);
    if (sameState(state, w.state)) return;
    w.state = state;
    if (w.watchers.length === 0) return;
    w.telling++;
    this.#tell(w, w.watchers.length, 0);
  }

  /**
   * Tells `w.watchers[from…end)` that the owner changed, {@link FANOUT_CHUNK}
   * per turn of the event loop: a user watched by 120 devices costs 120
   * NOTIFYs, and requests that arrive meanwhile (a MESSAGE) should not wait
   * for all of them. `end` is the length when the change happened: a
   * watcher that came later is not told (it starts from the new state). A
   * watcher gone meanwhile left a hole and is skipped (the array does not
   * move while `w.telling` counts this walk); one told twice (a newer
   * change) renders no second NOTIFY when its view did not change.
   */
  #tell(w: Watched, end: number, from: number): void {
    const stop = Math.min(end, from + FANOUT_CHUNK);
    try {
      for (let i = from; i < stop; i++) {
        const watcher = w.watchers[i];
        if (watcher === undefined) continue;
        try {
          watcher.presenceChanged(w.owner);
        } catch (e) {
          this.o.onError?.(e);
        }
      }
    } catch (e) {
      // Only `onError` itself throwing gets here: this walk ends.
      this.#told(w);
      throw e;
    }
    if (stop < end && !this.#closed)
      setImmediate(() => {
        if (this.#closed) this.#told(w);
        else this.#tell(w, end, stop);
      });
    else this.#told(w);
  }

  /** A fan-out over `w` ended: the last one closes the holes that removals left. */
  #told(w: Watched): void {
    if (--w.telling > 0 || w.count === w.watchers.length) return;
    w.watchers = w.watchers.filter((x) => x !== undefined);
  }

  /** The registrations of `aor` changed (the location service's hook). Once called, polling stops for good. */
  bindingsChanged(aor: string): void {
    this.#pushed = true;
    if (this.#poll !== undefined) this.o.clock.clearTimeout(this.#poll);
    this.#poll = undefined;
    const w = this.#watched.get(aor);
    if (!w) return;
    w.bindingsSignature = this.#signature(aor);
    this.ownerChanged(aor);
  }

  #compute(owner: string): { state: AggregatedState; nextChangeAt: number | undefined } {
    const bindings: BindingInput[] = this.o.bindings.lookup(owner).map((b) => ({ contactUri: b.contactUri, flowKey: b.flow ? flowKey(b.flow) : undefined }));
    return aggregate(this.o.publications.of(owner), bindings, this.o.clock.now(), this.o.idle, { calls: this.o.calls?.callsOf(owner) ?? 0 });
  }

  #signature(owner: string): string {
    return this.o.bindings
      .lookup(owner)
      .map((b) => b.key)
      .sort()
      .join('\n');
  }

  #schedule(owner: string, w: Watched, at: number | undefined): void {
    if (w.timer !== undefined) this.o.clock.clearTimeout(w.timer);
    w.timer = undefined;
    if (at === undefined || this.#closed) return;
    const delay = Math.min(Math.max(0, at - this.o.clock.now()) + 1, 2 ** 31 - 1);
    w.timer = this.o.clock.setTimeout(() => {
      w.timer = undefined;
      this.ownerChanged(owner);
    }, delay);
  }

  #ensurePolling(): void {
    const every = this.o.bindingPollMs ?? 0;
    if (every <= 0 || this.#pushed || this.#poll !== undefined || this.#closed) return;
    const tick = (): void => {
      this.#poll = undefined;
      if (this.#watched.size === 0 || this.#pushed || this.#closed) return;
      for (const [owner, w] of this.#watched) {
        const sig = this.#signature(owner);
        if (sig === w.bindingsSignature) continue;
        w.bindingsSignature = sig;
        this.ownerChanged(owner);
      }
      this.#poll = this.o.clock.setTimeout(tick, every);
    };
    this.#poll = this.o.clock.setTimeout(tick, every);
  }

  /** Stops every timer; idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#poll !== undefined) this.o.clock.clearTimeout(this.#poll);
    this.#poll = undefined;
    for (const w of this.#watched.values()) if (w.timer !== undefined) this.o.clock.clearTimeout(w.timer);
    this.#watched.clear();
    this.#cards.clear();
  }
}
