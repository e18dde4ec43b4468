import type { NameAddr } from '../../grammar/name-addr.js';
import type { Uri } from '../../grammar/uri.js';
import type { SendTarget } from '../../transaction/transport.js';

/**
 * Where a proxy sends one branch (RFC 3261 §16.5, §16.6): the proxy helper
 * knows nothing of registrars — the caller turns bindings, a dial plan or a
 * static route into targets.
 */
export interface ProxyTarget {
  /** The Request-URI of the branch (§16.6 step 2). */
  readonly uri: Uri;
  /** Send over this flow or to this address (a registered flow, RFC 5626 §5.3). Default: resolve the request. */
  readonly sendTarget?: SendTarget;
  /** The binding's Path (RFC 3327 §5): pushed as Route in front of the request. */
  readonly path?: ReadonlyArray<NameAddr | string>;
  /** Contact q-value (§16.6): higher first in sequential forking; default 1. */
  readonly q?: number;
}
