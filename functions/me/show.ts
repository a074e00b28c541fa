import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../shared/api/context';
import { access, json } from '../../shared/api/contract';
import { UserEnvelope } from '../../shared/schemas';

export const route = createRoute({
  method: 'get',
  path: '/api/me',
  operationId: 'me',
  tags: ['Authentication'],
  summary: 'The signed-in user',
  description: 'The account the access token belongs to, as it is now (a changed role or a deletion revokes the token).',
  ...access('user'),
  responses: { 200: json('The user the access token belongs to.', UserEnvelope) },
});

export const handler: RouteHandler<typeof route, AppEnv> = (c) => c.json({ user: c.get('user') }, 200);
