/**
 * Messages kept for a recipient no device of whom took them (RFC 3428 §7:
 * the sender was told 202 Accepted — kept, not delivered), delivered when
 * one of the recipient's devices is back.
 *
 * ```
 *   hold(aor) ──► waiting ──bindings changed (deliverPending) or the poll
 *                   │        sees a device set unlike the last failed one──► flush
 *                   │                                                        │
 *                   ◄──── a device refused or timed out: remember the set ◄──┤
 *                   └──── nothing pending any more: forgotten ◄──────────────┘
 * ```
 *
 * A flush sends the pending messages oldest first, one at a time, each as a
 * MESSAGE of the server's own with the original From and a Date header of
 * when it was sent, and stops at the first one no device takes, so the
 * order is kept. Messages pending longer than `ttlMs` become missed (a sweep
 * every `sweepMs`).
 *
 * Only recipients in the waiting set are looked at (loaded from the store at
 * start, added whenever a message is kept), so a REGISTER costs no query.
 */
import type { Logger } from '../../observability/index.js';
import type { Binding, LocationService } from '../registrar/index.js';
import type { Courier, Device } from './delivery.js';
import type { ImMessage, ImRepo } from './im-repo.js';

export interface PendingOptions {
  readonly repo: ImRepo;
  readonly courier: Courier;
  readonly location: Pick<LocationService, 'lookup'>;
  readonly logger: Logger;
  readonly now: () => number;
  /** How long a message waits for its recipient before it is missed. */
  readonly ttlMs: number;
  /** How often recipients with pending messages are checked for devices (the fallback to deliverPending). */
  readonly pollMs: number;
  /** How often expired messages are swept. */
  readonly sweepMs: number;
}

const BATCH = 50;

/** What a device set looks like: a REGISTER refresh changes it, so a refreshed device is tried again. */
function signature(devices: readonly Device[]): string {
  return devices
    .map((d) => `${d.binding.key}@${d.binding.receivedAt}`)
    .sort()
    .join('\n');
}

export class PendingQueue {
  private readonly waiting = new Set<string>();
  /** Recipient → the device set that last failed to take a message. */
  private readonly failedWith = new Map<string, string>();
  private readonly busy = new Map<string, Promise<number>>();
  /** Messages being delivered by the MESSAGE handler right now: a flush leaves them alone. */
  readonly inflight = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private counts = { delivered: 0, missed: 0 };

  constructor(private readonly o: PendingOptions) {}

  async start(): Promise<void> {
    for (const aor of await this.o.repo.pendingRecipients()) this.waiting.add(aor);
    const poll = setInterval(() => this.poll(), this.o.pollMs);
    const sweep = setInterval(() => void this.sweep(), this.o.sweepMs);
    poll.unref();
    sweep.unref();
    this.timers = [poll, sweep];
    await this.sweep();
    this.poll();
  }

  /** Stops the timers; flushes under way end after their current message. Idempotent. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** `aor` has pending messages; `failed` is the device set that just failed to take one, if any. */
  hold(aor: string, failed?: readonly Device[]): void {
    this.waiting.add(aor);
    if (failed) this.failedWith.set(aor, signature(failed));
  }

  isWaiting(aor: string): boolean {
    return this.waiting.has(aor);
  }

  get stats(): { readonly waiting: number; readonly delivered: number; readonly missed: number } {
    return { waiting: this.waiting.size, ...this.counts };
  }

  /**
   * Delivers what is pending for `aor` to its devices now (the location
   * service's change hook calls this). Resolves with how many were
   * delivered; a flush already under way for `aor` is joined, not repeated.
   */
  deliverPending(aor: string): Promise<number> {
    if (this.closed || !this.waiting.has(aor)) return Promise.resolve(0);
    const running = this.busy.get(aor);
    if (running) return running;
    this.failedWith.delete(aor);
    const p = this.flush(aor)
      .catch((err: unknown) => {
        this.o.logger.warn({ err, aor }, 'pending messages not delivered');
        return 0;
      })
      .finally(() => this.busy.delete(aor));
    this.busy.set(aor, p);
    return p;
  }

  /** The location service's change hook: a device came (or a set changed). */
  onBindingsChanged(aor: string, bindings: readonly Binding[]): void {
    if (bindings.length > 0) void this.deliverPending(aor);
  }

  private poll(): void {
    if (this.closed) return;
    for (const aor of this.waiting) {
      if (this.busy.has(aor)) continue;
      const devices = this.o.courier.devices(this.o.location.lookup(aor));
      if (devices.length === 0 || this.failedWith.get(aor) === signature(devices)) continue;
      void this.deliverPending(aor);
    }
  }

  private async flush(aor: string): Promise<number> {
    let delivered = 0;
    for (;;) {
      if (this.closed) return delivered;
      const devices = this.o.courier.devices(this.o.location.lookup(aor));
      if (devices.length === 0) return delivered;
      const rows = await this.o.repo.pending(aor, BATCH);
      if (rows.length === 0) {
        this.waiting.delete(aor);
        this.failedWith.delete(aor);
        return delivered;
      }
      const due = rows.filter((m) => !this.inflight.has(m.id));
      if (due.length === 0) return delivered; // the handler's deliveries will tell us how they end
      for (const m of due) {
        if (this.closed) return delivered;
        if (m.sentAt < this.o.now() - this.o.ttlMs) {
          await this.o.repo.markMissed(m.id);
          this.missed(m);
          continue;
        }
        const r = await this.o.courier.fork(devices, (d) => this.o.courier.serverMessage(d, m));
        if (!r.delivered) {
          this.failedWith.set(aor, signature(devices));
          this.o.logger.debug({ aor, id: m.id, statuses: r.failures.map((f) => f.status) }, 'pending message still not taken');
          return delivered;
        }
        await this.o.repo.markDelivered(m.id, this.o.now());
        this.counts.delivered++;
        delivered++;
      }
      // The batch went: the next look finds more, or the end (and forgets the recipient).
    }
  }

  private missed(m: ImMessage): void {
    this.counts.missed++;
    this.o.logger.info({ id: m.id, from: m.from, to: m.to, sentAt: new Date(m.sentAt).toISOString() }, 'IM missed: not delivered in time');
  }

  /** Pending messages past their lifetime become missed. */
  async sweep(): Promise<number> {
    if (this.closed) return 0;
    try {
      const expired = await this.o.repo.expirePending(this.o.now() - this.o.ttlMs);
      for (const m of expired) this.missed(m);
      for (const aor of new Set(expired.map((m) => m.to))) {
        if (!this.busy.has(aor) && (await this.o.repo.pending(aor, 1)).length === 0) this.waiting.delete(aor);
      }
      return expired.length;
    } catch (err) {
      this.o.logger.warn({ err }, 'pending messages not swept');
      return 0;
    }
  }
}
