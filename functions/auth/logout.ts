import { defineRoute, deps, factory, guard } from '../../shared/http';
import { Problem } from '../../shared/schemas';
import { revokeAccessTokens } from '../../shared/users';

export const route = defineRoute({
  method: 'post',
  path: '/api/auth/logout',
  operationId: 'logout',
  summary: 'Sign out everywhere: every access token issued before now stops working',
  tags: ['Authentication'],
  access: 'user',
  responses: {
    204: { description: 'Signed out.' },
    401: { description: 'Missing, invalid, expired or revoked access token.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), async (c) => {
  const { db, clock } = deps(c);
  await revokeAccessTokens(db, c.get('user').id, clock.now());
  return c.body(null, 204);
});
