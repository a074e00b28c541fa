import type { MiddlewareHandler } from 'hono';
import type { Role } from '../db/schema';
import { forbidden, unauthenticated } from '../errors';
import { findUserById, toPublicUser } from '../users';
import { type AppEnv, deps } from './context';

/** Who may call a route: anyone, any signed-in user, or one role. Deny is the default. */
export type Access = 'public' | 'user' | Role;

/**
 * The access guard every endpoint starts with. For non-public routes: a valid Bearer access
 * token, a user that still exists, a token issued after the user's last logout, and the role.
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
    const user = await findUserById(sql, claims.userId);
    // A deleted user, a changed role, or a token issued before the last logout: refuse.
    if (!user || user.role !== claims.role || claims.issuedAt.getTime() <= user.tokensValidAfter.getTime()) {
      throw unauthenticated('The access token has been revoked.');
    }
    if (access !== 'user' && user.role !== access) throw forbidden();
    c.set('user', toPublicUser(user));
    return next();
  };
}
