/**
 * Availability as Parley (and the original) counts it: one number per user,
 * read by its range (server: services/presence/availability.ts). The client
 * publishes the numbers of the states a user may choose, and shows every
 * class with a colour, an icon and a text label (never colour alone).
 */

export type AvailabilityClass = 'available' | 'inactive' | 'busy' | 'busy-idle' | 'dnd' | 'brb' | 'away' | 'offline';

/** What the user may choose in "My status". `reset` lets the server decide. */
export type ChosenStatus = 'available' | 'busy' | 'dnd' | 'brb' | 'away' | 'appear-offline' | 'reset';

export const AVAILABILITY = Object.freeze({
  available: 3500,
  inactive: 5000,
  busy: 6500,
  busyIdle: 7500,
  dnd: 9500,
  brb: 12500,
  away: 15500,
  offline: 18500,
});

/** The number published for a chosen status; undefined for Reset (no manual availability). */
export function availabilityOf(s: ChosenStatus): number | undefined {
  switch (s) {
    case 'available':
      return AVAILABILITY.available;
    case 'busy':
      return AVAILABILITY.busy;
    case 'dnd':
      return AVAILABILITY.dnd;
    case 'brb':
      return AVAILABILITY.brb;
    case 'away':
      return AVAILABILITY.away;
    case 'appear-offline':
      return AVAILABILITY.offline;
    case 'reset':
      return undefined;
  }
}

export function classOf(n: number): AvailabilityClass {
  if (n < 4500) return 'available';
  if (n < 6000) return 'inactive';
  if (n < 7500) return 'busy';
  if (n < 9000) return 'busy-idle';
  if (n < 12000) return 'dnd';
  if (n < 15000) return 'brb';
  if (n < 18000) return 'away';
  return 'offline';
}

const CLASSES: readonly AvailabilityClass[] = ['available', 'inactive', 'busy', 'busy-idle', 'dnd', 'brb', 'away', 'offline'];

/** Reads a `<p:state>` text or a REST `state`; unknown → undefined. */
export function parseClass(s: string | null | undefined): AvailabilityClass | undefined {
  const t = (s ?? '').trim().toLowerCase();
  return (CLASSES as readonly string[]).includes(t) ? (t as AvailabilityClass) : undefined;
}

export const CLASS_LABEL: Readonly<Record<AvailabilityClass, string>> = Object.freeze({
  available: 'Available',
  inactive: 'Inactive',
  busy: 'Busy',
  'busy-idle': 'Busy (inactive)',
  dnd: 'Do Not Disturb',
  brb: 'Be Right Back',
  away: 'Away',
  offline: 'Offline',
});

export const CHOICE_LABEL: Readonly<Record<ChosenStatus, string>> = Object.freeze({
  available: 'Available',
  busy: 'Busy',
  dnd: 'Do Not Disturb',
  brb: 'Be Right Back',
  away: 'Off Work / Away',
  'appear-offline': 'Appear Offline',
  reset: 'Reset Status',
});

export const CHOICES: readonly ChosenStatus[] = ['available', 'busy', 'dnd', 'brb', 'away', 'appear-offline', 'reset'];

/** RPID activities that say what the person is doing (they replace the plain class label). */
const ACTIVITY_LABEL: Readonly<Record<string, string>> = Object.freeze({
  'on-the-phone': 'In a call',
  meeting: 'In a meeting',
  appointment: 'In a meeting',
  presentation: 'Presenting',
  vacation: 'Off work',
  holiday: 'Off work',
});

export interface Presence {
  readonly availability: number;
  readonly cls: AvailabilityClass;
  readonly activity: string | undefined;
  readonly note: string | undefined;
  /** ms epoch */
  readonly idleSince: number | undefined;
  readonly location: string | undefined;
  /**
   * My own document only (Parley's `<p:manual>`): the availability I chose by
   * hand; null when Parley says nobody chose one (the state is the
   * machine's); undefined when the document does not say.
   */
  readonly manual?: number | null;
}

export const OFFLINE_PRESENCE: Presence = Object.freeze({
  availability: AVAILABILITY.offline,
  cls: 'offline',
  activity: undefined,
  note: undefined,
  idleSince: undefined,
  location: undefined,
});

/** "Available", "In a call", "Away 12 mins", "Inactive 3 mins". */
export function availabilityText(p: Presence, now = Date.now()): string {
  if (p.cls === 'offline') return 'Offline';
  const act = p.activity !== undefined ? ACTIVITY_LABEL[p.activity] : undefined;
  if (act !== undefined && p.cls !== 'away' && p.cls !== 'brb' && p.cls !== 'inactive') return act;
  const base = CLASS_LABEL[p.cls];
  if ((p.cls === 'inactive' || p.cls === 'away' || p.cls === 'busy-idle') && p.idleSince !== undefined) {
    const mins = Math.max(0, Math.floor((now - p.idleSince) / 60_000));
    if (mins >= 1) return `${base} ${formatDuration(mins)}`;
  }
  return base;
}

function formatDuration(mins: number): string {
  if (mins < 60) return `${mins} min${mins === 1 ? '' : 's'}`;
  const h = Math.floor(mins / 60);
  if (h < 24) return `${h} hr${h === 1 ? '' : 's'}`;
  const d = Math.floor(h / 24);
  return `${d} day${d === 1 ? '' : 's'}`;
}

/**
 * The choice behind my aggregated state (the self subscription's NOTIFY):
 * from Parley's `<p:manual>` when the document has it ('reset' when nobody
 * chose); else guessed, undefined when the state comes from idleness or an
 * activity (a call, a meeting).
 */
export function choiceOf(p: Presence): ChosenStatus | undefined {
  // Parley says exactly what was chosen by hand (`<p:manual>`), whatever idleness or a call made of it.
  if (p.manual === null) return 'reset';
  if (p.manual !== undefined) {
    const c = classOf(p.manual);
    return c === 'offline' ? 'appear-offline' : c === 'busy' || c === 'busy-idle' ? 'busy' : c === 'inactive' ? 'available' : c;
  }
  if (p.activity !== undefined && ['on-the-phone', 'meeting', 'appointment', 'presentation'].includes(p.activity)) return undefined;
  switch (p.cls) {
    case 'available':
      return 'available';
    case 'busy':
    case 'busy-idle':
      return 'busy';
    case 'dnd':
      return 'dnd';
    case 'brb':
      return 'brb';
    case 'away':
      return p.idleSince === undefined ? 'away' : undefined;
    case 'offline':
      return 'appear-offline';
    case 'inactive':
      return undefined;
  }
}

/** From the REST view (`GET /me/contacts`, `GET /presence/:a`). */
export function presenceFromRest(v: {
  availability: number;
  state?: string | null;
  activity?: string | null;
  note?: string | null;
  idleSince?: string | null;
  location?: string | null;
} | null | undefined): Presence {
  if (!v) return OFFLINE_PRESENCE;
  const idle = v.idleSince ? Date.parse(v.idleSince) : NaN;
  return {
    availability: v.availability,
    cls: parseClass(v.state) ?? classOf(v.availability),
    activity: v.activity ?? undefined,
    note: v.note || undefined,
    idleSince: Number.isFinite(idle) ? idle : undefined,
    location: v.location || undefined,
  };
}

export type Relationship = 'friends-family' | 'workgroup' | 'colleagues' | 'external' | 'blocked';

export const RELATIONSHIPS: readonly Relationship[] = ['friends-family', 'workgroup', 'colleagues', 'external', 'blocked'];

export const RELATIONSHIP_LABEL: Readonly<Record<Relationship, string>> = Object.freeze({
  'friends-family': 'Friends and Family',
  workgroup: 'Workgroup',
  colleagues: 'Colleagues',
  external: 'External Contacts',
  blocked: 'Blocked Contacts',
});
