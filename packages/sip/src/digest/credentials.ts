import {
  type AuthParam,
  findParam,
  formatAuthValue,
  type ParamToWrite,
  parseBoolean,
  scanAuthValue,
} from './auth-params.js';
import { DigestParseError } from './errors.js';

/**
 * Digest credentials: the value of one Authorization or Proxy-Authorization
 * header field (RFC 3261 §20.7, §20.28, §22.4; RFC 7616 §3.4).
 */
export interface DigestCredentialsInit {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  /** digest-uri: the Request-URI as the client saw it (RFC 3261 §22.4). */
  readonly uri: string;
  /** request-digest, lowercase hex. */
  readonly response: string;
  /** The algorithm token as written; absent means MD5. */
  readonly algorithm?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  /** The chosen qop, lowercased. Absent in RFC 2069 style credentials. */
  readonly qop?: string;
  /** nonce-count exactly as sent: 8 hex digits (RFC 3261 §25.1 nc-value). */
  readonly nc?: string;
  /** RFC 7616 §3.4.4: `username` is H(username ":" realm). */
  readonly userhash?: boolean;
  /** Parameters this module does not know, kept in order (names lowercased). */
  readonly extensions?: readonly AuthParam[];
}

/** Parsed credentials: `extensions` is always present. */
export interface DigestCredentials extends DigestCredentialsInit {
  readonly extensions: readonly AuthParam[];
}

const KNOWN = new Set([
  'username',
  'realm',
  'nonce',
  'uri',
  'response',
  'algorithm',
  'cnonce',
  'opaque',
  'qop',
  'nc',
  'userhash',
]);

const NC_VALUE = /^[0-9a-fA-F]{8}$/;

function required(params: readonly AuthParam[], name: string): string {
  const value = findParam(params, name);
  if (value === undefined) throw new DigestParseError('missing-param', `credentials without ${name}`);
  return value;
}

/**
 * Parses an Authorization or Proxy-Authorization value.
 *
 * username, realm, nonce, uri and response are required (RFC 2617 §3.2.2;
 * RFC 3261 §22.4 takes them over). When qop is present, cnonce and nc are
 * required too (RFC 7616 §3.4), and nc must be exactly 8 hex digits: the
 * server computes the response over nc as sent, so it must not be normalised.
 * The scheme matches case-insensitively; `qop="auth"` is read like `qop=auth`
 * because some clients quote it.
 *
 * @throws DigestParseError on malformed input; never anything else.
 */
export function parseCredentials(value: string): DigestCredentials {
  const { scheme, params } = scanAuthValue(value);
  if (scheme.toLowerCase() !== 'digest') {
    throw new DigestParseError('unsupported-scheme', `scheme ${scheme} is not Digest`);
  }
  const credentials: { -readonly [K in keyof DigestCredentials]: DigestCredentials[K] } = {
    username: required(params, 'username'),
    realm: required(params, 'realm'),
    nonce: required(params, 'nonce'),
    uri: required(params, 'uri'),
    response: required(params, 'response'),
    extensions: params.filter((p) => !KNOWN.has(p.name)),
  };
  const algorithm = findParam(params, 'algorithm');
  if (algorithm !== undefined) credentials.algorithm = algorithm;
  const opaque = findParam(params, 'opaque');
  if (opaque !== undefined) credentials.opaque = opaque;
  const cnonce = findParam(params, 'cnonce');
  if (cnonce !== undefined) credentials.cnonce = cnonce;
  const nc = findParam(params, 'nc');
  if (nc !== undefined) {
    if (!NC_VALUE.test(nc)) throw new DigestParseError('invalid-value', 'nc must be 8 hex digits');
    credentials.nc = nc;
  }
  const qop = findParam(params, 'qop');
  if (qop !== undefined) {
    const q = qop.trim().toLowerCase();
    if (q === '' || q.includes(',')) throw new DigestParseError('invalid-value', 'qop must name one option');
    if (cnonce === undefined) throw new DigestParseError('missing-param', 'qop given without cnonce');
    if (nc === undefined) throw new DigestParseError('missing-param', 'qop given without nc');
    credentials.qop = q;
  }
  const userhash = findParam(params, 'userhash');
  if (userhash !== undefined) credentials.userhash = parseBoolean('userhash', userhash);
  return credentials;
}

/**
 * Writes credentials as an Authorization / Proxy-Authorization value.
 *
 * Quoting follows RFC 3261 §25.1: username, realm, nonce, uri, response,
 * cnonce and opaque are quoted-strings; algorithm, qop, nc and userhash are
 * tokens.
 *
 * @throws TypeError if a value holds a control character (header injection).
 */
export function serializeCredentials(credentials: DigestCredentialsInit): string {
  const out: ParamToWrite[] = [
    { name: 'username', value: credentials.username, quoted: true },
    { name: 'realm', value: credentials.realm, quoted: true },
    { name: 'nonce', value: credentials.nonce, quoted: true },
    { name: 'uri', value: credentials.uri, quoted: true },
    { name: 'response', value: credentials.response, quoted: true },
  ];
  if (credentials.algorithm !== undefined) out.push({ name: 'algorithm', value: credentials.algorithm });
  if (credentials.cnonce !== undefined) out.push({ name: 'cnonce', value: credentials.cnonce, quoted: true });
  if (credentials.opaque !== undefined) out.push({ name: 'opaque', value: credentials.opaque, quoted: true });
  if (credentials.qop !== undefined) out.push({ name: 'qop', value: credentials.qop });
  if (credentials.nc !== undefined) out.push({ name: 'nc', value: credentials.nc });
  if (credentials.userhash !== undefined) out.push({ name: 'userhash', value: String(credentials.userhash) });
  for (const e of credentials.extensions ?? []) out.push(e);
  return formatAuthValue('Digest', out);
}
