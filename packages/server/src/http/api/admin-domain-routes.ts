/**
 * Domains (the original's `Get-CsSipDomain`, `New-CsSipDomain`,
 * `Remove-CsSipDomain`), administrators only:
 * - `GET /api/v1/admin/domains` → {domains}
 * - `POST /api/v1/admin/domains` {name, isDefault?} → 201 {domain}
 * - `DELETE /api/v1/admin/domains/:name?force=true` → 204; without force, 409
 *   `domain-in-use` while it has users.
 */
import { ApiError } from './errors.js';
import type { ApiContext, ApiScope } from './context.js';
import { addDomainSchema, removeDomainSchema, type DomainBody, type DomainParams, type ForceQuery } from './schemas.js';
import { domainView } from './views.js';

export function registerDomainRoutes(admin: ApiScope, ctx: ApiContext): void {
  admin.get('/domains', async () => ({ domains: (await ctx.users.listDomains()).map(domainView) }));

  admin.post<{ Body: DomainBody }>('/domains', { schema: addDomainSchema }, async (request, reply) => {
    const domain = await ctx.users.addDomain(request.body.name, { isDefault: request.body.isDefault });
    return reply
      .code(201)
      .header('location', `/api/v1/admin/domains/${encodeURIComponent(domain.name)}`)
      .send({ domain: domainView(domain) });
  });

  admin.delete<{ Params: DomainParams; Querystring: ForceQuery }>(
    '/domains/:name',
    { schema: removeDomainSchema },
    async (request, reply) => {
      const name = request.params.name.trim().toLowerCase();
      if (request.query.force) {
        // Forcing removes the domain's users: refuse when that would leave no administrator.
        const admins = await ctx.store.users.count({ role: 'admin', enabled: true });
        const here = await ctx.store.users.count({ role: 'admin', enabled: true, domain: name });
        if (here > 0 && admins === here)
          throw new ApiError('last-admin', `removing ${name} would remove every enabled administrator`);
      }
      await ctx.users.removeDomain(name, { force: request.query.force });
      return reply.code(204).send();
    },
  );
}
