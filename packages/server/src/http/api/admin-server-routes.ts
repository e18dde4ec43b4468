/**
 * The server at work, administrators only:
 * - `GET /api/v1/admin/registrations?address=&limit=&offset=` → who is
 *   signed in on which devices: {registrations, total}. With an address, the
 *   location service's live bindings of that user (this front end's view,
 *   RFC 3261 §10); without, every live binding in the store — in a pool,
 *   those of every front end.
 * - `GET /api/v1/admin/status` → version, uptime, ports, counts.
 */
import { parseAddress } from '../../services/users/index.js';
import type { ApiContext, ApiScope } from './context.js';
import { registrationsSchema, type RegistrationsQuery } from './schemas.js';
import { iso, registrationView } from './views.js';

export function registerServerRoutes(admin: ApiScope, ctx: ApiContext): void {
  admin.get<{ Querystring: RegistrationsQuery }>('/registrations', { schema: registrationsSchema }, async (request) => {
    const { address, limit, offset } = request.query;
    const now = ctx.now();
    const all =
      address !== undefined ? ctx.location.lookup(parseAddress(address).address) : await ctx.store.registrations.loadLive(now);
    return {
      registrations: all.slice(offset, offset + limit).map((r) => registrationView(r, now)),
      total: all.length,
      limit,
      offset,
    };
  });

  admin.get('/status', async () => {
    const s = await ctx.status();
    const [users, enabled, admins, domains, registrations] = await Promise.all([
      ctx.store.users.count(),
      ctx.store.users.count({ enabled: true }),
      ctx.store.users.count({ role: 'admin', enabled: true }),
      ctx.store.domains.list(),
      ctx.store.registrations.countLive(ctx.now()),
    ]);
    const now = ctx.now();
    return {
      version: s.version,
      startedAt: iso(ctx.startedAt),
      uptimeS: Math.floor((now - ctx.startedAt) / 1000),
      ports: { ...s.ports },
      users: { total: users, enabled, admins },
      domains: domains.length,
      registrations: { live: registrations, inMemory: s.registrationsActive },
      transactionsActive: s.transactionsActive,
    };
  });
}
