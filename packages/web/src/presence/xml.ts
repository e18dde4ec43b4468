/**
 * XML through the platform's DOMParser (the browser's; tests pass
 * @xmldom/xmldom's), so no XML parser is shipped in the bundle.
 */

/** The few DOM members the readers use; both the browser DOM and xmldom provide them. */
export interface XmlNode {
  readonly namespaceURI: string | null;
  readonly localName: string | null;
  readonly textContent: string | null;
  readonly parentNode: XmlNode | null;
  readonly childNodes: ArrayLike<XmlNode>;
  readonly nodeType: number;
  getAttribute?(name: string): string | null;
  getElementsByTagNameNS?(ns: string, name: string): ArrayLike<XmlNode>;
}

export type XmlParse = (text: string) => XmlNode;

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

/** Parses with the global DOMParser; throws XmlError on a parse error. */
export const browserXml: XmlParse = (text) => {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (!root || doc.getElementsByTagName('parsererror').length > 0) throw new XmlError('not well-formed XML');
  return root as unknown as XmlNode;
};

const ELEMENT = 1;

export function elements(n: XmlNode): XmlNode[] {
  const out: XmlNode[] = [];
  for (let i = 0; i < n.childNodes.length; i++) if (n.childNodes[i].nodeType === ELEMENT) out.push(n.childNodes[i]);
  return out;
}

export function childEl(n: XmlNode, ns: string, name: string): XmlNode | undefined {
  return elements(n).find((c) => c.namespaceURI === ns && c.localName === name);
}

export function childrenEl(n: XmlNode, ns: string, name: string): XmlNode[] {
  return elements(n).filter((c) => c.namespaceURI === ns && c.localName === name);
}

export function descendantsEl(n: XmlNode, ns: string, name: string): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (e: XmlNode): void => {
    for (const c of elements(e)) {
      if (c.namespaceURI === ns && c.localName === name) out.push(c);
      walk(c);
    }
  };
  walk(n);
  return out;
}

export function attr(n: XmlNode, name: string): string | undefined {
  const v = n.getAttribute?.(name);
  return v === null || v === undefined ? undefined : v;
}

export function text(n: XmlNode | undefined): string | undefined {
  return n === undefined ? undefined : (n.textContent ?? '').trim();
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}
