import { defineRoute, factory, guard } from '../../shared/http';
import { Problem, UserEnvelope } from '../../shared/schemas';

export const route = defineRoute({
  method: 'get',
  path: '/api/me',
  operationId: 'me',
  summary: 'The signed-in user',
  tags: ['Authentication'],
  access: 'user',
  responses: {
    200: { description: 'The user the access token belongs to.', schema: UserEnvelope },
    401: { description: 'Missing, invalid, expired or revoked access token.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), (c) => c.json({ user: c.get('user') }, 200));
