/**
 * The bodies of the two aggregate packages:
 *
 * - resource lists (RFC 4662): a multipart/related body (RFC 2387) whose
 *   root is an RLMI document (§5) listing each resource and the Content-ID
 *   of its state, then one PIDF per resource (§5, §6 example);
 *   `fullState="true"` with every resource, else only those that changed
 *   (§4.5), and `version` counting NOTIFYs from 0; a resource whose state
 *   did not fit (a large list to a UDP subscriber) is listed with an
 *   instance `pending` and no part (§5.2), its state sent in the next one;
 * - watcher information (RFC 3857, format RFC 3858): who watches a
 *   presentity, `state="full"` or `"partial"` (§4.1), `version` from 0.
 */
import { buildMultipart, randomToken } from '@parley/sip';
import { PIDF_CONTENT_TYPE } from './pidf-build.js';
import { escapeXml as x } from './xml.js';

export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';
export const RLMI_CONTENT_TYPE = 'application/rlmi+xml';
export const WINFO_NS = 'urn:ietf:params:xml:ns:watcherinfo';
export const WINFO_CONTENT_TYPE = 'application/watcherinfo+xml';

export interface ListResource {
  /** `sip:` URI of the resource. */
  readonly uri: string;
  readonly name: string | undefined;
  /** Its PIDF document; undefined: its state follows in a later NOTIFY (instance `pending`, RFC 4662 §5.2, no body part). */
  readonly pidf: string | undefined;
}

/** About what one resource adds to an RLMI document besides its URI and name (bytes). */
export const RLMI_RESOURCE_OVERHEAD = 120;
/** About what one body part adds besides its PIDF document (boundary, headers). */
export const PART_OVERHEAD = 110;

/** A NOTIFY body for a list subscription; returns the body and its Content-Type. */
export function buildListNotify(
  listUri: string,
  version: number,
  fullState: boolean,
  resources: readonly ListResource[],
  domain: string,
): { contentType: string; body: Buffer } {
  const rootCid = `${randomToken(9)}@${domain}`;
  const parts = resources.map((r, i) => ({ r, cid: r.pidf === undefined ? undefined : `${randomToken(6)}.${i}@${domain}` }));
  const rlmi = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<list xmlns="${RLMI_NS}" uri="${x(listUri)}" version="${version}" fullState="${fullState}">`,
    ...parts.map(({ r, cid }, i) =>
      [
        `<resource uri="${x(r.uri)}">`,
        r.name ? `<name>${x(r.name)}</name>` : '',
        cid === undefined ? `<instance id="i${i}" state="pending"/>` : `<instance id="i${i}" state="active" cid="${x(cid)}"/>`,
        '</resource>',
      ].join(''),
    ),
    '</list>',
    '',
  ].join('\r\n');
  const boundary = `parley-rl-${randomToken(9)}`;
  return buildMultipart(
    [
      { contentType: RLMI_CONTENT_TYPE, body: rlmi, headers: [['Content-ID', `<${rootCid}>`]] },
      ...parts.flatMap(({ r, cid }) => (cid === undefined || r.pidf === undefined ? [] : [{ contentType: PIDF_CONTENT_TYPE, body: r.pidf, headers: [['Content-ID', `<${cid}>`]] as Array<[string, string]> }])),
    ],
    'related',
    boundary,
    `;type="${RLMI_CONTENT_TYPE}";start="<${rootCid}>"`,
  );
}

/** RFC 3858 §4: a watcher's status, and the event that put it there. */
export interface WatcherEntry {
  readonly id: string;
  /** `sip:` URI of the watcher. */
  readonly uri: string;
  readonly status: 'active' | 'pending' | 'terminated';
  readonly event: 'subscribe' | 'approved' | 'timeout' | 'giveup' | 'noresource' | 'deactivated' | 'rejected';
}

export function buildWatcherInfo(resource: string, version: number, full: boolean, watchers: readonly WatcherEntry[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<watcherinfo xmlns="${WINFO_NS}" version="${version}" state="${full ? 'full' : 'partial'}">`,
    `<watcher-list resource="${x(resource)}" package="presence">`,
    ...watchers.map((w) => `<watcher id="${x(w.id)}" event="${w.event}" status="${w.status}">${x(w.uri)}</watcher>`),
    '</watcher-list>',
    '</watcherinfo>',
    '',
  ].join('\r\n');
}
