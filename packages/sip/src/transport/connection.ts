/**
 * One connection of a connection-oriented transport (tcp, tls, ws, wss): the
 * life cycle, idle timeout and backpressure rules shared by
 * {@link StreamConnection} and {@link WsConnection}.
 *
 * ```
 *   connecting ──(connected)──▶ open ──(close)──▶ closed
 *        │                                          ▲
 *        └──────────(close: unreachable)────────────┘
 * ```
 *
 * `close()` is idempotent; it clears every timer and destroys the socket, so
 * nothing outlives the connection. The owner learns of it once, through
 * `hooks.closed`, with the reason.
 */
import { TransportError } from './errors.js';
import type { ConnectionProtocol, Flow } from './transport.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Closures the owner hands in (the child never sees its parent). */
export interface ConnectionHooks {
  opened(connection: Connection): void;
  message(connection: Connection, data: Buffer): void;
  /** A keep-alive arrived (CRLF ping on streams). */
  keepAlive(connection: Connection): void;
  closed(connection: Connection, reason: TransportError): void;
}

export interface ConnectionLimits {
  readonly idleTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly backpressureTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export abstract class Connection {
  readonly id: string;
  readonly protocol: ConnectionProtocol;
  /** True when we opened it (client side). */
  readonly outbound: boolean;
  /** Connection-table keys this connection answers to (RFC 5923 reuse, aliases). */
  readonly keys = new Set<string>();
  /** Resolves with the flow once open; rejects with `unreachable` or `closed`. */
  readonly ready: Promise<Flow>;

  protected readonly limits: ConnectionLimits;
  private readonly hooks: ConnectionHooks;
  private currentState: ConnectionState = 'connecting';
  private openFlow: Flow | null = null;
  private resolveReady!: (flow: Flow) => void;
  private rejectReady!: (error: TransportError) => void;
  private idleTimeoutMs: number;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stuckTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  protected constructor(id: string, protocol: ConnectionProtocol, outbound: boolean, limits: ConnectionLimits, hooks: ConnectionHooks) {
    this.id = id;
    this.protocol = protocol;
    this.outbound = outbound;
    this.limits = limits;
    this.hooks = hooks;
    this.idleTimeoutMs = limits.idleTimeoutMs;
    this.ready = new Promise<Flow>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // a connect nobody awaits must not be an unhandled rejection
    if (outbound && limits.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.close(new TransportError('unreachable', `${protocol} connect timed out after ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
      this.connectTimer.unref();
    }
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The flow, once open. */
  get flow(): Flow | null {
    return this.openFlow;
  }

  /** Unsent bytes held by the socket / WebSocket. */
  abstract get bufferedAmount(): number;
  protected abstract writeBytes(data: Buffer): void;
  protected abstract destroyTransport(): void;

  /**
   * Queues one framed message. Throws `closed` when not open and `backpressure`
   * when the peer is not reading (more than `maxBufferedBytes` unsent); a flow
   * that stays over the limit for `backpressureTimeoutMs` is closed, so a slow
   * peer never makes the process buffer without bound.
   */
  send(data: Buffer): void {
    if (this.currentState !== 'open') throw new TransportError('closed', `${this.protocol} flow ${this.id} is ${this.currentState}`);
    if (this.bufferedAmount > this.limits.maxBufferedBytes) {
      this.armStuckTimer();
      throw new TransportError('backpressure', `${this.protocol} flow ${this.id} has ${this.bufferedAmount} bytes unsent`);
    }
    this.writeBytes(data);
    this.lastActivity = Date.now();
    if (this.bufferedAmount > this.limits.maxBufferedBytes) this.armStuckTimer();
  }

  /** Counts as traffic for the idle timeout (RFC 5626 keep-alive, registration refresh). */
  touch(): void {
    this.lastActivity = Date.now();
  }

  /** Per-flow idle timeout; 0 keeps the connection open without traffic (a flow carrying a registration). */
  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.currentState === 'open') this.armIdleTimer(ms);
  }

  close(reason: TransportError = new TransportError('closed', 'closed locally')): void {
    if (this.currentState === 'closed') return;
    const wasOpen = this.currentState === 'open';
    this.currentState = 'closed';
    clearTimeout(this.idleTimer);
    clearTimeout(this.stuckTimer);
    clearTimeout(this.connectTimer);
    this.destroyTransport();
    if (!wasOpen) this.rejectReady(reason);
    this.hooks.closed(this, reason);
  }

  /** Subclasses call this when the connection (and any handshake) is up. */
  protected markOpen(flow: Flow): void {
    if (this.currentState !== 'connecting') return;
    this.currentState = 'open';
    this.openFlow = flow;
    clearTimeout(this.connectTimer);
    this.lastActivity = Date.now();
    this.armIdleTimer(this.idleTimeoutMs);
    this.resolveReady(flow);
    this.hooks.opened(this);
  }

  protected received(data: Buffer): void {
    if (this.currentState !== 'open') return;
    this.lastActivity = Date.now();
    this.hooks.message(this, data);
  }

  protected keepAliveReceived(): void {
    this.lastActivity = Date.now();
    this.hooks.keepAlive(this);
  }

  /** The socket drained: the peer reads again. */
  protected drained(): void {
    clearTimeout(this.stuckTimer);
    this.stuckTimer = undefined;
  }

  private armIdleTimer(ms: number): void {
    if (ms <= 0) return;
    // One timer per connection, re-armed lazily: traffic only stamps `lastActivity`.
    this.idleTimer = setTimeout(() => {
      const idle = Date.now() - this.lastActivity;
      if (idle >= this.idleTimeoutMs) {
        this.close(new TransportError('idle', `${this.protocol} flow ${this.id} idle for ${idle} ms`));
      } else {
        this.armIdleTimer(this.idleTimeoutMs - idle);
      }
    }, ms);
    this.idleTimer.unref();
  }

  private armStuckTimer(): void {
    if (this.stuckTimer !== undefined || this.limits.backpressureTimeoutMs <= 0) return;
    this.stuckTimer = setTimeout(() => {
      this.stuckTimer = undefined;
      if (this.bufferedAmount > this.limits.maxBufferedBytes) {
        this.close(new TransportError('backpressure', `${this.protocol} flow ${this.id} stuck with ${this.bufferedAmount} bytes unsent`));
      }
    }, this.limits.backpressureTimeoutMs);
    this.stuckTimer.unref();
  }
}
