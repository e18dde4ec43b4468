/**
 * Writing the PIDF document (RFC 3863) a watcher receives, from what its
 * relationship lets it see (`privacy.ts`):
 *
 * - one tuple with `<basic>` open or closed (RFC 3863 §4.1.4) and the note,
 *   for clients that read only the PIDF core;
 * - a person (RFC 4479 §3.1) with RPID activities (RFC 4480 §3.2), the note,
 *   user-input idle with last-input (RFC 4480 §3.13);
 * - Parley's extension elements (namespace in `pidf-parse.ts`): the
 *   original's availability number, `interruptible`, `location`, `card`,
 *   `oof` (out of office, its text the OOF note).
 *   Clients that do not know them ignore them (RFC 3863 §4.1.4 / §5).
 */
import { NS } from './pidf-parse.js';
import type { WatcherView } from './privacy.js';
import { escapeXml as x } from './xml.js';

export const PIDF_CONTENT_TYPE = 'application/pidf+xml';

/**
 * A PIDF document for `entity` (a `sip:` URI) as `view` shows it. Compact
 * (no line breaks, the RPID namespace only when used): a contact list's
 * full-state NOTIFY carries one per contact and must fit a UDP datagram for
 * as many contacts as possible (80 contacts: about 51 KB instead of 65 KB).
 */
export function buildPidf(entity: string, view: WatcherView): string {
  const open = view.class !== 'offline';
  const rpid = view.activity !== undefined || view.idleSince !== undefined;
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<presence xmlns="${NS.pidf}" xmlns:dm="${NS.dm}"${rpid ? ` xmlns:rpid="${NS.rpid}"` : ''} xmlns:p="${NS.parley}" entity="${x(entity)}">`,
    '<tuple id="pres">',
    `<status><basic>${open ? 'open' : 'closed'}</basic></status>`,
    `<contact>${x(entity)}</contact>`,
  ];
  if (view.note) lines.push(`<note>${x(view.note)}</note>`);
  lines.push('</tuple>', '<dm:person id="person">');
  if (view.activity !== undefined) lines.push(`<rpid:activities><rpid:${view.activity}/></rpid:activities>`);
  if (view.idleSince !== undefined) lines.push(`<rpid:user-input last-input="${new Date(view.idleSince).toISOString()}">idle</rpid:user-input>`);
  if (view.note) lines.push(`<dm:note>${x(view.note)}</dm:note>`);
  lines.push(`<p:availability>${view.availability}</p:availability>`, `<p:state>${view.class}</p:state>`);
  if (view.interruptible) lines.push('<p:interruptible>true</p:interruptible>');
  if (view.manual !== undefined) lines.push(`<p:manual>${view.manual}</p:manual>`);
  if (view.location) lines.push(`<p:location>${x(view.location)}</p:location>`);
  if (view.oof) lines.push(`<p:oof>${x(view.oof.note ?? '')}</p:oof>`);
  if (view.card) {
    lines.push('<p:card>');
    if (view.card.displayName) lines.push(`<p:display-name>${x(view.card.displayName)}</p:display-name>`);
    if (view.card.phone) lines.push(`<p:phone>${x(view.card.phone)}</p:phone>`);
    lines.push('</p:card>');
  }
  lines.push('</dm:person>', '</presence>');
  return lines.join('');
}
