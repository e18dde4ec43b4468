/**
 * Aggregation: one user's state from every device's publication and
 * registration, as the original computes it ("multiple points of presence:
 * the state is aggregated", reference/lync-2013.md). Pure: the same inputs
 * give the same state, so tests drive it with any clock.
 *
 * The original keeps three kinds of state apart, and so does this:
 *
 * 1. Machine state, per device: a device is signed in when it registered or
 *    published an open tuple (a closed publication signs its device out).
 *    Idle since T (RPID user-input, RFC 4480 §3.13) makes it Inactive at
 *    T + inactiveAfter and Away at T + inactiveAfter + awayAfter. The MOST
 *    ACTIVE device wins: at the keyboard anywhere means at the keyboard.
 * 2. User state: what the user chose (an availability number, or an RPID
 *    activity such as busy or away). The LATEST publication that carries one
 *    wins, whichever device sent it: a state set on one device applies to all.
 * 3. Activity state: in a call (on-the-phone), in a meeting, presenting.
 *    ANY device reporting one overrides a chosen Available, Busy, Be Right
 *    Back or Away (presenting: everything but Offline becomes Do Not
 *    Disturb), and idleness does not apply while it lasts.
 *
 * Then: no signed-in device → Offline; a chosen Offline ("appear offline")
 * → Offline; Available/Busy with the machine Inactive → Inactive / Busy-idle;
 * Available with the machine Away → Away (Busy stays Busy-idle). The note and
 * location are the latest published ones, also when Offline.
 */
import { ACTIVITY_STATES, AVAILABILITY, classOf, USER_STATE_ACTIVITIES } from './availability.js';
import type { PublishedState } from './pidf-parse.js';

export interface PublicationInput {
  /** Stable across refreshes of the same publication. */
  readonly id: string;
  readonly publishedAt: number;
  /** The flow it came over ({@link flowKey}); attributes it to a registered device. */
  readonly source: string | undefined;
  readonly state: PublishedState;
}

export interface BindingInput {
  readonly contactUri: string;
  /** {@link flowKey} of the flow the device registered over, when known. */
  readonly flowKey: string | undefined;
}

export interface IdlePolicy {
  /** Idle this long → Inactive. The original's default: 5 minutes. */
  readonly inactiveAfterMs: number;
  /** Inactive this long → Away. The original's default: 5 minutes. */
  readonly awayAfterMs: number;
}

export const DEFAULT_IDLE_POLICY: IdlePolicy = Object.freeze({ inactiveAfterMs: 5 * 60_000, awayAfterMs: 5 * 60_000 });

export interface AggregatedState {
  readonly availability: number;
  /** The RPID activity behind the state (on-the-phone, meeting, presentation, busy, away…). */
  readonly activity: string | undefined;
  readonly note: string | undefined;
  readonly location: string | undefined;
  /** Since when the user is idle, when the state is idle-derived. */
  readonly idleSince: number | undefined;
  /** Signed-in devices. */
  readonly devices: number;
}

export const OFFLINE: AggregatedState = Object.freeze({
  availability: AVAILABILITY.offline,
  activity: undefined,
  note: undefined,
  location: undefined,
  idleSince: undefined,
  devices: 0,
});

/** Identifies a transport flow the same way for a PUBLISH's flow and a binding's stored flow. */
export function flowKey(f: { protocol: string; remoteAddress: string; remotePort: number; connectionId?: string; id?: string }): string {
  if (f.protocol.toLowerCase() === 'udp') return `udp:${f.remoteAddress}:${f.remotePort}`;
  return `conn:${f.connectionId ?? f.id ?? `${f.remoteAddress}:${f.remotePort}`}`;
}

export function sameState(a: AggregatedState, b: AggregatedState): boolean {
  return (
    a.availability === b.availability &&
    a.activity === b.activity &&
    a.note === b.note &&
    a.location === b.location &&
    a.idleSince === b.idleSince &&
    a.devices === b.devices
  );
}

/** Strongest first: presenting, then a call, then a meeting. */
const ACTIVITY_ORDER = ['presentation', 'on-the-phone', 'meeting', 'appointment'];

export function aggregate(
  publications: readonly PublicationInput[],
  bindings: readonly BindingInput[],
  now: number,
  policy: IdlePolicy = DEFAULT_IDLE_POLICY,
): { state: AggregatedState; nextChangeAt: number | undefined } {
  const latest = [...publications].sort((a, b) => b.publishedAt - a.publishedAt);
  const note = latest.find((p) => p.state.note !== undefined)?.state.note || undefined;
  const location = latest.find((p) => p.state.location !== undefined)?.state.location || undefined;

  // 1. Machine state: 0 active, 1 inactive, 2 away, per signed-in device.
  const idleSinceOf: Array<number | undefined> = [];
  const online = publications.filter((p) => p.state.basic !== 'closed');
  for (const p of online) idleSinceOf.push(p.state.idle ? (p.state.idleSince ?? p.publishedAt) : undefined);
  for (const b of bindings) {
    const published = publications.some((p) => (b.flowKey !== undefined && p.source === b.flowKey) || p.state.contacts.includes(b.contactUri));
    if (!published) idleSinceOf.push(undefined);
  }
  const devices = idleSinceOf.length;
  if (devices === 0) return { state: { ...OFFLINE, note, location }, nextChangeAt: undefined };

  let machine = 2;
  let machineSince: number | undefined;
  let nextChangeAt: number | undefined;
  const soonest = (t: number): void => {
    if (t > now && (nextChangeAt === undefined || t < nextChangeAt)) nextChangeAt = t;
  };
  for (const since of idleSinceOf) {
    let level = 0;
    if (since !== undefined) {
      const inactiveAt = since + policy.inactiveAfterMs;
      const awayAt = inactiveAt + policy.awayAfterMs;
      level = now >= awayAt ? 2 : now >= inactiveAt ? 1 : 0;
      soonest(inactiveAt);
      soonest(awayAt);
    }
    if (level < machine || (level === machine && since !== undefined && (machineSince === undefined || since > machineSince))) {
      machine = level;
      machineSince = since;
    }
  }

  // 2. User state: the latest publication that carries a choice.
  let chosen: number = AVAILABILITY.available;
  let activity: string | undefined;
  for (const p of latest) {
    if (p.state.activities.some((a) => a in ACTIVITY_STATES)) continue;
    if (p.state.availability !== undefined) {
      chosen = p.state.availability;
      activity = p.state.activities.find((a) => a in USER_STATE_ACTIVITIES);
      break;
    }
    const a = p.state.activities.find((x) => x in USER_STATE_ACTIVITIES);
    if (a !== undefined) {
      chosen = USER_STATE_ACTIVITIES[a];
      activity = a;
      break;
    }
  }
  const chosenClass = classOf(chosen);
  if (chosenClass === 'offline') return { state: { ...OFFLINE, note, location }, nextChangeAt: undefined };

  // 3. Activity state from any signed-in device.
  const reported = new Set(online.flatMap((p) => p.state.activities));
  const current = ACTIVITY_ORDER.find((a) => reported.has(a));
  if (current !== undefined) {
    const n = ACTIVITY_STATES[current];
    if (n === AVAILABILITY.dnd) return { state: { availability: n, activity: current, note, location, idleSince: undefined, devices }, nextChangeAt: undefined };
    if (chosenClass !== 'dnd') {
      // A chosen Busy keeps its number; the activity says why.
      const availability = chosenClass === 'busy' || chosenClass === 'busy-idle' ? chosen : n;
      return { state: { availability, activity: current, note, location, idleSince: undefined, devices }, nextChangeAt: undefined };
    }
  }

  // Idleness moves Available and Busy only.
  let availability: number = chosen;
  let idleSince: number | undefined;
  if (machine > 0 && (chosenClass === 'available' || chosenClass === 'busy')) {
    idleSince = machineSince;
    if (chosenClass === 'available') availability = machine === 1 ? AVAILABILITY.inactive : AVAILABILITY.away;
    else availability = AVAILABILITY.busyIdle;
  }
  return { state: { availability, activity, note, location, idleSince, devices }, nextChangeAt };
}
