/**
 * Choosing the response a forking proxy sends upstream (RFC 3261 §16.7
 * steps 6 and 7).
 */
import type { SipResponse } from '../../message/message.js';
import { reasonPhrase } from '../../message/status.js';
import { cloneResponse } from './response-forwarding.js';

/** 4xx responses preferred within their class (§16.7 step 6). 407 before 401: both challenges go in it anyway. */
const PREFERRED_4XX = [407, 401, 415, 420, 484];

/**
 * The best final response among `responses` (all ≥ 300): a 6xx if any;
 * else one of the lowest class, preferring 407/401/415/420/484 among 4xx.
 * A chosen 503 becomes 500 (§16.7 step 6: the 503 was about the next hop,
 * not about us). A chosen 401/407 gets every WWW-Authenticate and
 * Proxy-Authenticate of all 401/407 responses (§16.7 step 7).
 * Returns a new response; the inputs are not changed.
 */
export function chooseBestResponse(responses: readonly SipResponse[]): SipResponse {
  const finals = responses.filter((r) => r.status >= 300);
  if (finals.length === 0) throw new TypeError('no final non-2xx response to choose from');
  let best = finals.find((r) => r.status >= 600);
  if (best === undefined) {
    const lowestClass = Math.min(...finals.map((r) => Math.floor(r.status / 100)));
    const inClass = finals.filter((r) => Math.floor(r.status / 100) === lowestClass);
    best = inClass[0];
    if (lowestClass === 4) {
      for (const code of PREFERRED_4XX) {
        const hit = inClass.find((r) => r.status === code);
        if (hit !== undefined) {
          best = hit;
          break;
        }
      }
    }
  }
  const out = best.status === 503 ? cloneResponse(best, 500, reasonPhrase(500)) : cloneResponse(best);
  if (out.status === 401 || out.status === 407) {
    for (const other of finals) {
      if (other === best || (other.status !== 401 && other.status !== 407)) continue;
      for (const v of other.getAll('www-authenticate')) out.append('WWW-Authenticate', v);
      for (const v of other.getAll('proxy-authenticate')) out.append('Proxy-Authenticate', v);
    }
  }
  return out;
}
