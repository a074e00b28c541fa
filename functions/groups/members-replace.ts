import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findGroup, GroupDetail, GroupIdParams, groupDetail, replaceMembers, resolveMembers } from '../../shared/groups';
import { Username } from '../../shared/schemas';

export const MAX_MEMBERS_PER_REQUEST = 1000;

const ReplaceMembersRequest = z
  .strictObject({
    clients: z
      .array(Username)
      .max(MAX_MEMBERS_PER_REQUEST, `must hold at most ${MAX_MEMBERS_PER_REQUEST} usernames`)
      .meta({ description: `The usernames of every member, at most ${MAX_MEMBERS_PER_REQUEST}; repeats count once.` }),
    notify: z.boolean().default(true).meta({
      description: 'Whether new members are emailed about the group’s files they could not see until now (gathered with other shares).',
    }),
  })
  .meta({ id: 'ReplaceMembersRequest' });

export const route = createRoute({
  method: 'put',
  path: '/api/groups/{id}/members',
  operationId: 'replaceGroupMembers',
  tags: ['Groups'],
  summary: 'Make these clients the whole membership, atomically',
  description:
    'Clients in any status may be members; only active ones see anything. Clients left out stop seeing the files they saw only through the group at once, links included; clients added see them at once, and are emailed about them unless `notify` is false. Members who stay keep when they joined.',
  ...access('ops', { jsonBody: true }),
  request: { params: GroupIdParams, body: jsonBody(ReplaceMembersRequest) },
  responses: {
    200: json('The group now.', GroupDetail),
    400: problem('Invalid fields, or usernames that are not clients (listed in `errors`); nothing changed.', [
      'validation_failed',
      'malformed_json',
    ]),
    404: problem('No such group.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  const now = clock.now();
  const group = await findGroup(db, c.req.valid('param').id);
  if (!group) throw notFound('No such group.');
  const { clients, notify } = c.req.valid('json');
  const byName = await resolveMembers(db, clients, 'clients');
  await replaceMembers(
    db,
    group,
    clients.map((name) => (byName.get(name) as { id: string }).id),
    c.get('user'),
    now,
    { notify },
  );
  return c.json(await groupDetail(db, group, now), 200);
};
