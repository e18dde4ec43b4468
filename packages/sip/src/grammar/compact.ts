/**
 * Keeping parsed values compact, for what a server holds for hours (a dialog:
 * its id and about seven URIs and name-addrs, times tens of thousands).
 *
 * Strings. The parser cuts every header value, tag and URI part out of one
 * string, the message head. V8 keeps a substring of 13 characters or more as
 * a *sliced string*, a view of the string it was cut from, and a
 * concatenation as a *cons string*, a tree of its parts. Both are right for a
 * message that lives for one transaction, but a dialog that kept its Call-ID
 * or a URI user part that way would keep its whole initial request alive (a
 * SUBSCRIBE head is about 1 KB). {@link ownString} makes a flat copy.
 *
 * Parameters. A Map costs a hash table even when empty: about 150 B in V8
 * without pointer compression, ~190 B with one entry. Most URIs and
 * name-addrs a dialog keeps have no parameter, the others one or two. So
 * {@link SipUri}, {@link TelUri} and {@link NameAddr} hold a
 * {@link ParamStore}: `undefined` for none, a flat array in the own copies a
 * dialog keeps, and the Map only once their `params` is asked for (after
 * which it is the Map, as it always was: same object on every access,
 * mutations seen by the owner). Their own reads (toString, equals, param,
 * tag, clone) use the functions below, which take every form and never
 * create the Map. No store is ever shared in a mutable form, so there is no
 * shared empty Map to guard: a flat array may be shared by a clone, but it
 * is frozen, and replaced (not changed) by a Map on first access.
 */
import type { Params } from './params.js';

/** V8's SlicedString::kMinLength and ConsString::kMinLength: shorter strings are flat copies already. */
const MIN_SHARED_LENGTH = 13;

/**
 * A flat string equal to `s` that shares no memory with the string `s` was
 * cut from (or the parts it was joined from). The UTF-16 round trip through
 * a Buffer is lossless for every string (lone surrogates included) and gives
 * a sequential string, one byte per character when all fit; `s.slice(0)` or
 * a template literal would not copy, and `(' ' + s).slice(1)` would give a
 * sliced string again (of a private parent: 32 B more).
 */
export function ownString(s: string): string {
  if (s.length < MIN_SHARED_LENGTH) return s;
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/**
 * Bounds of the {@link sharedHost} pool: entries (when full it starts over)
 * and length of a pooled name (a DNS name has at most 253 characters, an IPv6
 * reference 47), so that it holds about 1 MB at most.
 */
const MAX_SHARED_HOSTS = 4096;
const MAX_SHARED_HOST_LENGTH = 255;
const sharedHosts = new Map<string, string>();

/**
 * {@link ownString} for host names, which repeat across dialogs (the
 * server's own domains in every From and To, the addresses of NATs and
 * proxies): equal hosts share one string. Strings are immutable, so sharing
 * is invisible; the pool is bounded.
 */
export function sharedHost(host: string): string {
  if (host.length > MAX_SHARED_HOST_LENGTH) return ownString(host);
  let s = sharedHosts.get(host);
  if (s === undefined) {
    if (sharedHosts.size >= MAX_SHARED_HOSTS) sharedHosts.clear();
    s = ownString(host);
    sharedHosts.set(s, s);
  }
  return s;
}

/** {@link ownString} for optional values. */
export function ownStringOpt(s: string | undefined): string | undefined {
  return s === undefined ? undefined : ownString(s);
}

/** `p`, or undefined when it has no entry: the parsers keep no empty Map. */
export function paramsOrUndefined(p: Params | undefined): Params | undefined {
  return p === undefined || p.size === 0 ? undefined : p;
}

/**
 * Parameters of a value kept long, flat: name, value, name, value… (names
 * lower case and unique, as in the Map; a value is null for a parameter
 * without one). One array of 2n slots (~64 B for one parameter) where a Map
 * is a hash table (~190 B). Frozen: the owner replaces it by a Map the first
 * time its `params` is asked for.
 */
export type FlatParams = ReadonlyArray<string | null>;

/** What a {@link SipUri}, {@link TelUri} or {@link NameAddr} holds: none, the Map handed out, or flat. */
export type ParamStore = Params | FlatParams | undefined;

/**
 * Parameter names and values common in the URIs a dialog keeps (RFC 3261
 * §19.1.1, RFC 5626 `ob`, RFC 5627 `gr`): one shared string each instead of
 * a copy per dialog.
 */
const COMMON: ReadonlyMap<string, string> = new Map(
  ['transport', 'udp', 'tcp', 'tls', 'sctp', 'ws', 'wss', 'lr', 'ob', 'gr', 'user', 'phone', 'ip', 'method', 'maddr', 'ttl', 'tag', 'expires', 'q'].map((s) => [s, s]),
);

function ownParamString(s: string): string {
  return COMMON.get(s) ?? ownString(s);
}

/**
 * The flat, own-string form of `p` without the parameter `skip`, or
 * undefined when nothing is left: what {@link SipUri.ownCopy} and
 * {@link NameAddr.ownCopy} keep.
 */
export function ownParams(p: ParamStore, skip?: string): FlatParams | undefined {
  if (p === undefined) return undefined;
  let n = 0;
  forEachParam(p, (k) => {
    if (k !== skip) n++;
  });
  if (n === 0) return undefined;
  // Sized up front: an array grown by push() gets 17 slots or more (~150 B).
  const out = new Array<string | null>(2 * n);
  let i = 0;
  forEachParam(p, (k, v) => {
    if (k === skip) return;
    out[i++] = ownParamString(k);
    out[i++] = v === null ? null : ownParamString(v);
  });
  return Object.freeze(out);
}

/** The Map for `p` (a new one unless `p` is a Map already). */
export function paramMap(p: ParamStore): Params {
  if (p instanceof Map) return p;
  const m: Params = new Map();
  if (p !== undefined) for (let i = 0; i < p.length; i += 2) m.set(p[i] as string, p[i + 1]);
  return m;
}

/** `p.get(name)` of either form. */
export function paramGet(p: ParamStore, name: string): string | null | undefined {
  if (p === undefined) return undefined;
  if (p instanceof Map) return p.get(name);
  for (let i = 0; i < p.length; i += 2) if (p[i] === name) return p[i + 1];
  return undefined;
}

/** Calls `fn` for each parameter, in order. */
export function forEachParam(p: ParamStore, fn: (name: string, value: string | null) => void): void {
  if (p === undefined) return;
  if (p instanceof Map) for (const [k, v] of p) fn(k, v);
  else for (let i = 0; i < p.length; i += 2) fn(p[i] as string, p[i + 1]);
}

/** A copy of `p` for a clone: a new Map, the same (frozen) flat array, or undefined when empty. */
export function cloneParams(p: ParamStore): Params | FlatParams | undefined {
  if (p === undefined || (p instanceof Map ? p.size : p.length) === 0) return undefined;
  return p instanceof Map ? new Map(p) : p;
}

/** Serialize as `;a=b;c` (the format of {@link formatParams}). */
export function formatParamStore(p: ParamStore): string {
  if (p === undefined) return '';
  let out = '';
  if (p instanceof Map) for (const [k, v] of p) out += v === null ? `;${k}` : `;${k}=${v}`;
  else
    for (let i = 0; i < p.length; i += 2) {
      const v = p[i + 1];
      out += v === null ? `;${p[i]}` : `;${p[i]}=${v}`;
    }
  return out;
}
