import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { activeSessionCount, downloadsOf, sharesOf, UserDetail, UserIdParams } from '../../shared/user-admin';
import { findUserById, toPublicUser } from '../../shared/users';

export const route = createRoute({
  method: 'get',
  path: '/api/users/{id}',
  operationId: 'showUser',
  tags: ['Users'],
  summary: 'One account: what is shared with it, what it downloaded, its sessions',
  description:
    'For a client: the files shared with it and how (by name, through a group, all clients); for any account: its latest downloads and how many sessions it has.',
  ...access('ops'),
  request: { params: UserIdParams },
  responses: {
    200: json('The account.', UserDetail),
    404: problem('No such account.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock, config } = deps(c);
  const now = clock.now();
  const user = await findUserById(sql, c.req.valid('param').id);
  if (!user) throw notFound('No such account.');
  const [shares, downloads, sessions] = await Promise.all([
    user.role === 'client' ? sharesOf(db, user.id, now) : Promise.resolve([]),
    downloadsOf(db, user.id),
    activeSessionCount(db, user.id, now, config.sessions),
  ]);
  return c.json({ user: toPublicUser(user), shares, downloads, sessions }, 200);
};
