import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findGroup, GroupEnvelope, GroupIdParams, groupDetail, renameGroup } from '../../shared/groups';
import { GroupName } from '../../shared/schemas';

const UpdateGroupRequest = z.strictObject({ name: GroupName }).meta({ id: 'UpdateGroupRequest' });

export const route = createRoute({
  method: 'patch',
  path: '/api/groups/{id}',
  operationId: 'updateGroup',
  tags: ['Groups'],
  summary: 'Rename a group',
  description: 'Its members and grants stay as they are. Names are unique whatever their case.',
  ...access('ops', { jsonBody: true }),
  request: { params: GroupIdParams, body: jsonBody(UpdateGroupRequest) },
  responses: {
    200: json('The group, renamed.', GroupEnvelope),
    404: problem('No such group.', ['not_found']),
    409: problem('Another group has this name (case ignored).', ['group_name_taken']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const now = clock.now();
  const group = await findGroup(db, c.req.valid('param').id);
  if (!group) throw notFound('No such group.');
  const { name } = c.req.valid('json');
  await renameGroup(db, group, name, c.get('user'), now);
  return c.json({ group: (await groupDetail(db, { ...group, name }, now)).group }, 200);
};
