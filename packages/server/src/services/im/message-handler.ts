/**
 * MESSAGE to a local user, out of dialog (RFC 3428): the IM service's take
 * on it. In-dialog MESSAGE (To tag), a GRUU Request-URI (one device by
 * name, RFC 5627 §7), a foreign Request-URI and a Route to elsewhere are
 * left to the proxy.
 *
 * 1. Authenticated like the proxy does (407, RFC 3261 §22.3): From must be a
 *    local user, and the authenticated one (else 403).
 * 2. Limits (`limits.ts`): 413, 415, and 503 + Retry-After past the rate.
 * 3. Typing notifications (RFC 3994, application/im-iscomposing+xml) go to
 *    every device of the recipient and nowhere else: never stored, never
 *    queued, not copied to the sender's devices; nobody signed in → 480.
 * 4. Any other message is stored (pending) BEFORE any answer, then forked to
 *    every device of the recipient:
 *    - a device answers 2xx → 200, the message is delivered;
 *    - no device signed in, or every device failed with a "not now" answer
 *      (408, 480, 5xx: registered but unreachable) → 202 Accepted (§7: kept,
 *      not delivered), queued for when a device is back (`pending.ts`);
 *    - no answer within `deadlineMs` (well under the sender's Timer F,
 *      64*T1) → 202; a later 2xx still marks it delivered, a later failure
 *      queues it;
 *    - every device refused (4xx other than 408/480, 6xx) → that refusal,
 *      and the message is forgotten: it was never acknowledged.
 *    With 200 or 202, a copy goes to every other device of the sender (the
 *    one it came from is recognised by its flow or Contact), so that a
 *    conversation reads the same everywhere. The copy is a MESSAGE of the
 *    server's own with From = the sender and To = the recipient and the
 *    Request-URI of the sender's device: a device knows its own sent message
 *    by a From of its own address of record. Copies are not queued; the
 *    history API serves a device that was away.
 * 5. A note to self (To = From) goes to the sender's other devices; typed on
 *    the only one, it is stored as delivered and answered 200.
 * 6. Do Not Disturb (the original's rule, `presence/presence-gate.ts`): while
 *    the recipient's aggregated state is Do Not Disturb (or Presenting),
 *    a message or typing notification from anyone the recipient did not put
 *    in the Workgroup relationship is not delivered, stored, queued or
 *    copied: 480 Temporarily Unavailable (RFC 3261 §21.4.18 names Do Not
 *    Disturb among its causes) with `Warning: 399 <host> "Do Not Disturb"`
 *    (§20.43). A sender the recipient blocked gets a bare 480 (it is shown
 *    Offline, and must not learn more). Checked after the limits, before
 *    anything is stored.
 */
import { SipUri, parseNameAddr, type SipRequest } from '@parley/sip';
import type { FlowInfo, ServerTransaction } from '@parley/sip/transaction';
import { StoreError } from '../../store/index.js';
import type { Binding } from '../registrar/index.js';
import { presenceGateOf } from '../presence/index.js';
import type { ServiceContext } from '../service.js';
import { isTransient, refusal, type Courier, type Device } from './delivery.js';
import { IM_ERRORS, ImError } from './errors.js';
import type { ImMessage, ImRepo } from './im-repo.js';
import { ACCEPT, checkBody, type SenderRateLimiter } from './limits.js';
import type { PendingQueue } from './pending.js';

export const ISCOMPOSING = 'application/im-iscomposing+xml';

export interface MessageHandlerDeps {
  readonly ctx: ServiceContext;
  readonly repo: ImRepo;
  readonly courier: Courier;
  readonly queue: PendingQueue;
  readonly limiter: SenderRateLimiter;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
}

/** Is `b` the device the request came from? Same flow (connection, or UDP address and port), or same Contact. */
export function isOrigin(b: Binding, flow: FlowInfo, contact: string | undefined): boolean {
  const f = b.flow;
  if (f) {
    if (f.connectionId !== undefined && f.connectionId === flow.id) return true;
    if (f.protocol === flow.protocol.toLowerCase() && f.remoteAddress === flow.remoteAddress && f.remotePort === flow.remotePort) return true;
  }
  return contact !== undefined && b.contactUri === contact;
}

export class MessageHandler {
  constructor(private readonly d: MessageHandlerDeps) {}

  /** Answers unless already answered or the transaction is gone (its flow closed): late timers must not throw. */
  private reply(tx: ServerTransaction, status: number, o: { reason?: string; headers?: Array<[string, string | number]> } = {}): void {
    if ((tx.lastStatus ?? 0) >= 200) return;
    try {
      tx.reply(status, o);
    } catch (err) {
      this.d.ctx.logger.debug({ err, callId: tx.request.callId, status }, 'IM answer not sent');
    }
  }

  /** The router's MethodHandler: true when the request was ours (and answered). */
  readonly handle = async (tx: ServerTransaction, flow: FlowInfo): Promise<boolean> => {
    const to = await this.localRecipient(tx.request);
    if (to === undefined) return false;
    try {
      await this.process(tx, flow, to);
    } catch (e) {
      const err = e instanceof ImError ? e : e instanceof StoreError ? new ImError('store-unavailable', 5) : undefined;
      if (!err) throw e;
      if (err.code === 'store-unavailable') this.d.ctx.metrics.storeError();
      if (err.code === 'rate-limited') this.d.ctx.metrics.rateLimited('im-sender');
      const headers: Array<[string, string | number]> = [];
      if (err.retryAfterS !== undefined) headers.push(['Retry-After', err.retryAfterS]);
      if (err.code === 'unsupported-content') headers.push(['Accept', ACCEPT], ['Accept-Encoding', 'identity']);
      if (err.code === 'do-not-disturb') headers.push(['Warning', `399 ${this.d.ctx.local().host} "Do Not Disturb"`]);
      this.reply(tx, IM_ERRORS[err.code].sip, { reason: IM_ERRORS[err.code].reason, headers });
    }
    return true;
  };

  /** 'user@domain' when the request is an out-of-dialog MESSAGE for a local user that is ours to handle. */
  private async localRecipient(req: SipRequest): Promise<string | undefined> {
    const uri = req.uri;
    if (req.to.tag !== undefined || !(uri instanceof SipUri) || uri.user === undefined || uri.params.has('gr')) return undefined;
    const dom = await this.d.ctx.domains.resolve(uri.hostname);
    if (dom.kind !== 'local') return undefined;
    const ports = Object.values(this.d.ctx.local().ports);
    for (const r of req.getAll('route')) {
      const u = parseNameAddr(r, 'route').uri;
      const ours = u instanceof SipUri && u.user === undefined && this.d.ctx.domains.isOwnName(u.hostname) && (u.port === undefined || ports.includes(u.port));
      if (!ours) return undefined;
    }
    return `${uri.userDecoded!.toLowerCase()}@${dom.domain}`;
  }

  private async process(tx: ServerTransaction, flow: FlowInfo, to: string): Promise<void> {
    const { ctx } = this.d;
    const req = tx.request;
    if (req.maxForwards === 0) throw new ImError('too-many-hops');
    const fromUri = req.from.uri;
    if (!(fromUri instanceof SipUri) || fromUri.user === undefined) throw new ImError('foreign-origin');
    const origin = ctx.domains.resolveCached(fromUri.hostname);
    if (origin.kind !== 'local') throw new ImError('foreign-origin');
    const auth = await ctx.auth.check(req, flow.remoteAddress, 'proxy', origin.domain);
    if (!auth.ok) {
      this.reply(tx, auth.status, { reason: auth.reason, headers: auth.headers });
      return;
    }
    const from = `${fromUri.userDecoded!.toLowerCase()}@${origin.domain}`;
    if (from !== auth.address) throw new ImError('spoofed-from');
    const user = await (ctx.lookupUser ?? ((a: string) => ctx.store.users.getByAddress(a)))(to);
    if (!user || !user.enabled) throw new ImError('no-such-user');
    const body = checkBody(req, this.d.maxBodyBytes);
    this.d.limiter.check(from);
    await this.checkInterruption(to, from);

    const contact = req.contacts.find((c) => c !== '*');
    const originContact = typeof contact === 'object' ? contact.uri.toString() : undefined;
    const notOrigin = (b: Binding): boolean => !isOrigin(b, flow, originContact);
    let devices = this.d.courier.devices(ctx.location.lookup(to));
    if (to === from) devices = devices.filter((x) => notOrigin(x.binding)); // a note to self: to my other devices

    if (req.contentType === ISCOMPOSING) return this.composing(tx, devices);

    const contentType = req.get('content-type') ?? 'text/plain';
    const m = await this.d.repo.insert({ from, to, contentType, body, sentAt: ctx.now(), callId: req.callId });
    let answered = false;
    const acknowledge = (status: 200 | 202, reason?: string): void => {
      if (answered) return;
      answered = true;
      this.reply(tx, status, { reason });
      ctx.logger.debug({ callId: req.callId, from, to, id: m.id, status }, 'IM accepted');
      if (to !== from) this.copyToSender(m, this.d.courier.devices(ctx.location.lookup(from).filter(notOrigin)));
    };
    if (devices.length === 0 && to === from) {
      // A note to self typed on the only device: the history is its delivery.
      await this.d.repo.markDelivered(m.id, ctx.now());
      acknowledge(200);
      return;
    }
    if (devices.length === 0) {
      this.d.queue.hold(to);
      acknowledge(202, 'Accepted (kept until the recipient signs in)');
      return;
    }
    this.d.queue.inflight.add(m.id);
    const timer = setTimeout(() => acknowledge(202, 'Accepted (not yet delivered)'), this.d.deadlineMs);
    const r = await this.d.courier.fork(devices, (x) => this.d.courier.forwardedCopy(req, x));
    clearTimeout(timer);
    this.d.queue.inflight.delete(m.id);
    try {
      if (r.delivered) {
        acknowledge(200);
        await this.d.repo.markDelivered(m.id, ctx.now());
        if (this.d.queue.isWaiting(to)) void this.d.queue.deliverPending(to); // a device is evidently there
      } else if (r.failures.some((f) => isTransient(f.status))) {
        this.d.queue.hold(to, devices);
        acknowledge(202, 'Accepted (kept until a device of the recipient is reachable)');
      } else if (answered) {
        await this.d.repo.markMissed(m.id); // 202 went out at the deadline; then every device refused it
      } else {
        await this.d.repo.remove(m.id);
        answered = true;
        const { status, reason } = refusal(r.failures);
        this.reply(tx, status, { reason });
      }
    } catch (e) {
      // The row was written before any answer: a failed update only leaves it pending (delivered again later, not lost).
      if (!answered) throw e;
      ctx.logger.warn({ err: e, id: m.id }, 'IM status not updated');
    }
  }

  /** Step 6: Do Not Disturb. Throws ImError `do-not-disturb` (or `unavailable` toward a blocked sender). */
  private async checkInterruption(to: string, from: string): Promise<void> {
    const gate = presenceGateOf(this.d.ctx);
    if (!gate || to === from) return;
    const r = await gate.interruption(to, from);
    if (r.allowed) return;
    this.d.ctx.logger.debug({ from, to, availability: r.availability }, 'IM held back: Do Not Disturb');
    throw new ImError(r.reveal ? 'do-not-disturb' : 'unavailable');
  }

  private async composing(tx: ServerTransaction, devices: readonly Device[]): Promise<void> {
    if (devices.length === 0) throw new ImError('not-signed-in');
    const req = tx.request;
    const unavailable = (): void => this.reply(tx, IM_ERRORS['not-signed-in'].sip, { reason: IM_ERRORS['not-signed-in'].reason });
    const timer = setTimeout(unavailable, this.d.deadlineMs);
    const r = await this.d.courier.fork(devices, (x) => this.d.courier.forwardedCopy(req, x));
    clearTimeout(timer);
    if (r.delivered) this.reply(tx, 200);
    else if (r.failures.some((f) => isTransient(f.status))) unavailable();
    else this.reply(tx, refusal(r.failures).status, { reason: refusal(r.failures).reason });
  }

  /** The sender's other devices get the message too (fire and forget: the history has it). */
  private copyToSender(m: ImMessage, devices: readonly Device[]): void {
    if (devices.length === 0) return;
    void this.d.courier.fork(devices, (x) => this.d.courier.serverMessage(x, m)).then((r) => {
      if (!r.delivered) this.d.ctx.logger.debug({ id: m.id, statuses: r.failures.map((f) => f.status) }, 'IM copy to sender devices not taken');
    });
  }
}
