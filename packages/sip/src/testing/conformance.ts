/**
 * The RFC 4475 / RFC 5118 torture corpus (../shared/conformance beside the
 * repository) and what each message must give. Shared by the parser tests
 * here and the server's black-box tests.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/**
 * What a message must give:
 * - 'valid': parses, validate() passes (a server then applies its own rules,
 *   e.g. 416 for an unknown scheme, 420 for an unknown Require);
 * - a number: parses, and validate() throws a SipParseError with that status;
 * - 'drop': cannot be answered (not a request we can respond to): the parser
 *   throws, or it is a response that validate() rejects.
 */
export type Expectation = 'valid' | 'drop' | 400 | 505;

export const EXPECTED: Record<string, Expectation> = {
  // RFC 4475 §3.1.1 valid messages
  'rfc4475/wsinv': 'valid',
  'rfc4475/intmeth': 'valid',
  'rfc4475/esc01': 'valid',
  'rfc4475/escnull': 'valid',
  'rfc4475/esc02': 'valid',
  'rfc4475/lwsdisp': 'valid',
  'rfc4475/longreq': 'valid',
  'rfc4475/dblreq': 'valid',
  'rfc4475/semiuri': 'valid',
  'rfc4475/transports': 'valid',
  'rfc4475/mpart01': 'valid',
  'rfc4475/unreason': 'valid',
  'rfc4475/noreason': 'valid',
  // §3.1.2 invalid messages
  'rfc4475/badinv01': 400,
  'rfc4475/clerr': 400,
  'rfc4475/ncl': 400,
  'rfc4475/scalar02': 400,
  'rfc4475/scalarlg': 'drop', // a response: discarded
  'rfc4475/quotbal': 400,
  'rfc4475/ltgtruri': 400,
  'rfc4475/lwsruri': 400,
  'rfc4475/lwsstart': 400,
  'rfc4475/trws': 'valid', // "may be accepted"
  'rfc4475/escruri': 400,
  'rfc4475/baddate': 400,
  'rfc4475/regbadct': 400,
  'rfc4475/badaspec': 400,
  'rfc4475/baddn': 400,
  'rfc4475/badvers': 505,
  'rfc4475/mismatch01': 400,
  'rfc4475/mismatch02': 400,
  'rfc4475/bigcode': 'drop',
  // §3.2 transaction layer
  'rfc4475/badbranch': 'valid',
  // §3.3 application layer: well-formed; the server answers by its own rules
  'rfc4475/insuf': 400,
  'rfc4475/unkscm': 'valid',
  'rfc4475/novelsc': 'valid',
  'rfc4475/unksm2': 'valid',
  'rfc4475/bext01': 'valid',
  'rfc4475/invut': 'valid',
  'rfc4475/regaut01': 'valid',
  'rfc4475/multi01': 400,
  'rfc4475/mcl01': 400,
  'rfc4475/bcast': 'valid',
  'rfc4475/zeromf': 'valid',
  'rfc4475/cparam01': 'valid',
  'rfc4475/cparam02': 'valid',
  'rfc4475/regescrt': 'valid',
  'rfc4475/sdp01': 'valid',
  // §3.4 backward compatibility
  'rfc4475/inv2543': 'valid',
  // RFC 5118
  'rfc5118/ipv6-good': 'valid',
  'rfc5118/ipv6-bad': 400,
  'rfc5118/port-ambiguous': 'valid',
  'rfc5118/port-unambiguous': 'valid',
  'rfc5118/ipv6-bug-abnf-3-colons': 400,
  'rfc5118/ipv6-correct-abnf-2-colons': 'valid',
  'rfc5118/ipv4-mapped-ipv6': 'valid',
  'rfc5118/ipv6-in-sdp': 'valid',
  'rfc5118/mult-ip-in-header': 'valid',
  'rfc5118/mult-ip-in-sdp': 'valid',
  'rfc5118/via-received-param-no-delim': 'valid',
  'rfc5118/via-received-param-with-delim': 'valid', // §4.5: be liberal, accept the brackets
};

/** The corpus folder: $PARLEY_CONFORMANCE or ../shared/conformance beside the repository. */
export function conformanceDir(): string {
  if (process.env.PARLEY_CONFORMANCE) return process.env.PARLEY_CONFORMANCE;
  // this file is packages/sip/{src,dist}/testing/conformance.{ts,js}
  const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
  return join(repo, '..', 'shared', 'conformance');
}

export interface CorpusMessage {
  id: string;
  bytes: Buffer;
  expected: Expectation | undefined;
}

export function loadCorpus(): CorpusMessage[] {
  const dir = conformanceDir();
  if (!existsSync(dir)) throw new Error(`conformance corpus not found at ${dir} (set PARLEY_CONFORMANCE)`);
  const out: CorpusMessage[] = [];
  for (const sub of ['rfc4475', 'rfc5118']) {
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (!f.endsWith('.dat')) continue;
      const id = `${sub}/${f.slice(0, -4)}`;
      out.push({ id, bytes: readFileSync(join(dir, sub, f)), expected: EXPECTED[id] });
    }
  }
  return out;
}
