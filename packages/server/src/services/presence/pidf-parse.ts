/**
 * Reading what a device publishes: a PIDF document (RFC 3863) with the data
 * model's person element (RFC 4479 §3.1), RPID activities and user input
 * (RFC 4480 §3.2, §3.13), and Parley's extension elements for what the
 * original publishes beyond SIMPLE (availability number, location, the
 * out-of-office state and note).
 *
 * Out of office (the original's OOF note, from the calendar): `<p:oof>`
 * with the OOF note as its text (empty: out of office without a note),
 * `<p:oof active="false"/>` to end it; or RPID `<rpid:vacation/>` among the
 * activities (RFC 4480 §3.2), whose note is then the OOF note. A document
 * that says neither leaves the OOF state as it was (`oof` undefined).
 *
 * Tolerant where clients differ (activities and notes in the person, the
 * tuple or the presence element; unknown elements ignored, RFC 3863 §4.1.4);
 * strict where it matters: the root must be a PIDF `presence`, the XML must
 * be well formed and within the limits of `xml.ts`.
 */
import { ownString } from '@parley/sip';
import { MAX_AVAILABILITY } from './availability.js';
import { child, children, descendants, parseXml, XmlError, type XmlElement } from './xml.js';

export const NS = Object.freeze({
  pidf: 'urn:ietf:params:xml:ns:pidf',
  dm: 'urn:ietf:params:xml:ns:pidf:data-model',
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  /** Parley's extension: `availability` (the original's number), `location`, `interruptible`, `card`. */
  parley: 'urn:parley:params:xml:ns:pidf:presence',
});

/** Longest note or location kept; longer ones are cut (the original limits notes to 500 characters). */
export const MAX_NOTE = 500;

/** What one publication says, reduced to what aggregation uses. */
export interface PublishedState {
  /** The `entity` attribute, as written. */
  readonly entity: string | undefined;
  /** open when any tuple is open, closed when all are closed, undefined without tuples. */
  readonly basic: 'open' | 'closed' | undefined;
  /** The original's availability number, when the publisher gave one. */
  readonly availability: number | undefined;
  /** RPID activity tokens (`on-the-phone`, `busy`, `away`, …). */
  readonly activities: readonly string[];
  /** undefined: no note element; '' clears the note. */
  readonly note: string | undefined;
  /** RPID user-input: idle, and since when (ms epoch; undefined when unknown). */
  readonly idle: boolean;
  readonly idleSince: number | undefined;
  readonly location: string | undefined;
  /** Tuple contact URIs (which device published). */
  readonly contacts: readonly string[];
  /** Out of office: undefined when the document says nothing of it. */
  readonly oof?: { readonly active: boolean; readonly note: string | undefined };
}

export class PidfError extends Error {
  override readonly name = 'PidfError';
}

const clip = (s: string): string => {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > MAX_NOTE ? t.slice(0, MAX_NOTE) : t;
};

/** RFC 3339 date-time (RFC 3863 §4.1.7 timestamps, RFC 4480 last-input) to ms epoch. */
function dateTime(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s.trim())) return undefined;
  const t = Date.parse(s.trim());
  return Number.isFinite(t) ? t : undefined;
}

/** Parses a PIDF document. Throws {@link PidfError} when it is not one. */
export function parsePidf(text: string, maxLength = 65_536): PublishedState {
  let root: XmlElement;
  try {
    root = parseXml(text, { maxLength });
  } catch (e) {
    if (e instanceof XmlError) throw new PidfError(`not well-formed XML: ${e.message}`);
    throw e;
  }
  if (root.ns !== NS.pidf || root.name !== 'presence') throw new PidfError('the root element is not a PIDF <presence>');

  const tuples = children(root, NS.pidf, 'tuple');
  const basics = tuples.map((t) => child(child(t, NS.pidf, 'status') ?? t, NS.pidf, 'basic')?.text.trim().toLowerCase());
  for (const b of basics) if (b !== undefined && b !== 'open' && b !== 'closed') throw new PidfError(`<basic> must be open or closed, not ${b}`);
  const basic = basics.length === 0 ? undefined : basics.includes('open') ? 'open' : 'closed';

  const persons = children(root, NS.dm, 'person');
  // Notes: the person's first (RFC 4479 §3.1), else the document's (RFC 3863 §4.1.6), else a tuple's.
  const noteEl =
    persons.map((p) => child(p, NS.dm, 'note') ?? child(p, NS.pidf, 'note')).find((n) => n !== undefined) ??
    child(root, NS.pidf, 'note') ??
    tuples.map((t) => child(t, NS.pidf, 'note') ?? child(t, NS.dm, 'note')).find((n) => n !== undefined);

  const activities: string[] = [];
  for (const a of descendants(root, NS.rpid, 'activities')) {
    for (const c of a.children) if (c.ns === NS.rpid && c.name !== 'note' && !activities.includes(c.name)) activities.push(c.name);
  }

  let idle = false;
  let idleSince: number | undefined;
  for (const u of descendants(root, NS.rpid, 'user-input')) {
    if (u.text.trim().toLowerCase() === 'idle') {
      idle = true;
      const since = dateTime(u.attrs.get('last-input'));
      if (since !== undefined && (idleSince === undefined || since > idleSince)) idleSince = since;
    }
  }

  let availability: number | undefined;
  for (const a of descendants(root, NS.parley, 'availability')) {
    const v = a.text.trim();
    if (!/^\d{1,5}$/.test(v) || Number(v) > MAX_AVAILABILITY) throw new PidfError(`bad availability ${JSON.stringify(v.slice(0, 20))}`);
    availability = Number(v);
    break;
  }
  const loc = descendants(root, NS.parley, 'location')[0];
  const contacts = tuples.flatMap((t) => children(t, NS.pidf, 'contact').map((c) => c.text.trim())).filter((c) => c !== '');
  const note = noteEl === undefined ? undefined : clip(noteEl.text);

  let oof: PublishedState['oof'];
  const oofEl = descendants(root, NS.parley, 'oof')[0];
  if (oofEl !== undefined) {
    const active = (oofEl.attrs.get('active') ?? 'true').trim().toLowerCase() !== 'false';
    oof = { active, note: active ? clip(oofEl.text) || undefined : undefined };
  } else if (activities.includes('vacation')) {
    oof = { active: true, note: note || undefined };
  }

  return {
    // Own copy: a slice would keep the whole PUBLISH body alive as long as the state.
    entity: ownEntityOf(root.attrs.get('entity')),
    basic,
    availability,
    activities,
    note,
    idle,
    idleSince,
    location: loc === undefined ? undefined : clip(loc.text),
    contacts,
    ...(oof ? { oof } : {}),
  };
}

function ownEntityOf(entity: string | undefined): string | undefined {
  return entity === undefined ? undefined : ownString(entity);
}
