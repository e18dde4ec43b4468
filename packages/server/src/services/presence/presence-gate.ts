/**
 * What other services may ask of presence, through this service's
 * `index.ts` (DESIGN §3: a service reaches another only there): the
 * original's Do Not Disturb rule for IM now, and for calls later.
 *
 * The original (reference/lync-2013.md, "IM and presence"): while a user is
 * Do Not Disturb (9000–11999, and Presenting, which behaves as DND), only
 * contacts the user put in the **Workgroup** relationship may interrupt:
 * their conversation requests still ring; everybody else's are not shown.
 * Friends and Family see more of the state but may not interrupt.
 *
 * The gate of a running presence service is found by the service context it
 * was built with ({@link presenceGateOf}): the composition root passes the
 * same context to every service, so IM needs no wiring of its own, and a
 * host without presence simply has no gate (nothing is held back).
 */
import { classOf } from './availability.js';
import { mayInterrupt, type Relationship } from './privacy.js';

/** What the gate says of one attempt to reach `owner`. */
export type Interruption =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** The owner's availability number (DND class). */
      readonly availability: number;
      /**
       * May the caller be told why (Do Not Disturb)? Not when the owner
       * blocked the caller: a blocked watcher sees a plain Offline, and the
       * refusal must not say more than the presence document does.
       */
      readonly reveal: boolean;
    };

export interface PresenceGate {
  /** May `caller` interrupt `owner` now (an IM, a typing notification, a call)? */
  interruption(owner: string, caller: string): Promise<Interruption>;
}

/** Builds the gate from the agent's state and the owner's relationships. */
export function presenceGate(d: {
  stateOf(owner: string): { readonly availability: number };
  relationship(owner: string, watcher: string): Promise<Relationship>;
}): PresenceGate {
  return {
    async interruption(owner, caller) {
      if (owner === caller) return { allowed: true };
      const { availability } = d.stateOf(owner);
      if (classOf(availability) !== 'dnd') return { allowed: true };
      const rel = await d.relationship(owner, caller);
      if (mayInterrupt(rel)) return { allowed: true };
      return { allowed: false, availability, reveal: rel !== 'blocked' };
    },
  };
}

const gates = new WeakMap<object, PresenceGate>();

/** Called by the presence service when built with `ctx`. */
export function registerPresenceGate(ctx: object, gate: PresenceGate): void {
  gates.set(ctx, gate);
}

/** The gate of the presence service built with `ctx`, if one was. */
export function presenceGateOf(ctx: object): PresenceGate | undefined {
  return gates.get(ctx);
}
