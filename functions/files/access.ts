import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { FileIdParams } from '../../shared/schemas';
import { AudiencePage, audienceOf } from '../../shared/sharing';
import { decodeUserCursor, encodeUserCursor } from '../../shared/user-admin';

const AccessQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'Page size, 1–500.' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

export const route = createRoute({
  method: 'get',
  path: '/api/files/{id}/access',
  operationId: 'getFileAccess',
  tags: ['Sharing'],
  summary: 'Every client who can see the file now, and why',
  description:
    'The active clients who can see the file now, by username: each with every grant in force that reaches it (by name, through a group, all clients), what they add up to (the latest end, the highest limit; none beats any), the downloads it made, how many remain, and its last download. Empty while the file is not ready or past its end. Keyset pagination: pass `nextCursor` back as `cursor`.',
  ...access('ops'),
  request: { params: FileIdParams, query: AccessQuery },
  responses: {
    200: json('One page of the audience.', AudiencePage),
    400: problem('An invalid `limit`, or a cursor this API did not issue.', ['validation_failed']),
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const { limit, cursor } = c.req.valid('query');
  const file = await findFile(sql, c.req.valid('param').id);
  if (!file) throw notFound();
  const page = await audienceOf(db, file, clock.now(), { limit, after: cursor ? decodeUserCursor(cursor) : undefined });
  return c.json({ items: page.items, nextCursor: page.next ? encodeUserCursor(page.next) : null }, 200);
};
