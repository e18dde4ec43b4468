/**
 * The presence service as the composition root sees it (a ServiceFactory):
 * PUBLISH and SUBSCRIBE handlers, REST routes, and the parts between them.
 *
 * ```
 *   PUBLISH ──▶ PublicationTable ──(store shadow)
 *                    │ onChange
 *   REGISTER ─(onBindingsChanged)─▶ PresenceAgent ──▶ SubscriptionManager ──▶ NOTIFY
 *   live calls ─(LiveCalls.onChange)──────▲  ▲                 ▲   (via ctx.transactions)
 *   SUBSCRIBE ─────────────────────────────────────────────────┘
 *   REST /me/contacts… ──▶ ContactService ──(relationship / list changed)──┘
 * ```
 */
import type { Clock } from '@parley/sip/transaction';
import type { ServiceContext, ServiceFactory, ParleyService } from '../service.js';
import { DEFAULT_IDLE_POLICY, flowKey, type IdlePolicy } from './aggregate.js';
import { presenceRoutes } from './contact-routes.js';
import { ContactService } from './contact-service.js';
import { transactionChannel } from './notifier.js';
import { liveCallsOf } from './live-calls.js';
import { PresenceAgent } from './presence-agent.js';
import { presenceGate, registerPresenceGate } from './presence-gate.js';
import { PublicationRepo } from './publication-repo.js';
import { PublicationTable } from './publications.js';
import { publishHandler, type PublishLimits } from './publish-handler.js';
import type { ExpiresLimits } from './sip-common.js';
import { subscribeHandler } from './subscribe-handler.js';
import { SubscriptionManager } from './subscription-manager.js';
import { SubscriptionRepo } from './subscription-repo.js';

export interface PresenceOptions {
  /** Inactive / Away after idle (defaults: 5 + 5 minutes, as the original). */
  readonly idle?: Partial<IdlePolicy>;
  /** PUBLISH: Expires 60 s–12 h, default 1 h; documents up to 64 KiB. */
  readonly publish?: Partial<PublishLimits>;
  /** SUBSCRIBE: Expires 60 s–2 h, default 1 h (RFC 3856 §6.4). */
  readonly subscribe?: Partial<ExpiresLimits>;
  /** Contacts per user (the original's policy: 1,000). */
  readonly maxContacts?: number;
  /** Subscriptions per subscribing user (200). */
  readonly maxSubscriptionsPerWatcher?: number;
  /** Subscriptions in all (100,000). */
  readonly maxSubscriptions?: number;
  /**
   * Poll period (ms) of the bindings of watched users, for a host that does
   * not call `onBindingsChanged`; 0 (default) does not poll.
   */
  readonly bindingPollMs?: number;
  /**
   * Keep a durable shadow of subscriptions (default true): a restart resumes
   * them in their dialogs; false ends them at stop with "terminated;reason=deactivated".
   */
  readonly persistSubscriptions?: boolean;
  /** Tests: the clock of every timer (ms epoch). Default: ctx.now with unref'd timers. */
  readonly clock?: Clock;
}

/** The parts, for tests that reach inside. */
export interface PresenceParts {
  readonly publications: PublicationTable;
  readonly agent: PresenceAgent;
  readonly contacts: ContactService;
  readonly manager: SubscriptionManager;
}

function processClock(now: () => number): Clock {
  return {
    now,
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** Builds the presence service; `expose` receives its parts (tests). */
export function createPresenceService(options: PresenceOptions = {}, expose?: (parts: PresenceParts) => void): ServiceFactory {
  return (ctx: ServiceContext): ParleyService => {
    const clock = options.clock ?? processClock(ctx.now);
    const onError = (err: unknown): void => ctx.logger.warn({ err }, 'presence');
    const publishLimits: PublishLimits = { minExpires: 60, maxExpires: 43_200, defaultExpires: 3600, maxDocumentBytes: 65_536, ...options.publish };
    const subscribeLimits: ExpiresLimits = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, ...options.subscribe };

    let agent: PresenceAgent | undefined;
    const calls = liveCallsOf(ctx);
    const publications = new PublicationTable({ store: new PublicationRepo(ctx.store), clock, onChange: (owner) => agent?.ownerChanged(owner), onError });
    agent = new PresenceAgent({
      publications,
      bindings: ctx.location,
      clock,
      idle: { ...DEFAULT_IDLE_POLICY, ...options.idle },
      bindingPollMs: options.bindingPollMs ?? 0,
      calls,
      loadCard: async (owner) => {
        const u = await ctx.store.users.getByAddress(owner);
        return u ? { displayName: u.displayName, phone: u.phone } : undefined;
      },
      onError,
    });
    const presence = agent;
    // A call starting or ending re-aggregates its users at once (watchers get a NOTIFY within the 50 ms path).
    const stopFollowingCalls = calls?.onChange((aor) => presence.ownerChanged(aor));
    let manager: SubscriptionManager | undefined;
    const contacts = new ContactService({
      store: ctx.store,
      now: ctx.now,
      isLocalDomain: (d) => ctx.domains.resolveCached(d).kind === 'local',
      maxContacts: options.maxContacts,
      onRelationshipChanged: (owner, watcher) => void manager?.relationshipChanged(owner, watcher).catch(onError),
      onListChanged: (owner) => void manager?.listChanged(owner).catch(onError),
    });
    manager = new SubscriptionManager({
      agent: presence,
      contacts,
      clock,
      channel: transactionChannel(ctx),
      maxPerWatcher: options.maxSubscriptionsPerWatcher,
      maxTotal: options.maxSubscriptions,
      store: options.persistSubscriptions === false ? undefined : new SubscriptionRepo(ctx.store),
      protocolOf: (t) => ctx.protocolOf(t),
      lookupUser: async (a) => (await ctx.store.users.getByAddress(a)) ?? undefined,
      onError,
    });
    const subs = manager;
    registerPresenceGate(ctx, presenceGate({ stateOf: (o) => presence.stateOf(o), relationship: (o, w) => contacts.relationship(o, w) }));
    expose?.({ publications, agent: presence, contacts, manager: subs });

    let closed = false;
    return {
      name: 'presence',
      handlers: {
        PUBLISH: [publishHandler(ctx, publications, publishLimits, (owner, source) => boundSources(ctx.location.lookup(owner)).has(source))],
        SUBSCRIBE: [subscribeHandler(ctx, subs, subscribeLimits)],
      },
      routes: presenceRoutes({ contacts, agent: presence, manager: subs }),
      onBindingsChanged(aor) {
        // A device that signed out takes its publications along (PublicationTable.withdrawUnbound);
        // that re-aggregates the owner itself, and the agent then learns of the bindings.
        publications.withdrawUnbound(aor, boundSources(ctx.location.lookup(aor)));
        presence.bindingsChanged(aor);
      },
      async start() {
        const restored = await publications.start();
        if (restored > 0) ctx.logger.info({ restored }, 'presence publications restored');
        // Services start before the SIP listeners (standard-server.ts): the resumed subscriptions'
        // NOTIFYs wait until the front end listens (its UDP port is known), at most 30 s.
        void (async () => {
          for (let i = 0; i < 600 && !closed && !(ctx.local().ports.udp > 0); i++) await new Promise((r) => setTimeout(r, 50));
          if (closed) return;
          const resumed = await subs.restore();
          if (resumed > 0) ctx.logger.info({ resumed }, 'presence subscriptions resumed');
        })().catch(onError);
      },
      async close() {
        if (closed) return;
        closed = true;
        stopFollowingCalls?.();
        await subs.close();
        presence.close();
        publications.close();
      },
    };
  };
}

/** The flow keys of `bindings` (those that know their flow). */
function boundSources(bindings: ReadonlyArray<{ readonly flow: Parameters<typeof flowKey>[0] | null }>): Set<string> {
  const out = new Set<string>();
  for (const b of bindings) if (b.flow) out.add(flowKey(b.flow));
  return out;
}
