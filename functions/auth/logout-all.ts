import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS } from '../../shared/api/contract';
import { clearRefreshCookie } from '../../shared/api/refresh-cookie';
import { auditInsert } from '../../shared/audit';
import { endSessionsStatement } from '../../shared/sessions';
import { revokeAccessTokensStatement } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/auth/logout-all',
  operationId: 'logoutEverywhere',
  tags: ['Authentication'],
  summary: 'Sign out everywhere',
  description: 'Ends every session of the caller, on every device: every refresh token and every access token stop working at once.',
  ...access('user'),
  responses: { 204: { description: 'Signed out everywhere; the refresh cookie is cleared.', headers: HEADERS.setRefreshCookie } },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock, config } = deps(c);
  const user = c.get('user');
  const now = clock.now();
  await db.batch([
    endSessionsStatement(db, user.id, now, 'signed_out_everywhere'),
    revokeAccessTokensStatement(db, user.id, now),
    auditInsert(db, { action: 'user.signed_out_everywhere', actor: user, target: { id: user.id, name: user.username }, at: now }),
  ]);
  clearRefreshCookie(c, config.publicUrl.startsWith('https:'));
  return c.body(null, 204);
};
