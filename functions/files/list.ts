import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { decodeCursor } from '../../shared/cursor';
import { listFiles, toPublicFile } from '../../shared/files';
import { File } from '../../shared/schemas';

const ListFilesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1–100.' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

const FilePage = z
  .object({ items: z.array(File), nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }) })
  .meta({ id: 'FilePage' });

export const route = createRoute({
  method: 'get',
  path: '/api/files',
  operationId: 'listFiles',
  tags: ['Files'],
  summary: 'Files, newest first',
  description:
    'Ops see every file; a client sees the ready files shared with it by a grant in force (by name, through a group it is in, or with all clients), each with its terms (`access`: when its access ends, downloads left). Keyset pagination: pass `nextCursor` back as `cursor`.',
  ...access('user'),
  request: { query: ListFilesQuery },
  responses: {
    200: json('One page of files.', FilePage),
    400: problem('An invalid `limit`, or a cursor this API did not issue.', ['validation_failed']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const user = c.get('user');
  const { sql, clock } = deps(c);
  const page = await listFiles(sql, user, { limit, now: clock.now(), ...(cursor ? { cursor: decodeCursor(cursor) } : {}) });
  return c.json({ items: page.items.map(toPublicFile), nextCursor: page.nextCursor }, 200);
};
