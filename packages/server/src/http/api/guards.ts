/**
 * onRequest hooks that let a request through only with a live session
 * (`signedIn`), or a live session of an administrator (`admin`), and the
 * caller they found.
 *
 * A request authenticated by its cookie and changing something must not come
 * from another origin: SameSite=Strict already keeps browsers from sending the
 * cookie cross-site; the Origin check is the second lock (OWASP CSRF
 * cheat sheet, "verifying origin with standard headers").
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { sessionCookie, tokenOf, type Principal, type SessionAuth } from './session-auth.js';

export interface Guards {
  signedIn(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  admin(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The caller a guard found; a TypeError when no guard ran (a programming error). */
  principal(request: FastifyRequest): Principal;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function createGuards(auth: SessionAuth): Guards {
  const principals = new WeakMap<FastifyRequest, Principal>();
  const signedIn = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const p = await auth.authenticate(request);
    if (p.via === 'cookie') {
      if (!SAFE_METHODS.has(request.method) && !sameOrigin(request))
        throw new ApiError('forbidden', 'cross-origin request with a session cookie');
      // The expiry slid: let the browser's copy of the cookie slide too.
      if (p.refreshed) reply.header('set-cookie', sessionCookie(tokenOf(request)?.token));
    }
    principals.set(request, p);
  };
  return {
    signedIn,
    async admin(request, reply) {
      await signedIn(request, reply);
      if (principals.get(request)?.user.role !== 'admin') throw new ApiError('forbidden', 'administrators only');
    },
    principal(request) {
      const p = principals.get(request);
      if (!p) throw new TypeError('no guard ran for this route');
      return p;
    },
  };
}
