/**
 * Stateless forwarding (RFC 3261 §16.11) — what a stateful proxy still does
 * for the ACK of a 2xx, which has no transaction (§16.7, §13.2.2.4), and for
 * a 2xx retransmission that outlived its transactions (RFC 6026 §7.1).
 */
import type { SipRequest, SipResponse } from '../../message/message.js';
import type { TransactionLayer } from '../../transaction/transaction-layer.js';
import { serverTransactionKey } from '../../transaction/transaction-keys.js';
import type { SendTarget } from '../../transaction/transport.js';
import { defaultNextHop } from '../next-hop.js';
import { type ViaSpec, addVia } from '../via.js';
import { proxyBranch } from './loop-detection.js';
import { applyStrictRoute } from './loose-route.js';
import { decrementMaxForwards } from './max-forwards.js';
import { stripTopVia, viaResponseTarget } from './response-forwarding.js';

export interface StatelessForwardOptions {
  layer: TransactionLayer;
  via(target: SendTarget, request: SipRequest): ViaSpec;
  resolve?(request: SipRequest): SendTarget | Promise<SendTarget>;
  secret?: string;
}

/**
 * Forwards a request without a transaction: Max-Forwards decremented, the
 * strict-route fix-up, our Via with a branch derived from the incoming
 * request (§16.11: the same for a retransmission), sent to the next hop.
 * The caller did §16.3 (checks) and §16.4 (route processing) — passing the
 * loop hash computed before it changed the request.
 */
export async function forwardStatelessly(request: SipRequest, loop: string, options: StatelessForwardOptions): Promise<void> {
  const key = serverTransactionKey(request);
  decrementMaxForwards(request);
  applyStrictRoute(request);
  const target = await (options.resolve ?? defaultNextHop)(request);
  addVia(request, options.via(target, request), proxyBranch(key, 0, loop, options.secret));
  options.layer.sendStateless(request, target);
}

/** Forwards a response by its Via (§16.7 step 9, §18.2.2); false when it was for us. */
export function forwardResponseStatelessly(response: SipResponse, layer: TransactionLayer): boolean {
  const copy = stripTopVia(response);
  if (copy === undefined) return false;
  layer.sendStateless(copy, viaResponseTarget(copy.topVia));
  return true;
}

