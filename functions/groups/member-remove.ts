import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findGroup, GroupMemberParams, removeMember } from '../../shared/groups';
import { findUserById } from '../../shared/users';

export const route = createRoute({
  method: 'delete',
  path: '/api/groups/{id}/members/{userId}',
  operationId: 'removeGroupMember',
  tags: ['Groups'],
  summary: 'Remove one client from a group',
  description: 'The client stops seeing the files it saw only through the group at once, and links already issued for them stop working.',
  ...access('ops'),
  request: { params: GroupMemberParams },
  responses: {
    204: { description: 'Removed.' },
    404: problem('No such group, or the client is not a member of it.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const { id, userId } = c.req.valid('param');
  const [group, user] = await Promise.all([findGroup(db, id), findUserById(sql, userId)]);
  if (!group) throw notFound('No such group.');
  if (!user || !(await removeMember(db, group, user, c.get('user'), clock.now()))) {
    throw notFound('This client is not a member of the group.');
  }
  return c.body(null, 204);
};
