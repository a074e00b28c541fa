import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { decodeGroupCursor, encodeGroupCursor, GroupPage, listGroups } from '../../shared/groups';

const ListGroupsQuery = z.object({
  q: z
    .string()
    .transform((v) => v.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1).max(64))
    .optional()
    .meta({ description: 'The start of a group’s name, in any case (spaces as in names: trimmed, runs made one).' }),
  limit: z.coerce.number().int().min(1).max(200).default(100).meta({ description: 'Page size, 1–200.' }),
  cursor: z.string().min(1).max(400).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

export const route = createRoute({
  method: 'get',
  path: '/api/groups',
  operationId: 'listGroups',
  tags: ['Groups'],
  summary: 'Client groups, by name, with their member counts',
  description:
    'Every group, optionally only those whose name starts with `q` (any case), with how many members each has and how many of them are active. Keyset pagination on the name: pass `nextCursor` back as `cursor`.',
  ...access('ops'),
  request: { query: ListGroupsQuery },
  responses: {
    200: json('One page of groups.', GroupPage),
    400: problem('An invalid `q` or `limit`, or a cursor this API did not issue.', ['validation_failed']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { q, limit, cursor } = c.req.valid('query');
  const page = await listGroups(deps(c).db, { q, limit, after: cursor ? decodeGroupCursor(cursor) : undefined });
  return c.json({ items: page.items, nextCursor: page.next ? encodeGroupCursor(page.next) : null }, 200);
};
