import type { MiddlewareHandler } from 'hono';
import type { Role } from '../db/schema';
import { forbidden, unauthenticated } from '../errors';
import { findPrincipal, toPublicUser } from '../users';
import { type AppEnv, deps } from './context';

/** Who may call a route: anyone, any signed-in user, or one role. Deny is the default. */
export type Access = 'public' | 'user' | Role;

/**
 * The access guard every endpoint starts with. For non-public routes: a valid Bearer access
 * token; a user that still exists, is not disabled and has the token's role; the token's session
 * not ended nor past its limit; a token issued after the user's last "sign out everywhere"; then
 * the route's role. Read from the database on every request, so any of these takes effect at once.
 */
export function guard(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access === 'public') return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
    if (!match?.[1]) throw unauthenticated();
    const { accessTokens, clock, sql } = deps(c);
    const now = clock.now();
    const claims = await accessTokens.verify(match[1], now);
    if (!claims) throw unauthenticated('The access token is invalid or has expired.');
    const user = await findPrincipal(sql, claims.userId, claims.sessionId);
    // A deleted or disabled user, a changed role, an ended session, or a token issued before the
    // last "sign out everywhere": refuse.
    if (
      !user ||
      user.status === 'disabled' ||
      user.role !== claims.role ||
      user.sessionRevokedAt !== null ||
      user.sessionExpiresAt <= now ||
      claims.issuedAt.getTime() <= user.tokensValidAfter.getTime()
    ) {
      throw unauthenticated('The access token has been revoked.');
    }
    if (access !== 'user' && user.role !== access) throw forbidden();
    c.set('user', toPublicUser(user));
    c.set('sessionId', claims.sessionId);
    return next();
  };
}
