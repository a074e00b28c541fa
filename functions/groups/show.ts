import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findGroup, GroupDetail, GroupIdParams, groupDetail } from '../../shared/groups';

export const route = createRoute({
  method: 'get',
  path: '/api/groups/{id}',
  operationId: 'showGroup',
  tags: ['Groups'],
  summary: 'One group: its members and the files shared with it',
  description: 'Every member (with its status: only active members see anything) and the files granted to the group by a grant in force.',
  ...access('ops'),
  request: { params: GroupIdParams },
  responses: {
    200: json('The group.', GroupDetail),
    404: problem('No such group.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const group = await findGroup(db, c.req.valid('param').id);
  if (!group) throw notFound('No such group.');
  return c.json(await groupDetail(db, group, clock.now()), 200);
};
