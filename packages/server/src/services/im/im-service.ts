/**
 * The IM service as the composition root sees it: the MESSAGE handler, the
 * queue of pending messages, the history routes, and their settings.
 */
import type { Binding } from '../registrar/index.js';
import type { ParleyService, ServiceContext, ServiceFactory } from '../service.js';
import { Courier } from './delivery.js';
import { ImRepo } from './im-repo.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MESSAGES_PER_MINUTE, SenderRateLimiter } from './limits.js';
import { MessageHandler } from './message-handler.js';
import { PendingQueue } from './pending.js';
import { imRoutes } from './routes.js';

export interface ImOptions {
  /** Largest body accepted, bytes. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** MESSAGEs per sender per minute (typing notifications included). Default 120. */
  readonly messagesPerMinute?: number;
  /** How long a message waits for an absent recipient before it is missed. Default 7 days. */
  readonly pendingTtlMs?: number;
  /** How often recipients with pending messages are checked for a device. Default 2 s. */
  readonly pendingPollMs?: number;
  /** How often expired pending messages are swept. Default 60 s. */
  readonly pendingSweepMs?: number;
  /** How long a sender waits for a device's answer before 202. Default 10 s (the sender gives up at 32 s, RFC 3261 Timer F). */
  readonly deliveryDeadlineMs?: number;
}

export const DEFAULT_PENDING_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export class ImService implements ParleyService {
  readonly name = 'im';
  readonly repo: ImRepo;
  readonly queue: PendingQueue;
  readonly handlers: ParleyService['handlers'];
  readonly routes: ParleyService['routes'];
  #closed = false;

  constructor(ctx: ServiceContext, o: ImOptions = {}) {
    this.repo = new ImRepo(ctx.store);
    const courier = new Courier(ctx);
    this.queue = new PendingQueue({
      repo: this.repo,
      courier,
      location: ctx.location,
      logger: ctx.logger,
      now: ctx.now,
      ttlMs: o.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS,
      pollMs: o.pendingPollMs ?? 2000,
      sweepMs: o.pendingSweepMs ?? 60_000,
    });
    const handler = new MessageHandler({
      ctx,
      repo: this.repo,
      courier,
      queue: this.queue,
      limiter: new SenderRateLimiter(o.messagesPerMinute ?? DEFAULT_MESSAGES_PER_MINUTE, ctx.now),
      maxBodyBytes: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      deadlineMs: o.deliveryDeadlineMs ?? 10_000,
    });
    this.handlers = { MESSAGE: [handler.handle] };
    this.routes = imRoutes(this.repo, ctx.now);
  }

  async start(): Promise<void> {
    await this.queue.start();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.queue.close();
  }

  /** Delivers what is pending for `aor` now; resolves with how many were delivered. */
  deliverPending(aor: string): Promise<number> {
    return this.queue.deliverPending(aor);
  }

  /** For the location service's change hook (`LocationEvents.onChange`). */
  onBindingsChanged(aor: string, bindings: readonly Binding[]): void {
    this.queue.onBindingsChanged(aor, bindings);
  }
}

/** The IM service with its settings. */
export function imServiceWith(o: ImOptions = {}): ServiceFactory {
  return (ctx) => new ImService(ctx, o);
}

/** The IM service with default settings. */
export const imService: ServiceFactory = imServiceWith();
