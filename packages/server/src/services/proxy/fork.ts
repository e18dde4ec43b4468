/**
 * A forking proxy transaction (RFC 3261 §16.6–16.10): one server transaction,
 * several client transactions (branches), the §16.7 response context.
 *
 *   Trying ──1xx──▶ Proceeding ──2xx/6xx/last final──▶ Completed
 *      │                                     ▲
 *      └────────── all branches done ────────┘
 *
 * - provisional responses (not 100) are forwarded at once (§16.7 step 5);
 * - every 2xx is forwarded at once (step 5), and for INVITE the other
 *   branches are CANCELled (§16.7 step 10) with a Reason header (RFC 3326);
 * - a 6xx ends the search: other branches CANCELled (step 5);
 * - otherwise the best final response is chosen when all branches ended
 *   (step 6): the lowest class among 3xx–5xx, 401/407 challenges of all
 *   branches merged (§16.7 step 7), 503 turned into 500 (step 6 last rule);
 * - a CANCEL of the server transaction cancels every pending branch (§16.10).
 */
import type { SipRequest, SipResponse } from '@parley/sip';
import { InvalidStateError } from '@parley/sip';
import type { ClientTransaction, InviteClientTransaction, SendTarget, ServerTransaction, TransactionLayer } from '@parley/sip/transaction';

export enum ForkState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
}

export interface Branch {
  request: SipRequest;
  target: SendTarget;
}

interface BranchState {
  tx: ClientTransaction | undefined;
  final: SipResponse | undefined;
  done: boolean;
}

export class ForkContext {
  private state = ForkState.Trying;
  private readonly branches: BranchState[] = [];
  private best: SipResponse | undefined;
  private readonly challenges: Array<[string, string]> = [];

  constructor(
    private readonly server: ServerTransaction,
    private readonly layer: TransactionLayer,
    /** Strip our Via from a response before it goes upstream (§16.7 step 3). */
    private readonly upstream: (res: SipResponse) => SipResponse,
    private readonly onDone?: (final: SipResponse | undefined) => void,
  ) {
    server.user = {
      onCancel: () => this.cancelAll('SIP;cause=487;text="Request terminated"'),
    };
  }

  get current(): ForkState {
    return this.state;
  }

  /** Start the branches (parallel forking, §16.6). */
  start(branches: Branch[]): void {
    if (this.state !== ForkState.Trying) throw new InvalidStateError(`fork already ${this.state}`);
    for (const b of branches) {
      const st: BranchState = { tx: undefined, final: undefined, done: false };
      this.branches.push(st);
      try {
        st.tx = this.layer.sendRequest(b.request, b.target, {
          onResponse: (res) => this.onResponse(st, res),
          onTimeout: () => this.onBranchFailed(st, 408),
          onTransportError: () => this.onBranchFailed(st, 503),
        });
      } catch {
        st.done = true;
        this.consider(st, 503);
      }
    }
    this.maybeFinish();
  }

  private onBranchFailed(st: BranchState, status: number): void {
    if (st.done) return;
    st.done = true;
    this.consider(st, status);
    this.maybeFinish();
  }

  /** The best status among branches that ended without a response (timeout, transport failure). */
  private syntheticBest: number | undefined;

  private consider(_st: BranchState, status: number): void {
    if (this.syntheticBest === undefined || rank(status) < rank(this.syntheticBest)) this.syntheticBest = status;
  }

  private onResponse(st: BranchState, res: SipResponse): void {
    if (this.state === ForkState.Completed && res.status >= 300) {
      st.done = true;
      return;
    }
    const s = res.status;
    if (s < 200) {
      if (s === 100) return; // §16.7 step 5: 100 is not forwarded
      if (this.state === ForkState.Trying) this.state = ForkState.Proceeding;
      this.forward(res);
      return;
    }
    if (s < 300) {
      st.done = true;
      st.final = res;
      // every 2xx is forwarded, also after the first (§16.7 step 5)
      const first = this.state !== ForkState.Completed;
      this.state = ForkState.Completed;
      this.forward(res);
      if (first) {
        this.cancelAll('SIP;cause=200;text="Call completed elsewhere"');
        this.onDone?.(res);
      }
      return;
    }
    st.done = true;
    st.final = res;
    if (s === 401 || s === 407) {
      for (const h of s === 401 ? res.getAll('www-authenticate') : res.getAll('proxy-authenticate'))
        this.challenges.push([s === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate', h]);
    }
    if (s >= 600) {
      this.best = res;
      this.cancelAll('SIP;cause=600;text="Busy Everywhere"');
      this.finish();
      return;
    }
    if (!this.best || rank(s) < rank(this.best.status)) this.best = res;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.state === ForkState.Completed) return;
    if (this.branches.every((b) => b.done)) this.finish();
  }

  private finish(): void {
    if (this.state === ForkState.Completed) return;
    this.state = ForkState.Completed;
    let res: SipResponse | undefined;
    if (this.best && (this.best.status >= 600 || this.syntheticBest === undefined || rank(this.best.status) <= rank(this.syntheticBest))) {
      res = this.best;
      if ((res.status === 401 || res.status === 407) && this.challenges.length > 1) {
        // §16.7 step 7: all challenges in one response
        res.remove('www-authenticate');
        res.remove('proxy-authenticate');
        for (const [n, v] of this.challenges) res.append(n, v);
      }
      if (res.status === 503) {
        this.reply(500);
        this.onDone?.(undefined);
        return;
      }
      this.forward(res);
      this.onDone?.(res);
    } else {
      const status = this.syntheticBest ?? 480;
      this.reply(status === 503 ? 480 : status);
      this.onDone?.(undefined);
    }
  }

  private reply(status: number): void {
    try {
      this.server.reply(status);
    } catch {
      /* the server transaction is gone (e.g. timed out) */
    }
  }

  private forward(res: SipResponse): void {
    try {
      this.server.respond(this.upstream(res));
    } catch {
      /* the server transaction already ended */
    }
  }

  /** CANCEL every branch still pending (§16.10; §16.7 step 10). */
  cancelAll(reason: string): void {
    for (const b of this.branches) {
      if (b.done || !b.tx) continue;
      if (b.tx.kind === 'invite-client') (b.tx as InviteClientTransaction).cancel({ reason });
    }
  }
}

/** Lower is better: 6xx first (handled apart), then 2xx, then 3xx < 4xx < 5xx (§16.7 step 6). */
function rank(status: number): number {
  if (status >= 200 && status < 300) return 0;
  if (status >= 600) return 1;
  // prefer specific answers over timeouts/unavailable
  if (status === 408 || status === 480 || status === 503) return 700 + status;
  return status;
}
