import { z } from 'zod';
import { decodeCursor, listFiles, toPublicFile } from '../../shared/files';
import { defineRoute, deps, factory, guard, queryParams } from '../../shared/http';
import { File, Problem } from '../../shared/schemas';

const ListFilesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1–100.' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

const FilePage = z
  .object({ items: z.array(File), nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }) })
  .meta({ id: 'FilePage' });

export const route = defineRoute({
  method: 'get',
  path: '/api/files',
  operationId: 'listFiles',
  summary: 'Files, newest first: all of them for ops; the ready files shared with a client for clients',
  tags: ['Files'],
  access: 'user',
  request: { query: ListFilesQuery },
  responses: {
    200: { description: 'One page of files.', schema: FilePage },
    400: { description: 'Invalid `limit` or a cursor this API did not issue.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), queryParams(ListFilesQuery), async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const user = c.get('user');
  const page = await listFiles(deps(c).db, user, { limit, ...(cursor ? { cursor: decodeCursor(cursor) } : {}) });
  return c.json({ items: page.items.map(toPublicFile), nextCursor: page.nextCursor }, 200);
});
