import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access } from '../../shared/api/contract';
import { revokeAccessTokens } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  operationId: 'logout',
  tags: ['Authentication'],
  summary: 'Sign out everywhere',
  description: 'Every access token issued to the user before now stops working, on every device.',
  ...access('user'),
  responses: { 204: { description: 'Signed out.' } },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  await revokeAccessTokens(db, c.get('user').id, clock.now());
  return c.body(null, 204);
};
