/**
 * A small, safe XML reader for presence documents (PIDF, RPID), and the
 * escaping the writers need. No XML library is installed; this reads the
 * subset those documents use (XML 1.0 §2–§4 and Namespaces in XML §3–§6):
 * elements, attributes, namespaces, character data, CDATA, comments and
 * processing instructions.
 *
 * Safe by refusal: a DOCTYPE (and so any entity declaration: no "billion
 * laughs", no external entities) is an error; only the five predefined
 * entities and character references are expanded; size, depth and element
 * count are bounded. Errors are {@link XmlError}.
 */

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export interface XmlElement {
  /** The namespace URI ('' when none). */
  readonly ns: string;
  /** The local name. */
  readonly name: string;
  /** Attributes by their name as written ('last-input', 'xml:lang', 'p:attr'). */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** Character data directly inside this element, concatenated. */
  text: string;
}

export interface XmlLimits {
  /** Characters. Default 65 536. */
  readonly maxLength?: number;
  /** Default 32. */
  readonly maxDepth?: number;
  /** Default 4 000. */
  readonly maxElements?: number;
}

const NAME = /^[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?$/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

function decode(text: string): string {
  if (!text.includes('&')) return text;
  if (/&(?![^;&\s]{1,10};)/.test(text)) throw new XmlError('bare & in character data');
  return text.replace(/&([^;&\s]{1,10});/g, (_m, ent: string) => {
    if (ent[0] === '#') {
      const cp = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      if (!Number.isInteger(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new XmlError(`bad character reference &${ent};`);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[ent];
    if (v === undefined) throw new XmlError(`unknown entity &${ent};`);
    return v;
  });
}

interface Open {
  readonly el: XmlElement;
  readonly qname: string;
  readonly scope: ReadonlyMap<string, string>;
}

/** Parses a whole document; returns its root element. */
export function parseXml(input: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? 65_536;
  const maxDepth = limits.maxDepth ?? 32;
  const maxElements = limits.maxElements ?? 4_000;
  if (input.length > maxLength) throw new XmlError(`document longer than ${maxLength} characters`);
  const src = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let i = 0;
  const rootScope = new Map<string, string>([['xml', XML_NS]]);

  const resolve = (prefix: string, scope: ReadonlyMap<string, string>, forElement: boolean): string => {
    if (prefix === '') return forElement ? (scope.get('') ?? '') : '';
    const uri = scope.get(prefix);
    if (uri === undefined) throw new XmlError(`undeclared namespace prefix ${prefix}`);
    return uri;
  };

  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decode(raw);
      else if (raw.trim() !== '') throw new XmlError('text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2);
      if (end < 0) throw new XmlError('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i + 9);
      if (end < 0) throw new XmlError('unterminated CDATA section');
      const top = stack[stack.length - 1];
      if (!top) throw new XmlError('CDATA outside the root element');
      top.el.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      throw new XmlError('DOCTYPE and declarations are not accepted');
    } else if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i + 2);
      if (end < 0) throw new XmlError('unterminated end tag');
      const qname = src.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.qname !== qname) throw new XmlError(`end tag </${qname}> does not match`);
      i = end + 1;
    } else {
      i = readStartTag(i);
    }
  }
  if (stack.length > 0) throw new XmlError(`element <${stack[stack.length - 1].qname}> not closed`);
  if (!root) throw new XmlError('no root element');
  return root;

  function readStartTag(start: number): number {
    let j = start + 1;
    const nameMatch = /^[^\s/>]+/.exec(src.slice(j, j + 256));
    if (!nameMatch || !NAME.test(nameMatch[0])) throw new XmlError('bad element name');
    const qname = nameMatch[0];
    j += qname.length;
    const raw = new Map<string, string>();
    for (;;) {
      while (j < src.length && /\s/.test(src[j])) j++;
      if (j >= src.length) throw new XmlError('unterminated start tag');
      if (src[j] === '>' || src.startsWith('/>', j)) break;
      const an = /^[^\s=/>]+/.exec(src.slice(j, j + 256));
      if (!an || !NAME.test(an[0])) throw new XmlError('bad attribute name');
      j += an[0].length;
      while (/\s/.test(src[j] ?? '')) j++;
      if (src[j] !== '=') throw new XmlError(`attribute ${an[0]} without a value`);
      j++;
      while (/\s/.test(src[j] ?? '')) j++;
      const quote = src[j];
      if (quote !== '"' && quote !== "'") throw new XmlError('attribute value not quoted');
      const close = src.indexOf(quote, j + 1);
      if (close < 0) throw new XmlError('unterminated attribute value');
      const value = src.slice(j + 1, close);
      if (value.includes('<')) throw new XmlError('< in an attribute value');
      if (raw.has(an[0])) throw new XmlError(`attribute ${an[0]} repeated`);
      raw.set(an[0], decode(value));
      j = close + 1;
    }
    const selfClosing = src[j] === '/';
    j += selfClosing ? 2 : 1;

    const parentScope = stack[stack.length - 1]?.scope ?? rootScope;
    let scope: Map<string, string> | undefined;
    const attrs = new Map<string, string>();
    for (const [n, v] of raw) {
      if (n === 'xmlns' || n.startsWith('xmlns:')) {
        scope ??= new Map(parentScope);
        scope.set(n === 'xmlns' ? '' : n.slice(6), v);
      } else attrs.set(n, v);
    }
    const effective = scope ?? parentScope;
    for (const n of attrs.keys()) {
      const c = n.indexOf(':');
      if (c > 0) resolve(n.slice(0, c), effective, false);
    }
    const colon = qname.indexOf(':');
    const el: XmlElement = {
      ns: resolve(colon > 0 ? qname.slice(0, colon) : '', effective, true),
      name: colon > 0 ? qname.slice(colon + 1) : qname,
      attrs,
      children: [],
      text: '',
    };
    if (++count > maxElements) throw new XmlError(`more than ${maxElements} elements`);
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else if (root) throw new XmlError('more than one root element');
    else root = el;
    if (!selfClosing) {
      if (stack.length + 1 > maxDepth) throw new XmlError(`nested deeper than ${maxDepth}`);
      stack.push({ el, qname, scope: effective });
    }
    return j;
  }
}

/** The first child in `ns` named `name`. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}

/** Every child in `ns` named `name`. */
export function children(el: XmlElement, ns: string, name: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ns && c.name === name);
}

/** Every descendant in `ns` named `name` (`name` undefined: any name), depth first. */
export function descendants(el: XmlElement, ns: string, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.ns === ns && (name === undefined || c.name === name)) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** Escapes character data and attribute values (XML 1.0 §2.4, §3.3.3). */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"'\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return ''; // not allowed in XML 1.0 at all
    }
  });
}
