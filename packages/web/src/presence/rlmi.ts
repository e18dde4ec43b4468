/**
 * Resource-list NOTIFY bodies (RFC 4662): a multipart/related body whose
 * root (the `start` part, else the first) is an RLMI document (§5) naming
 * each resource and the Content-ID of its state, then one PIDF per
 * resource. `fullState="true"` lists every resource; otherwise only those
 * that changed (§4.5). `version` counts NOTIFYs; an older one is stale.
 */
import type { Presence } from './availability.js';
import { bareCid, parseContentType, splitMultipart, type BodyPart } from './multipart.js';
import { parsePidf, PidfError } from './pidf.js';
import { attr, childEl, childrenEl, text, type XmlNode, type XmlParse } from './xml.js';

export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';

export interface ListResourceState {
  /** `sip:bob@example.com` */
  readonly uri: string;
  readonly name: string | undefined;
  /** RLMI instance state: active, pending or terminated (§5.2). */
  readonly instanceState: string | undefined;
  /** The resource's presence, when the NOTIFY carried its document. */
  readonly presence: Presence | undefined;
}

export interface ListNotify {
  readonly uri: string | undefined;
  readonly version: number;
  readonly fullState: boolean;
  readonly resources: readonly ListResourceState[];
}

export class RlmiError extends Error {
  override readonly name = 'RlmiError';
}

export function readRlmi(root: XmlNode): { uri: string | undefined; version: number; fullState: boolean; resources: Array<{ uri: string; name: string | undefined; instanceState: string | undefined; cid: string | undefined }> } {
  if (root.namespaceURI !== RLMI_NS || root.localName !== 'list') throw new RlmiError('the root element is not an RLMI <list>');
  const version = Number(attr(root, 'version'));
  if (!Number.isInteger(version) || version < 0) throw new RlmiError('bad RLMI version');
  const resources = childrenEl(root, RLMI_NS, 'resource').map((r) => {
    const instance = childEl(r, RLMI_NS, 'instance');
    return {
      uri: attr(r, 'uri') ?? '',
      name: text(childEl(r, RLMI_NS, 'name')) || undefined,
      instanceState: instance ? attr(instance, 'state') : undefined,
      cid: instance ? attr(instance, 'cid') : undefined,
    };
  });
  return { uri: attr(root, 'uri'), version, fullState: attr(root, 'fullState') === 'true', resources: resources.filter((r) => r.uri !== '') };
}

/**
 * Reads a list NOTIFY from its Content-Type and body. A single
 * application/pidf+xml body (a server without RLS) gives one resource.
 */
export function parseListNotify(contentType: string, body: string, parse: XmlParse): ListNotify {
  const ct = parseContentType(contentType);
  if (ct.type === 'application/pidf+xml') {
    const p = parsePidf(body, parse);
    return { uri: undefined, version: -1, fullState: false, resources: p.entity ? [{ uri: p.entity, name: undefined, instanceState: 'active', presence: p }] : [] };
  }
  if (ct.type !== 'multipart/related') throw new RlmiError(`unexpected content type ${ct.type}`);
  const parts = splitMultipart(body, ct.params.get('boundary') ?? '');
  const start = bareCid(ct.params.get('start'));
  const cidOf = (p: BodyPart) => bareCid(p.headers.get('content-id'));
  const root = (start !== undefined ? parts.find((p) => cidOf(p) === start) : undefined) ?? parts[0];
  if (!root) throw new RlmiError('empty multipart body');
  const rlmi = readRlmi(parse(root.body));
  const byCid = new Map(parts.filter((p) => p !== root).map((p) => [cidOf(p), p] as const));
  const resources: ListResourceState[] = rlmi.resources.map((r) => {
    const part = r.cid !== undefined ? byCid.get(r.cid) : undefined;
    let presence: Presence | undefined;
    if (part && parseContentType(part.headers.get('content-type') ?? '').type === 'application/pidf+xml') {
      try {
        presence = parsePidf(part.body, parse);
      } catch (e) {
        if (!(e instanceof PidfError)) throw e;
      }
    }
    return { uri: r.uri, name: r.name, instanceState: r.instanceState, presence };
  });
  return { uri: rlmi.uri, version: rlmi.version, fullState: rlmi.fullState, resources };
}
