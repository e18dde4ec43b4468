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
 * A Digest challenge: the value of one WWW-Authenticate (401) or
 * Proxy-Authenticate (407) header field (RFC 3261 §20.44, §20.27, §22.4;
 * RFC 7616 §3.3; RFC 8760 §2).
 */
export interface DigestChallengeInit {
  readonly realm: string;
  readonly nonce: string;
  /** The algorithm token as written; absent means MD5. See `toDigestAlgorithm`. */
  readonly algorithm?: string;
  readonly opaque?: string;
  readonly domain?: string;
  /**
   * The qop options, lowercased (`['auth', 'auth-int']`). Absent means an
   * RFC 2069 style challenge, answered without qop, cnonce and nc.
   */
  readonly qop?: readonly string[];
  /** stale=TRUE: the nonce expired, the credentials were good; retry without asking the user (RFC 7616 §3.3). */
  readonly stale?: boolean;
  /** RFC 7616 §3.4.4: the server accepts a hashed username. */
  readonly userhash?: boolean;
  readonly charset?: string;
  /** Parameters this module does not know, kept in order (names lowercased). */
  readonly extensions?: readonly AuthParam[];
}

/** A parsed challenge: like {@link DigestChallengeInit}, with `stale` and `extensions` always present. */
export interface DigestChallenge extends DigestChallengeInit {
  readonly stale: boolean;
  readonly extensions: readonly AuthParam[];
}

const KNOWN = new Set(['realm', 'nonce', 'algorithm', 'opaque', 'domain', 'qop', 'stale', 'userhash', 'charset']);

/**
 * Splits a qop-options value (`"auth,auth-int"`, RFC 3261 §25.1) into
 * lowercase tokens, ignoring whitespace and empty elements.
 */
function parseQopOptions(value: string): string[] {
  const list = value
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
  if (list.length === 0) throw new DigestParseError('invalid-value', 'qop lists no option');
  return list;
}

/**
 * Parses a WWW-Authenticate or Proxy-Authenticate value.
 *
 * ```
 * parseChallenge('Digest realm="atlanta.com", nonce="84a4cc6f", algorithm=SHA-256, qop="auth", stale=TRUE')
 * ```
 *
 * The scheme is matched case-insensitively. realm and nonce are required
 * (RFC 3261 §22.4). An unknown algorithm is kept as written rather than
 * refused: a server may offer SHA3 next to SHA-256, and the client simply
 * picks the challenge it understands (see `pickChallenge`).
 *
 * @throws DigestParseError on malformed input; never anything else.
 */
export function parseChallenge(value: string): DigestChallenge {
  const { scheme, params } = scanAuthValue(value);
  if (scheme.toLowerCase() !== 'digest') {
    throw new DigestParseError('unsupported-scheme', `scheme ${scheme} is not Digest`);
  }
  const realm = findParam(params, 'realm');
  const nonce = findParam(params, 'nonce');
  if (realm === undefined) throw new DigestParseError('missing-param', 'challenge without realm');
  if (nonce === undefined) throw new DigestParseError('missing-param', 'challenge without nonce');
  const qop = findParam(params, 'qop');
  const stale = findParam(params, 'stale');
  const userhash = findParam(params, 'userhash');
  const challenge: {
    -readonly [K in keyof DigestChallenge]: DigestChallenge[K];
  } = {
    realm,
    nonce,
    stale: stale === undefined ? false : parseBoolean('stale', stale),
    extensions: params.filter((p) => !KNOWN.has(p.name)),
  };
  const algorithm = findParam(params, 'algorithm');
  if (algorithm !== undefined) challenge.algorithm = algorithm;
  const opaque = findParam(params, 'opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const domain = findParam(params, 'domain');
  if (domain !== undefined) challenge.domain = domain;
  if (qop !== undefined) challenge.qop = parseQopOptions(qop);
  if (userhash !== undefined) challenge.userhash = parseBoolean('userhash', userhash);
  const charset = findParam(params, 'charset');
  if (charset !== undefined) challenge.charset = charset;
  return challenge;
}

/**
 * Writes a challenge as a WWW-Authenticate / Proxy-Authenticate value.
 *
 * Quoting follows RFC 3261 §25.1: realm, nonce, opaque, domain and qop are
 * quoted-strings; algorithm and stale are tokens. stale is written only when
 * true, in upper case as RFC 3261 §22.4's examples do.
 *
 * @throws TypeError if a value holds a control character (header injection).
 */
export function serializeChallenge(challenge: DigestChallengeInit): string {
  const out: ParamToWrite[] = [
    { name: 'realm', value: challenge.realm, quoted: true },
    { name: 'nonce', value: challenge.nonce, quoted: true },
  ];
  if (challenge.domain !== undefined) out.push({ name: 'domain', value: challenge.domain, quoted: true });
  if (challenge.opaque !== undefined) out.push({ name: 'opaque', value: challenge.opaque, quoted: true });
  if (challenge.algorithm !== undefined) out.push({ name: 'algorithm', value: challenge.algorithm });
  if (challenge.qop !== undefined) out.push({ name: 'qop', value: challenge.qop.join(','), quoted: true });
  if (challenge.stale) out.push({ name: 'stale', value: 'TRUE' });
  if (challenge.userhash !== undefined) out.push({ name: 'userhash', value: String(challenge.userhash) });
  if (challenge.charset !== undefined) out.push({ name: 'charset', value: challenge.charset });
  for (const e of challenge.extensions ?? []) out.push(e);
  return formatAuthValue('Digest', out);
}
