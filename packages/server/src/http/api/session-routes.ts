/**
 * Sign-in and the signed-in user:
 * - `POST /api/v1/session` {address, password} → 201 {token, user, expiresAt}
 *   and the `parley_session` cookie;
 * - `DELETE /api/v1/session` → 204, the session ended, the cookie cleared;
 * - `GET /api/v1/me` → the signed-in user.
 */
import type { ApiContext, ApiScope } from './context.js';
import { signInSchema, type SignInBody } from './schemas.js';
import { sessionCookie } from './session-auth.js';
import { iso, meView } from './views.js';

export function registerSessionRoutes(api: ApiScope, ctx: ApiContext): void {
  api.post<{ Body: SignInBody }>('/session', { schema: signInSchema }, async (request, reply) => {
    const { token, user, session } = await ctx.auth.signIn(request.body.address, request.body.password, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    return reply
      .code(201)
      .header('set-cookie', sessionCookie(token))
      .send({ token, user: meView(user), expiresAt: iso(session.expiresAt) });
  });

  api.delete('/session', async (request, reply) => {
    await ctx.auth.signOut(request);
    return reply.code(204).header('set-cookie', sessionCookie(undefined)).send();
  });

  api.get('/me', { onRequest: ctx.guards.signedIn }, async (request) => {
    const { user, session } = ctx.guards.principal(request);
    return { user: meView(user), expiresAt: iso(session.expiresAt) };
  });
}
