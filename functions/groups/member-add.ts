import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { addMember, findGroup, GroupMemberParams } from '../../shared/groups';
import { findUserById } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/groups/{id}/members/{userId}',
  operationId: 'addGroupMember',
  tags: ['Groups'],
  summary: 'Add one client to a group',
  description:
    'The client sees the group’s files at once if it is active (otherwise once it is), and is emailed about those it could not see before (gathered with other shares, if it wants these emails). Adding a member again changes nothing and answers the same.',
  ...access('ops'),
  request: { params: GroupMemberParams },
  responses: {
    204: { description: 'The client is a member.' },
    404: problem('No such group, or no client with that id.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const { id, userId } = c.req.valid('param');
  const [group, user] = await Promise.all([findGroup(db, id), findUserById(sql, userId)]);
  if (!group) throw notFound('No such group.');
  if (user?.role !== 'client') throw notFound('No client has this id.');
  await addMember(db, group, user, c.get('user'), clock.now());
  if (!(await findGroup(db, id))) throw notFound('No such group.');
  return c.body(null, 204);
};
