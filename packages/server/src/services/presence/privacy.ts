/**
 * Privacy relationships, the original's "access levels" (containers): the
 * owner of a presence puts each watcher in one, and the container decides
 * what that watcher sees of the aggregated state.
 *
 * | relationship       | sees                                                       |
 * | ------------------ | ---------------------------------------------------------- |
 * | friends-family     | everything: availability, activity, note, idle time,       |
 * |                    | location and the contact card (name, phone)                |
 * | workgroup          | as colleagues, plus that they may interrupt Do Not         |
 * |                    | Disturb (only this relationship may, as in the original)   |
 * | colleagues         | availability, the activity behind it, note, idle time,     |
 * |                    | out of office and the OOF note                             |
 * | external           | availability only (with the generic RPID activity busy or  |
 * |                    | away that a SIMPLE client needs to show it): no note, no   |
 * |                    | out of office or OOF note                                  |
 * | blocked            | Offline, exactly as a signed-out user looks                |
 *
 * Without an explicit choice: colleagues for watchers of a domain this
 * server serves ("inside the organization"), external for anyone else; the
 * owner watching themself sees everything.
 */
import { AVAILABILITY, classOf, genericActivity, type AvailabilityClass } from './availability.js';
import type { AggregatedState } from './aggregate.js';

export const RELATIONSHIPS = ['friends-family', 'workgroup', 'colleagues', 'external', 'blocked'] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export function isRelationship(s: unknown): s is Relationship {
  return typeof s === 'string' && (RELATIONSHIPS as readonly string[]).includes(s);
}

/** The relationship of a watcher the owner has not placed: decided by the watcher's domain. */
export function defaultRelationship(owner: string, watcher: string, isLocalDomain: (domain: string) => boolean): Relationship {
  if (owner === watcher) return 'friends-family';
  const domain = watcher.slice(watcher.lastIndexOf('@') + 1);
  return isLocalDomain(domain) ? 'colleagues' : 'external';
}

/** The contact card of the original, as far as Parley keeps one. */
export interface ContactCard {
  readonly displayName: string | null;
  readonly phone: string | null;
}

/** What one watcher may see of one presentity. */
export interface WatcherView {
  readonly availability: number;
  readonly class: AvailabilityClass;
  /** The RPID activity to show (specific for colleagues and closer, generic for external). */
  readonly activity: string | undefined;
  readonly note: string | undefined;
  readonly idleSince: number | undefined;
  readonly location: string | undefined;
  /** Workgroup only, while Do Not Disturb: their IMs and calls still get through (`presence-gate.ts`). */
  readonly interruptible: boolean;
  readonly card: ContactCard | undefined;
  /** Out of office and its note (colleagues and closer, as the original shows the OOF note). */
  readonly oof?: { readonly note: string | undefined };
  /** The availability chosen by hand: the owner's own view only ({@link selfView}). */
  readonly manual?: number;
}

const OFFLINE_VIEW: WatcherView = Object.freeze({
  availability: AVAILABILITY.offline,
  class: 'offline',
  activity: undefined,
  note: undefined,
  idleSince: undefined,
  location: undefined,
  interruptible: false,
  card: undefined,
});

/** The state as `relationship` sees it. */
export function viewFor(state: AggregatedState, relationship: Relationship, card?: ContactCard): WatcherView {
  if (relationship === 'blocked') return OFFLINE_VIEW;
  const cls = classOf(state.availability);
  const generic = genericActivity(cls);
  if (relationship === 'external') {
    return { ...OFFLINE_VIEW, availability: state.availability, class: cls, activity: generic };
  }
  const view: WatcherView = {
    availability: state.availability,
    class: cls,
    activity: state.activity ?? generic,
    note: state.note,
    idleSince: state.idleSince,
    location: undefined,
    interruptible: false,
    card: undefined,
    ...(state.oof ? { oof: state.oof } : {}),
  };
  if (relationship === 'colleagues') return view;
  if (relationship === 'workgroup') return { ...view, interruptible: cls === 'dnd' };
  return { ...view, location: state.location, card };
}

/** What the owner sees of themself: everything, and which availability they chose by hand, if any. */
export function selfView(state: AggregatedState, card?: ContactCard): WatcherView {
  const view = viewFor(state, 'friends-family', card);
  return state.manual === undefined ? view : { ...view, manual: state.manual };
}

/** May `relationship` reach the owner while Do Not Disturb (for IM and calls)? Workgroup only, as the original. */
export function mayInterrupt(relationship: Relationship): boolean {
  return relationship === 'workgroup';
}

export function sameView(a: WatcherView, b: WatcherView): boolean {
  if (a === b) return true;
  return (
    a.availability === b.availability &&
    a.activity === b.activity &&
    a.note === b.note &&
    a.idleSince === b.idleSince &&
    a.location === b.location &&
    a.interruptible === b.interruptible &&
    a.card?.displayName === b.card?.displayName &&
    a.card?.phone === b.card?.phone &&
    a.manual === b.manual &&
    (a.oof === undefined) === (b.oof === undefined) &&
    a.oof?.note === b.oof?.note
  );
}
