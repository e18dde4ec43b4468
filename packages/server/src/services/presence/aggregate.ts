/**
 * Aggregation: one user's state from every device's publication and
 * registration, as the original computes it ("multiple points of presence:
 * the state is aggregated", reference/lync-2013.md). Pure: the same inputs
 * give the same state, so tests drive it with any clock.
 *
 * The original keeps three kinds of state apart, and so does this:
 *
 * 1. Machine state, per device: a device is signed in when it registered or
 *    published an open tuple, and its LATEST publication decides: a closed
 *    one signs it out although it stays registered (baresip publishes basic
 *    closed when its user goes offline or away). Publications are tied to
 *    devices by {@link devicesOf}: the flow they came over, else a tuple
 *    <contact> naming the device's Contact, else — the tuple names the AOR,
 *    as baresip's does — by elimination, when exactly one registered device
 *    has published nothing and the publications come from one source.
 *    Idle since T (RPID user-input, RFC 4480 §3.13) makes it Inactive at
 *    T + inactiveAfter and Away at T + inactiveAfter + awayAfter. The MOST
 *    ACTIVE device wins: at the keyboard anywhere means at the keyboard.
 * 2. User state: what the user chose (an availability number, or an RPID
 *    activity such as busy or away). The LATEST publication that carries one
 *    wins, whichever device sent it: a state set on one device applies to all.
 * 3. Activity state: in a call (on-the-phone), in a meeting, presenting.
 *    ANY device reporting one overrides a chosen Available, Busy, Be Right
 *    Back or Away (presenting: everything but Offline becomes Do Not
 *    Disturb), and idleness does not apply while it lasts. The server is a
 *    source too ({@link ServerActivity}): a user with a live call routed by
 *    Parley is on-the-phone whatever their devices publish — standard SIP
 *    phones publish no activity — and that call also makes them signed in
 *    (a device is in use), although no device registered or published open.
 *
 * Out of office (the calendar's, `pidf-parse.ts`): the latest publication
 * that says anything of it decides, as for the note; it changes no number
 * (the original shows "Out of Office" beside the availability) and stays
 * known while Offline, as the note does.
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

/** What the server itself knows of a user's activity, beside what devices publish. */
export interface ServerActivity {
  /** Live calls of the user that Parley routed (the proxy's call tracker). */
  readonly calls: number;
}

const NO_SERVER_ACTIVITY: ServerActivity = Object.freeze({ calls: 0 });

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
  /** Out of office, with the OOF note if any; undefined when not. */
  readonly oof?: { readonly note: string | undefined };
  /**
   * The availability the user chose by hand (the latest publication carrying
   * a choice), when one did: only the owner's own view shows it, so each of
   * their devices can tell "I chose Available" from "nobody chose anything".
   */
  readonly manual?: number;
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
    a.devices === b.devices &&
    a.oof?.note === b.oof?.note &&
    (a.oof === undefined) === (b.oof === undefined)
  );
}

/** A URI as devices write it in a tuple <contact> (RFC 3863 §4.1.2): without brackets, parameters or case. */
const bareUri = (u: string): string => u.trim().replace(/^<|>$/g, '').split(';')[0].toLowerCase();

/** One device: a registration and/or the publications tied to it. */
export interface DeviceInput {
  readonly binding: BindingInput | undefined;
  /** Its publications, latest first. */
  readonly publications: readonly PublicationInput[];
  readonly latest: PublicationInput | undefined;
}

/**
 * Ties publications to devices. A publication belongs to the registration
 * whose flow it came over, else whose Contact its tuple names. The rest are
 * grouped by the flow they came over (one source, one device). Then, when
 * exactly one registration is left without a publication and exactly one
 * such group is left without a registration, they are the same device: a
 * client that names its AOR in the tuple and published over another flow
 * (a new TCP connection, a restart) is still the one registered device.
 */
export function devicesOf(publications: readonly PublicationInput[], bindings: readonly BindingInput[]): DeviceInput[] {
  const byBinding = bindings.map((): PublicationInput[] => []);
  const loose = new Map<string, PublicationInput[]>();
  const contacts = bindings.map((b) => bareUri(b.contactUri));
  for (const p of publications) {
    let i = bindings.findIndex((b) => b.flowKey !== undefined && p.source === b.flowKey);
    if (i < 0) {
      const named = p.state.contacts.map(bareUri);
      i = contacts.findIndex((c) => named.includes(c));
    }
    if (i >= 0) byBinding[i].push(p);
    else {
      const key = p.source !== undefined ? `s:${p.source}` : `p:${p.id}`;
      const g = loose.get(key);
      if (g) g.push(p);
      else loose.set(key, [p]);
    }
  }
  const unclaimed = byBinding.flatMap((ps, i) => (ps.length === 0 ? [i] : []));
  if (unclaimed.length === 1 && loose.size === 1) {
    const [[key, ps]] = [...loose];
    byBinding[unclaimed[0]].push(...ps);
    loose.delete(key);
  }
  const device = (binding: BindingInput | undefined, ps: PublicationInput[]): DeviceInput => {
    const sorted = [...ps].sort((a, b) => b.publishedAt - a.publishedAt);
    return { binding, publications: sorted, latest: sorted[0] };
  };
  return [...bindings.map((b, i) => device(b, byBinding[i])), ...[...loose.values()].map((ps) => device(undefined, ps))];
}

/** Strongest first: presenting, then a call, then a meeting. */
const ACTIVITY_ORDER = ['presentation', 'on-the-phone', 'meeting', 'appointment'];

export function aggregate(
  publications: readonly PublicationInput[],
  bindings: readonly BindingInput[],
  now: number,
  policy: IdlePolicy = DEFAULT_IDLE_POLICY,
  server: ServerActivity = NO_SERVER_ACTIVITY,
): { state: AggregatedState; nextChangeAt: number | undefined } {
  const latest = [...publications].sort((a, b) => b.publishedAt - a.publishedAt);
  const note = latest.find((p) => p.state.note !== undefined)?.state.note || undefined;
  const location = latest.find((p) => p.state.location !== undefined)?.state.location || undefined;
  const oofSaid = latest.find((p) => p.state.oof !== undefined)?.state.oof;
  const extra: { oof?: { note: string | undefined }; manual?: number } = oofSaid?.active ? { oof: { note: oofSaid.note } } : {};

  // 1. Machine state: 0 active, 1 inactive, 2 away, per signed-in device.
  const idleSinceOf: Array<number | undefined> = [];
  const online: PublicationInput[] = [];
  for (const d of devicesOf(publications, bindings)) {
    if (d.latest === undefined) {
      idleSinceOf.push(undefined); // registered, published nothing: active
      continue;
    }
    if (d.latest.state.basic === 'closed') continue; // signed out by its own latest word
    online.push(...d.publications.filter((p) => p.state.basic !== 'closed'));
    idleSinceOf.push(d.latest.state.idle ? (d.latest.state.idleSince ?? d.latest.publishedAt) : undefined);
  }
  const devices = idleSinceOf.length;
  const inCall = server.calls > 0;
  if (devices === 0 && !inCall) return { state: { ...OFFLINE, note, location, ...extra }, nextChangeAt: undefined };

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
  let madeChoice = false;
  for (const p of latest) {
    if (p.state.activities.some((a) => a in ACTIVITY_STATES)) continue;
    if (p.state.availability !== undefined) {
      chosen = p.state.availability;
      activity = p.state.activities.find((a) => a in USER_STATE_ACTIVITIES);
      madeChoice = true;
      break;
    }
    const a = p.state.activities.find((x) => x in USER_STATE_ACTIVITIES);
    if (a !== undefined) {
      chosen = USER_STATE_ACTIVITIES[a];
      activity = a;
      madeChoice = true;
      break;
    }
  }
  if (madeChoice) Object.assign(extra, { manual: chosen });
  const chosenClass = classOf(chosen);
  if (chosenClass === 'offline') return { state: { ...OFFLINE, note, location, ...extra }, nextChangeAt: undefined };

  // 3. Activity state from any signed-in device.
  const reported = new Set(online.flatMap((p) => p.state.activities));
  if (inCall) reported.add('on-the-phone');
  const current = ACTIVITY_ORDER.find((a) => reported.has(a));
  if (current !== undefined) {
    const n = ACTIVITY_STATES[current];
    if (n === AVAILABILITY.dnd) return { state: { availability: n, activity: current, note, location, idleSince: undefined, devices, ...extra }, nextChangeAt: undefined };
    if (chosenClass !== 'dnd') {
      // A chosen Busy keeps its number; the activity says why.
      const availability = chosenClass === 'busy' || chosenClass === 'busy-idle' ? chosen : n;
      return { state: { availability, activity: current, note, location, idleSince: undefined, devices, ...extra }, nextChangeAt: undefined };
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
  return { state: { availability, activity, note, location, idleSince, devices, ...extra }, nextChangeAt };
}
