import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS } from '../../shared/api/contract';
import { clearRefreshCookie } from '../../shared/api/refresh-cookie';
import { endSession } from '../../shared/sessions';

export const route = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  operationId: 'logout',
  tags: ['Authentication'],
  summary: 'Sign out of this session',
  description:
    'Ends the session of the access token: its refresh token and every access token it issued stop working at once. Other sessions (other devices) go on; `/api/auth/logout-all` ends them all.',
  ...access('user'),
  responses: { 204: { description: 'Signed out; the refresh cookie is cleared.', headers: HEADERS.setRefreshCookie } },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock, config } = deps(c);
  await endSession(db, c.get('sessionId'), clock.now(), 'signed_out');
  clearRefreshCookie(c, config.publicUrl.startsWith('https:'));
  return c.body(null, 204);
};
