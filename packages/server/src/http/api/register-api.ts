/**
 * Puts the REST API under `/api/v1` on the front end's Fastify instance, in
 * its own encapsulated scope: its error handler (the one table of
 * `errors.ts`), `Cache-Control: no-store`, and a JSON 404 for unknown API
 * paths, none of which touch `/healthz`, `/metrics` or the static files.
 * Admin routes sit in a nested scope under `/admin` whose `onRequest` hook
 * checks the session and the role before a body is even parsed.
 */
import type { ParleyFastify } from '../app.js';
import { registerDomainRoutes } from './admin-domain-routes.js';
import { registerServerRoutes } from './admin-server-routes.js';
import { registerUserRoutes } from './admin-user-routes.js';
import type { ApiContext, ApiOptions } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { createGuards } from './guards.js';
import { SessionAuth, type UpgradeHeaders } from './session-auth.js';
import { SessionRepo } from './session-repo.js';
import { registerSessionRoutes } from './session-routes.js';

/** The path every route of this version of the API starts with. */
export const API_PREFIX = '/api/v1';

/** What the rest of the front end may ask of the API's sessions (the SIP WebSocket of the web client). */
export interface WebSessions {
  /** See {@link SessionAuth.identifyUpgrade}. */
  identifyUpgrade(headers: UpgradeHeaders): Promise<{ identity: string; credential: string } | undefined | false>;
  /** See {@link SessionAuth.isLive}. */
  isLive(tokenHash: string): Promise<boolean>;
}

/** Registers the API on `app`; call before `listen()`. */
export function registerApi(app: ParleyFastify, options: ApiOptions): WebSessions {
  const now = options.now ?? Date.now;
  const auth = new SessionAuth(options.store, new SessionRepo(options.store), options.throttle, now);
  if (options.onSessionsEnded) auth.onEnded = options.onSessionsEnded;
  const ctx: ApiContext = { ...options, auth, guards: createGuards(auth), now, startedAt: now() };

  void app.register(
    async (api: ParleyFastify) => {
      api.setErrorHandler(async (err, request, reply) => {
        const e = toApiError(err);
        if (e.status >= 500) request.log.error({ err, method: request.method, url: request.url }, 'API request failed');
        if (e.retryAfterS !== undefined) void reply.header('retry-after', String(e.retryAfterS));
        return reply.code(e.status).send({ error: e.code, message: e.message });
      });
      api.addHook('onSend', async (_request, reply, payload) => {
        void reply.header('cache-control', 'no-store');
        return payload;
      });

      registerSessionRoutes(api, ctx);
      await api.register(
        async (admin: ParleyFastify) => {
          admin.addHook('onRequest', ctx.guards.admin);
          registerDomainRoutes(admin, ctx);
          registerUserRoutes(admin, ctx);
          registerServerRoutes(admin, ctx);
        },
        { prefix: '/admin' },
      );
      for (const routes of options.routes ?? []) await routes(api, ctx.guards);
      api.all('/*', async () => {
        throw new ApiError('not-found', 'no such API route');
      });
    },
    { prefix: API_PREFIX },
  );
  return { identifyUpgrade: (h) => auth.identifyUpgrade(h), isLive: (h) => auth.isLive(h) };
}
