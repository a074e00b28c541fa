import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { createGroup, GroupEnvelope } from '../../shared/groups';
import { GroupName } from '../../shared/schemas';

const CreateGroupRequest = z.strictObject({ name: GroupName }).meta({ id: 'CreateGroupRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/groups',
  operationId: 'createGroup',
  tags: ['Groups'],
  summary: 'Create a client group',
  description: 'An empty group; add clients with `PUT /api/groups/{id}/members` or one at a time. Names are unique whatever their case.',
  ...access('ops', { jsonBody: true }),
  request: { body: jsonBody(CreateGroupRequest) },
  responses: {
    201: json('The new group.', GroupEnvelope),
    409: problem('Another group has this name (case ignored).', ['group_name_taken']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const group = await createGroup(db, c.req.valid('json').name, c.get('user'), clock.now());
  return c.json({ group }, 201);
};
