import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody } from '../../shared/api/contract';
import { shareNotices, users } from '../../shared/db/schema';
import { UserEnvelope } from '../../shared/schemas';

const UpdateMeRequest = z
  .strictObject({
    notifyShares: z.boolean().meta({
      description: 'Whether to be emailed when files are shared with you. Notices not yet sent are dropped when it is turned off.',
    }),
  })
  .meta({ id: 'UpdateMeRequest' });

export const route = createRoute({
  method: 'patch',
  path: '/api/me',
  operationId: 'updateMe',
  tags: ['Account'],
  summary: 'Your preferences',
  description: 'Clients choose whether they are emailed when files are shared with them (on by default).',
  ...access('user', { jsonBody: true }),
  request: { body: jsonBody(UpdateMeRequest) },
  responses: { 200: json('The signed-in user, as it is now.', UserEnvelope) },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { notifyShares } = c.req.valid('json');
  const me = c.get('user');
  const { db } = deps(c);
  await db.batch([
    db.update(users).set({ notifyShares }).where(eq(users.id, me.id)),
    ...(notifyShares ? [] : [db.delete(shareNotices).where(eq(shareNotices.userId, me.id))]),
  ]);
  return c.json({ user: { ...me, notifyShares } }, 200);
};
