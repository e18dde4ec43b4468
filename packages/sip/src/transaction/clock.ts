/**
 * The clock every timer of the transaction layer, dialogs and cores runs on.
 *
 * Injected (never the global timers directly) so that tests run the RFC 3261
 * §17 timers — 32 s Timer B, 3 min Timer C — in virtual time
 * ({@link VirtualClock}), and so that a stack can be driven by any scheduler.
 */

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds, monotonic enough for timers (only differences are used). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
