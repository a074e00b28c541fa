import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { deleteGroup, findGroup, GroupIdParams } from '../../shared/groups';

export const route = createRoute({
  method: 'delete',
  path: '/api/groups/{id}',
  operationId: 'deleteGroup',
  tags: ['Groups'],
  summary: 'Delete a group, its memberships and its grants',
  description:
    'Its members stop seeing the files they saw only through it at once, and links already issued for those files stop working. The accounts and the files stay.',
  ...access('ops'),
  request: { params: GroupIdParams },
  responses: {
    204: { description: 'Deleted.' },
    404: problem('No such group.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const group = await findGroup(db, c.req.valid('param').id);
  if (!group) throw notFound('No such group.');
  await deleteGroup(db, group, c.get('user'), clock.now());
  return c.body(null, 204);
};
