/**
 * Is-composing indications (RFC 3994): `active` while the user types,
 * refreshed before `refresh` seconds pass (§3.2), `idle` when they stop.
 */
import { childEl, text, type XmlParse } from './xml.js';

export const ISCOMPOSING_TYPE = 'application/im-iscomposing+xml';
export const ISCOMPOSING_NS = 'urn:ietf:params:xml:ns:im-iscomposing';

export function buildIsComposing(state: 'active' | 'idle', refreshS = 60): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<isComposing xmlns="${ISCOMPOSING_NS}">`,
    `<state>${state}</state>`,
    '<contenttype>text/plain</contenttype>',
    state === 'active' ? `<refresh>${refreshS}</refresh>` : '',
    '</isComposing>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\r\n');
}

/** The state and refresh of an indication; undefined when it is not one. */
export function parseIsComposing(body: string, parse: XmlParse): { state: 'active' | 'idle'; refreshS: number } | undefined {
  try {
    const root = parse(body);
    if (root.namespaceURI !== ISCOMPOSING_NS || root.localName !== 'isComposing') return undefined;
    const state = text(childEl(root, ISCOMPOSING_NS, 'state'))?.toLowerCase();
    const refresh = Number(text(childEl(root, ISCOMPOSING_NS, 'refresh')) ?? '');
    // §3.2: without a refresh the receiver times an active state out after 120 s.
    return { state: state === 'active' ? 'active' : 'idle', refreshS: Number.isFinite(refresh) && refresh > 0 ? refresh : 120 };
  } catch {
    return undefined;
  }
}
