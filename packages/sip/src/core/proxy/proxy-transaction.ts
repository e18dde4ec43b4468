/**
 * A stateful proxy's response context for one request (RFC 3261 §16.6–§16.10):
 * forks it to targets in parallel, in sequence or by q-value groups, forwards
 * provisional responses and every 2xx at once, cancels the other branches on
 * a 2xx or 6xx (with a Reason, RFC 3326), runs Timer C on INVITE branches
 * (§16.8), and when every branch is over sends upstream the best final
 * response (§16.7 step 6–7: 6xx, else lowest class; 401/407 challenges
 * merged; 503 → 500). An upstream CANCEL cancels every branch (§16.10).
 *
 * ```
 *                 start(targets)
 *                       |
 *                       V       2xx forwarded      +----------+
 *                 +-----------+------------------->|          |
 *   1xx forwarded |           |  best final sent   | Answered |---+ more 2xx
 *      +----------|  Forking  |------------------->|          |<--+ forwarded
 *      +--------->|           |                    +----------+
 *                 +-----------+                         |
 *                       |  every branch over            | every branch over
 *                       |  and answered                 V
 *                       +--------------------->  +-----------+
 *                       dispose() from any  ---> | Completed |
 *                                                +-----------+
 * ```
 *
 * Branch states: Resolving → Trying → Proceeding → Completed. The caller
 * has done the §16.3 checks, §16.4 route processing and Record-Route on the
 * request it passes (a copy: the server transaction's own request stays as
 * received, for loop detection).
 */
import { InvalidStateError } from '../../errors.js';
import { parseNameAddr } from '../../grammar/name-addr.js';
import type { SipRequest, SipResponse } from '../../message/message.js';
import { reasonPhrase } from '../../message/status.js';
import type { ClientTransaction } from '../../transaction/client-transaction.js';
import { InviteClientTransaction } from '../../transaction/invite-client-transaction.js';
import { InviteServerTransaction } from '../../transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../../transaction/server-transaction.js';
import { createSyntheticResponse } from '../../transaction/synthetic-response.js';
import { TimerSet } from '../../transaction/timer-set.js';
import type { TransactionLayer } from '../../transaction/transaction-layer.js';
import type { SendTarget } from '../../transaction/transport.js';
import { cloneRequest } from '../credentials.js';
import { defaultNextHop } from '../next-hop.js';
import { type ViaSpec, addVia } from '../via.js';
import { chooseBestResponse } from './best-response.js';
import { loopHash, proxyBranch } from './loop-detection.js';
import { applyStrictRoute } from './loose-route.js';
import { decrementMaxForwards } from './max-forwards.js';
import type { ProxyTarget } from './proxy-target.js';
import { stripTopVia } from './response-forwarding.js';

export enum ProxyState {
  Forking = 'Forking',
  Answered = 'Answered',
  Completed = 'Completed',
}

export enum BranchState {
  Resolving = 'Resolving',
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
}

export interface ProxyBranch {
  readonly index: number;
  readonly target: ProxyTarget;
  /** The forwarded copy (our Via on top once sent). */
  readonly request: SipRequest;
  readonly state: BranchState;
  readonly transaction: ClientTransaction | undefined;
  /** The branch's final response (received or made up: 408, 487, 503). */
  readonly response: SipResponse | undefined;
}

interface Branch extends ProxyBranch {
  state: BranchState;
  transaction: ClientTransaction | undefined;
  response: SipResponse | undefined;
  cancelled: boolean;
  timerCFired: boolean;
}

export interface ProxyTransactionDelegate {
  /** Every response of every branch, before the forwarding decision. */
  onBranchResponse?(response: SipResponse, branch: ProxyBranch): void;
  /** A response about to go upstream (already without our Via): last chance to change it. */
  onForward?(response: SipResponse): void;
  /** Every branch is over. */
  onCompleted?(): void;
}

export interface ProxyTransactionOptions {
  layer: TransactionLayer;
  /** The server transaction of the request being proxied. */
  server: ServerTransaction;
  /** The request to fork, processed by the caller (§16.4, Record-Route). Default: a copy of the server's. */
  request?: SipRequest;
  via(target: SendTarget, request: SipRequest): ViaSpec;
  resolve?(request: SipRequest): SendTarget | Promise<SendTarget>;
  /** 'parallel': all at once; 'sequential': one by one; 'q' (default): equal q together, groups by decreasing q. */
  forking?: 'parallel' | 'sequential' | 'q';
  /** Last edits of each branch's copy before it goes (a per-branch Record-Route…). */
  prepareBranch?(request: SipRequest, target: ProxyTarget): void;
  /** Secret of the branch hash (default: one per process). */
  secret?: string;
  /** Timer C (default: the layer's, > 3 min). */
  timerC?: number;
  delegate?: ProxyTransactionDelegate;
  onError?(error: unknown): void;
}

function groupTargets(targets: readonly ProxyTarget[], mode: 'parallel' | 'sequential' | 'q'): ProxyTarget[][] {
  if (mode === 'parallel') return [[...targets]];
  if (mode === 'sequential') return targets.map((t) => [t]);
  const byQ = new Map<number, ProxyTarget[]>();
  for (const t of targets) {
    const q = t.q ?? 1;
    byQ.set(q, [...(byQ.get(q) ?? []), t]);
  }
  return [...byQ.entries()].sort((a, b) => b[0] - a[0]).map(([, g]) => g);
}

function reasonHeader(status: number): string {
  const text = status >= 200 && status < 300 ? 'Call completed elsewhere' : reasonPhrase(status);
  return `SIP;cause=${status};text="${text}"`;
}

export class ProxyTransaction {
  readonly server: ServerTransaction;
  readonly request: SipRequest;
  readonly #options: ProxyTransactionOptions;
  readonly #isInvite: boolean;
  readonly #loop: string;
  readonly #timers: TimerSet;
  readonly #branches: Branch[] = [];
  #groups: ProxyTarget[][] = [];
  #nextGroup = 0;
  #state = ProxyState.Forking;
  #started = false;
  /** No new branches: a 2xx or 6xx arrived, or upstream cancelled. */
  #stopped = false;
  #cancelled = false;
  #disposed = false;

  constructor(options: ProxyTransactionOptions) {
    this.#options = options;
    this.server = options.server;
    this.request = options.request ?? cloneRequest(options.server.request);
    this.#isInvite = this.request.method === 'INVITE';
    this.#loop = loopHash(options.server.request);
    this.#timers = new TimerSet(options.layer.clock);
    if (this.server instanceof InviteServerTransaction) {
      this.server.user = { ...this.server.user, onCancel: (cancel) => this.cancel(cancel.get('reason')) };
    }
  }

  get state(): ProxyState {
    return this.#state;
  }

  get branches(): readonly ProxyBranch[] {
    return this.#branches;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Forks to `targets` (§16.5, §16.6). Once. */
  start(targets: readonly ProxyTarget[]): void {
    if (this.#started) throw new InvalidStateError('proxy transaction already started');
    if (targets.length === 0) throw new TypeError('no targets: the caller answers 480/404 itself');
    this.#started = true;
    this.#groups = groupTargets(targets, this.#options.forking ?? 'q');
    this.#startNextGroup();
  }

  #startNextGroup(): void {
    const group = this.#groups[this.#nextGroup++];
    for (const target of group) this.#startBranch(target);
  }

  #startBranch(target: ProxyTarget): void {
    const req = cloneRequest(this.request);
    req.uri = target.uri; // §16.6 step 2
    decrementMaxForwards(req); // step 3
    const path = target.path ?? [];
    for (let i = path.length - 1; i >= 0; i--) {
      const p = path[i];
      req.prepend('Route', typeof p === 'string' ? parseNameAddr(p, 'path').toString() : p.toString());
    }
    this.#options.prepareBranch?.(req, target);
    applyStrictRoute(req); // step 6
    const branch: Branch = {
      index: this.#branches.length,
      target,
      request: req,
      state: BranchState.Resolving,
      transaction: undefined,
      response: undefined,
      cancelled: false,
      timerCFired: false,
    };
    this.#branches.push(branch);
    const resolve = this.#options.resolve ?? defaultNextHop;
    Promise.resolve()
      .then(() => target.sendTarget ?? resolve(req))
      .then(
        (t) => this.#send(branch, t),
        (e: unknown) => this.#complete(branch, createSyntheticResponse(req, 503, e instanceof Error ? e.message : 'no next hop')),
      );
  }

  #send(branch: Branch, target: SendTarget): void {
    if (this.#disposed) return;
    const req = branch.request;
    if (this.#cancelled) {
      this.#complete(branch, createSyntheticResponse(req, 487));
      return;
    }
    try {
      addVia(req, this.#options.via(target, req), proxyBranch(this.server.id, branch.index, this.#loop, this.#options.secret));
      branch.transaction = this.#options.layer.sendRequest(req, target, {
        onResponse: (res) => this.#onResponse(branch, res),
        onTimeout: () => this.#complete(branch, createSyntheticResponse(req, 408)),
        onTransportError: (e) => this.#complete(branch, createSyntheticResponse(req, 503, e.message)),
      });
    } catch (e) {
      this.#error(e);
      this.#complete(branch, createSyntheticResponse(req, 503, e instanceof Error ? e.message : 'cannot send'));
      return;
    }
    branch.state = BranchState.Trying;
    if (this.#isInvite) this.#startTimerC(branch);
  }

  #startTimerC(branch: Branch): void {
    this.#timers.start(`C${branch.index}`, this.#options.timerC ?? this.#options.layer.timers.C, () => this.#onTimerC(branch));
  }

  /** §16.8: CANCEL a branch that rings too long; a silent one is a 408. */
  #onTimerC(branch: Branch): void {
    if (branch.state === BranchState.Completed) return;
    const tx = branch.transaction;
    if (branch.state === BranchState.Proceeding && !branch.timerCFired && tx instanceof InviteClientTransaction) {
      branch.timerCFired = true;
      this.#cancelBranch(branch, reasonHeader(408));
      this.#startTimerC(branch); // the 487 should come; if not, give up below
      return;
    }
    tx?.dispose();
    this.#complete(branch, createSyntheticResponse(branch.request, 408));
  }

  #onResponse(branch: Branch, res: SipResponse): void {
    if (this.#disposed) return;
    this.#notify(() => this.#options.delegate?.onBranchResponse?.(res, branch));
    const s = res.status;
    if (s < 200) {
      if (branch.state === BranchState.Completed) return;
      branch.state = BranchState.Proceeding;
      if (this.#isInvite) this.#startTimerC(branch); // §16.7 step 2: reset Timer C
      if (s > 100 && this.#state === ProxyState.Forking) this.#forward(res); // step 5
      return;
    }
    if (s < 300) {
      const first = branch.state !== BranchState.Completed;
      if (first) this.#complete(branch, res, false);
      // §16.7 step 5: every 2xx to INVITE goes up at once (retransmissions too, while the server transaction takes them).
      if (this.#isInvite || this.#state === ProxyState.Forking) this.#forward(res);
      this.#state = ProxyState.Answered;
      if (first) {
        this.#stopped = true;
        if (this.#isInvite) this.#cancelOthers(branch, reasonHeader(s)); // step 10
      }
      this.#checkDone();
      return;
    }
    if (branch.state === BranchState.Completed) return;
    if (s >= 600 && this.#isInvite) {
      this.#stopped = true;
      this.#cancelOthers(branch, reasonHeader(s));
    }
    this.#complete(branch, res);
  }

  #complete(branch: Branch, res: SipResponse, check = true): void {
    if (branch.state === BranchState.Completed) return;
    branch.state = BranchState.Completed;
    branch.response = res;
    this.#timers.stop(`C${branch.index}`);
    if (check) this.#checkDone();
  }

  #checkDone(): void {
    if (this.#disposed || this.#state === ProxyState.Completed) return;
    if (this.#branches.some((b) => b.state !== BranchState.Completed)) return;
    if (this.#state === ProxyState.Forking) {
      if (!this.#stopped && this.#nextGroup < this.#groups.length) {
        this.#startNextGroup();
        return;
      }
      const finals = this.#branches.map((b) => b.response!).filter((r) => r.status >= 300);
      const best = chooseBestResponse(finals);
      // §16.10: a cancelled INVITE ends in 487 unless a 6xx decided otherwise.
      if (this.#cancelled && best.status < 600 && best.status !== 487) this.#reply(487);
      else this.#forward(best);
      this.#state = ProxyState.Answered;
    }
    this.#state = ProxyState.Completed;
    this.#timers.clear();
    this.#notify(() => this.#options.delegate?.onCompleted?.());
  }

  /** §16.7 step 9: our Via off, then upstream through the server transaction. */
  #forward(res: SipResponse): void {
    const copy = stripTopVia(res);
    if (copy === undefined) return;
    this.#notify(() => this.#options.delegate?.onForward?.(copy));
    try {
      this.server.respond(copy);
    } catch (e) {
      if (!(e instanceof InvalidStateError)) this.#error(e);
    }
  }

  #reply(status: number): void {
    try {
      this.server.reply(status);
    } catch (e) {
      if (!(e instanceof InvalidStateError)) this.#error(e);
    }
  }

  #cancelBranch(branch: Branch, reason: string): void {
    if (branch.cancelled || branch.state === BranchState.Completed) return;
    branch.cancelled = true;
    const tx = branch.transaction;
    if (tx instanceof InviteClientTransaction) tx.cancel({ reason });
  }

  #cancelOthers(winner: Branch, reason: string): void {
    for (const b of this.#branches) if (b !== winner) this.#cancelBranch(b, reason);
  }

  /**
   * Cancels every pending branch and starts no more (§16.10) — called for an
   * upstream CANCEL, or by the caller. The INVITE is answered 487 once every
   * branch is over (unless a 2xx or 6xx won). Idempotent.
   */
  cancel(reason?: string): void {
    if (this.#cancelled || this.#state !== ProxyState.Forking) return;
    this.#cancelled = true;
    this.#stopped = true;
    for (const b of this.#branches) this.#cancelBranch(b, reason ?? reasonHeader(487));
    this.#checkDone();
  }

  #notify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#error(e);
    }
  }

  #error(e: unknown): void {
    try {
      this.#options.onError?.(e);
    } catch {
      // nowhere else to go
    }
  }

  /** Stops every timer and ignores whatever comes later; client transactions end on their own. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#timers.clear();
  }
}
