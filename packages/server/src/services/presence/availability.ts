/**
 * Availability as the original counts it (reference/lync-2013.md, "IM and
 * presence"): one number per user, read by its range.
 *
 * | range        | class       | value Parley publishes |
 * | ------------ | ----------- | ---------------------- |
 * | 0–4499       | available   | 3500                   |
 * | 4500–5999    | inactive    | 5000 (available, idle) |
 * | 6000–7499    | busy        | 6500                   |
 * | 7500–8999    | busy-idle   | 7500                   |
 * | 9000–11999   | dnd         | 9500                   |
 * | 12000–14999  | brb         | 12500                  |
 * | 15000–17999  | away        | 15500                  |
 * | 18000 and up | offline     | 18500                  |
 *
 * A lower number is "more available": aggregation across devices keeps the
 * most available machine state (see `aggregate.ts`).
 */

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

export type AvailabilityClass = 'available' | 'inactive' | 'busy' | 'busy-idle' | 'dnd' | 'brb' | 'away' | 'offline';

/** The largest number the extension element may carry; larger is a malformed document. */
export const MAX_AVAILABILITY = 99_999;

/** The class of an availability number (the table above). */
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

/** What a standard SIMPLE client understands of a class: an RPID activity (RFC 4480 §3.2), if any. */
export function genericActivity(c: AvailabilityClass): string | undefined {
  switch (c) {
    case 'busy':
    case 'busy-idle':
    case 'dnd':
      return 'busy';
    case 'brb':
    case 'away':
      return 'away';
    default:
      return undefined;
  }
}

/** RPID activities that say where the person is, not what they chose: they override a chosen state. */
export const ACTIVITY_STATES: Readonly<Record<string, number>> = Object.freeze({
  'on-the-phone': AVAILABILITY.busy, // "In a call"
  meeting: AVAILABILITY.busy, // "In a meeting"
  appointment: AVAILABILITY.busy,
  presentation: AVAILABILITY.dnd, // "Presenting" behaves as Do Not Disturb
});

/** RPID activities that express a state the user chose (RFC 4480 §3.2), as availability numbers. */
export const USER_STATE_ACTIVITIES: Readonly<Record<string, number>> = Object.freeze({
  busy: AVAILABILITY.busy,
  away: AVAILABILITY.away,
  vacation: AVAILABILITY.away,
  holiday: AVAILABILITY.away,
  'permanent-absence': AVAILABILITY.away,
  sleeping: AVAILABILITY.away,
});
