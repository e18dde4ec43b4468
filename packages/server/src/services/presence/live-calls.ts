/**
 * What presence needs of the server's live calls (DESIGN §3: the service that
 * needs an interface declares it; the composition root hands it one). The
 * routing proxy's call tracker is one: every INVITE dialog it Record-Routed
 * between local users, counted per user until its BYE, a 481/408 or its
 * safety bound (`services/proxy/calls.ts`). Presence shows a user with a live
 * call "In a call" (`aggregate.ts`, layer 3) and re-aggregates whenever the
 * count changes, so watchers hear of the call and of its end at once.
 *
 * The composition root gives the source to the presence service through the
 * context every service is built with ({@link provideLiveCalls}, before the
 * services are built), as the Do Not Disturb gate travels the other way
 * (`presence-gate.ts`): a presence service tuned by a test is wired the same,
 * and a host without a proxy simply has no live calls.
 */

export interface LiveCalls {
  /** Live calls of `aor` (`user@domain`, lower case) now. */
  callsOf(aor: string): number;
  /** Follows changes of any user's count; returns the function that stops following. */
  onChange(listener: (aor: string) => void): () => void;
}

const sources = new WeakMap<object, LiveCalls>();

/** Called by the composition root with the context the services will be built with. */
export function provideLiveCalls(ctx: object, calls: LiveCalls): void {
  sources.set(ctx, calls);
}

/** The live calls given for `ctx`, if any. */
export function liveCallsOf(ctx: object): LiveCalls | undefined {
  return sources.get(ctx);
}
