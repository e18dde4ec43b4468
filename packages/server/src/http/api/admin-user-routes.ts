/**
 * Users (the original's `Get-CsUser`, `Enable-CsUser`, `Set-CsUser`,
 * `Disable-CsUser`), administrators only. Every rule about addresses and
 * passwords is the users service's, shared with the CLI.
 * - `GET /api/v1/admin/users?search=&domain=&limit=&offset=` → {users, total, limit, offset}
 * - `POST /api/v1/admin/users` {address, displayName?, password | generatePassword, role?, enabled?, phone?}
 *   → 201 {user, password?} — a generated password is shown this once
 * - `GET /api/v1/admin/users/:address` → {user}
 * - `PATCH /api/v1/admin/users/:address` {enabled?, displayName?, role?, phone?} → {user}
 * - `POST /api/v1/admin/users/:address/password` {password | generatePassword} → {user, password?}
 * - `DELETE /api/v1/admin/users/:address` → 204
 *
 * Disabling a user, resetting a password or removing a user ends the user's
 * sessions (but the caller's own). The last enabled administrator cannot be
 * disabled, demoted or removed (409 `last-admin`), so the API cannot lock
 * every administrator out.
 */
import type { User } from '../../store/index.js';
import type { ApiContext, ApiScope } from './context.js';
import { ApiError } from './errors.js';
import {
  addUserSchema,
  listUsersSchema,
  patchUserSchema,
  setPasswordSchema,
  userSchema,
  type NewUserBody,
  type PasswordBody,
  type UserListQuery,
  type UserParams,
  type UserPatchBody,
} from './schemas.js';
import { userView } from './views.js';

export function registerUserRoutes(admin: ApiScope, ctx: ApiContext): void {
  /** Throws `last-admin` when `user` is the only enabled administrator. */
  const keepAnAdmin = async (user: User, what: string): Promise<void> => {
    if (user.role !== 'admin' || !user.enabled) return;
    if ((await ctx.store.users.count({ role: 'admin', enabled: true })) <= 1)
      throw new ApiError('last-admin', `${user.address} is the only enabled administrator: cannot ${what}`);
  };

  admin.get<{ Querystring: UserListQuery }>('/users', { schema: listUsersSchema }, async (request) => {
    const { search, domain, limit, offset } = request.query;
    const [users, total] = await Promise.all([
      ctx.users.listUsers({ search, domain, limit, offset }),
      ctx.store.users.count({ search, domain }),
    ]);
    return { users: users.map(userView), total, limit, offset };
  });

  admin.post<{ Body: NewUserBody }>('/users', { schema: addUserSchema }, async (request, reply) => {
    const { user, password } = await ctx.users.addUser(request.body);
    return reply
      .code(201)
      .header('location', `/api/v1/admin/users/${encodeURIComponent(user.address)}`)
      .send({ user: userView(user), ...(password !== undefined ? { password } : {}) });
  });

  admin.get<{ Params: UserParams }>('/users/:address', { schema: userSchema }, async (request) => ({
    user: userView(await ctx.users.getUser(request.params.address)),
  }));

  admin.patch<{ Params: UserParams; Body: UserPatchBody }>('/users/:address', { schema: patchUserSchema }, async (request) => {
    const { enabled, displayName, role, phone } = request.body;
    let user = await ctx.users.getUser(request.params.address);
    if (enabled === false) await keepAnAdmin(user, 'disable');
    if (role === 'user') await keepAnAdmin(user, 'demote');
    if (displayName !== undefined || role !== undefined || phone !== undefined)
      user = await ctx.store.users.update(user.address, { displayName, role, phone });
    if (enabled !== undefined && enabled !== user.enabled) {
      user = await ctx.users.setEnabled(user.address, enabled);
      if (!enabled) await ctx.auth.revokeUser(user.id);
    }
    return { user: userView(user) };
  });

  admin.post<{ Params: UserParams; Body: PasswordBody }>(
    '/users/:address/password',
    { schema: setPasswordSchema },
    async (request) => {
      const { user, password } = await ctx.users.setPassword(request.params.address, {
        password: request.body.password,
        generate: request.body.generatePassword === true,
      });
      const me = ctx.guards.principal(request).session;
      await ctx.auth.revokeUser(user.id, me.userId === user.id ? me.tokenHash : undefined);
      return { user: userView(user), ...(password !== undefined ? { password } : {}) };
    },
  );

  admin.delete<{ Params: UserParams }>('/users/:address', { schema: userSchema }, async (request, reply) => {
    const user = await ctx.users.getUser(request.params.address);
    await keepAnAdmin(user, 'remove');
    // Sessions go with the user (on delete cascade); bindings from the live table too.
    await ctx.users.removeUser(user.address);
    await ctx.location.removeAll(user.address);
    return reply.code(204).send();
  });
}
