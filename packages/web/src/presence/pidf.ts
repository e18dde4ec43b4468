/**
 * PIDF (RFC 3863) as Parley's watcher documents carry it (server:
 * services/presence/pidf-build.ts): a tuple with <basic> and the note, a
 * data-model person (RFC 4479 §3.1) with RPID activities and user-input
 * (RFC 4480 §3.2, §3.13), the note, and Parley's extension elements
 * <p:availability> and <p:state>. Other servers' documents are read as far
 * as the standard goes: open → Available, closed → Offline, RPID busy/away.
 *
 * `buildPublishPidf` writes what this client PUBLISHes (RFC 3903).
 */
import { AVAILABILITY, classOf, parseClass, type Presence } from './availability.js';
import { attr, childEl, childrenEl, descendantsEl, elements, escapeXml as x, text, XmlError, type XmlNode, type XmlParse } from './xml.js';

export const NS = Object.freeze({
  pidf: 'urn:ietf:params:xml:ns:pidf',
  dm: 'urn:ietf:params:xml:ns:pidf:data-model',
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  parley: 'urn:parley:params:xml:ns:pidf:presence',
});

export class PidfError extends Error {
  override readonly name = 'PidfError';
}

export interface PidfPresence extends Presence {
  readonly entity: string | undefined;
}

function dateTime(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s.trim());
  return Number.isFinite(t) ? t : undefined;
}

/** Reads one PIDF document (its root element). */
export function readPidf(root: XmlNode): PidfPresence {
  if (root.namespaceURI !== NS.pidf || root.localName !== 'presence') throw new PidfError('the root element is not a PIDF <presence>');
  const tuples = childrenEl(root, NS.pidf, 'tuple');
  const basics = tuples.map((t) => text(childEl(childEl(t, NS.pidf, 'status') ?? t, NS.pidf, 'basic'))?.toLowerCase());
  const open = basics.includes('open');

  const persons = childrenEl(root, NS.dm, 'person');
  const noteEl =
    persons.map((p) => childEl(p, NS.dm, 'note') ?? childEl(p, NS.pidf, 'note')).find((n) => n !== undefined) ??
    childEl(root, NS.pidf, 'note') ??
    tuples.map((t) => childEl(t, NS.pidf, 'note')).find((n) => n !== undefined);

  const activities: string[] = [];
  for (const a of descendantsEl(root, NS.rpid, 'activities')) {
    for (const c of elements(a)) if (c.namespaceURI === NS.rpid && c.localName && c.localName !== 'note') activities.push(c.localName);
  }
  let idleSince: number | undefined;
  for (const u of descendantsEl(root, NS.rpid, 'user-input')) {
    if (text(u)?.toLowerCase() === 'idle') idleSince = dateTime(attr(u, 'last-input')) ?? idleSince;
  }

  const availText = text(descendantsEl(root, NS.parley, 'availability')[0]);
  const stateText = text(descendantsEl(root, NS.parley, 'state')[0]);
  let availability: number;
  if (availText !== undefined && /^\d{1,5}$/.test(availText)) availability = Number(availText);
  else if (tuples.length > 0 && !open) availability = AVAILABILITY.offline;
  else if (activities.includes('busy') || activities.includes('on-the-phone') || activities.includes('meeting')) availability = AVAILABILITY.busy;
  else if (activities.includes('away')) availability = AVAILABILITY.away;
  else availability = open ? AVAILABILITY.available : AVAILABILITY.offline;

  const activity = activities.find((a) => a !== 'unknown');
  return {
    entity: attr(root, 'entity'),
    availability,
    cls: parseClass(stateText) ?? classOf(availability),
    activity,
    note: text(noteEl) || undefined,
    idleSince,
    location: text(descendantsEl(root, NS.parley, 'location')[0]) || undefined,
    ...manualOf(root, stateText),
  };
}

/** `<p:manual>` of my own document; a Parley document (it has `<p:state>`) without one: nobody chose. */
function manualOf(root: XmlNode, stateText: string | undefined): { manual?: number | null } {
  const m = text(descendantsEl(root, NS.parley, 'manual')[0]);
  if (m !== undefined && /^\d{1,5}$/.test(m)) return { manual: Number(m) };
  return stateText !== undefined ? { manual: null } : {};
}

export function parsePidf(body: string, parse: XmlParse): PidfPresence {
  let root: XmlNode;
  try {
    root = parse(body);
  } catch (e) {
    if (e instanceof XmlError) throw new PidfError(e.message);
    throw e;
  }
  return readPidf(root);
}

export interface PublishInput {
  /** `sip:alice@example.com` */
  readonly entity: string;
  /** The manual state's number; undefined = Reset (no manual state: the server aggregates). */
  readonly availability: number | undefined;
  /** The personal note; '' clears it. */
  readonly note: string;
  /** When the user stopped using this device; undefined while active. */
  readonly idleSince: number | undefined;
  /** This device's contact (tuple contact, RFC 3863 §4.1.3). */
  readonly contact?: string;
  readonly now?: number;
}

/**
 * The document this client publishes. A chosen Appear Offline is still an
 * open tuple (the device is signed in) carrying the 18500 number, which the
 * server shows watchers as Offline.
 */
export function buildPublishPidf(p: PublishInput): string {
  const now = new Date(p.now ?? Date.now()).toISOString();
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<presence xmlns="${NS.pidf}" xmlns:dm="${NS.dm}" xmlns:rpid="${NS.rpid}" xmlns:p="${NS.parley}" entity="${x(p.entity)}">`,
    '<tuple id="web">',
    '<status><basic>open</basic></status>',
    `<contact>${x(p.contact ?? p.entity)}</contact>`,
    `<timestamp>${now}</timestamp>`,
    '</tuple>',
    '<dm:person id="me">',
  ];
  if (p.idleSince !== undefined) lines.push(`<rpid:user-input last-input="${new Date(p.idleSince).toISOString()}">idle</rpid:user-input>`);
  else lines.push('<rpid:user-input>active</rpid:user-input>');
  lines.push(`<dm:note>${x(p.note)}</dm:note>`);
  if (p.availability !== undefined) lines.push(`<p:availability>${p.availability}</p:availability>`);
  lines.push('</dm:person>', '</presence>', '');
  return lines.join('\r\n');
}
