import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access } from '../../shared/api/contract';
import { sessions } from '../../shared/db/schema';
import { notFound } from '../../shared/errors';

export const route = createRoute({
  method: 'delete',
  path: '/api/me/sessions/{id}',
  operationId: 'endMySession',
  tags: ['Account'],
  summary: 'Sign out one of your sessions',
  description: 'Ends that session (another device, or this one): its refresh token and access tokens stop working at once.',
  ...access('user'),
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 204: { description: 'Ended.' } },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const result = await db
    .update(sessions)
    .set({ revokedAt: clock.now(), revokedReason: 'revoked' })
    .where(and(eq(sessions.id, c.req.valid('param').id), eq(sessions.userId, c.get('user').id), isNull(sessions.revokedAt)));
  if (result.rowsAffected !== 1) throw notFound('No such session of yours.');
  return c.body(null, 204);
};
