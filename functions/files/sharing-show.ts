import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { FileIdParams } from '../../shared/schemas';
import { getSharing, SharingSchema } from '../../shared/sharing';

export const route = createRoute({
  method: 'get',
  path: '/api/files/{id}/sharing',
  operationId: 'getSharing',
  tags: ['Sharing'],
  summary: 'Who a file is shared with, on what terms',
  description:
    'Whether every client may see it, which clients and groups are granted it by name, and the end and download limit of each grant. Grants that have ended are left out.',
  ...access('ops'),
  request: { params: FileIdParams },
  responses: {
    200: json('The grant set in force.', SharingSchema),
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const file = await findFile(sql, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json(await getSharing(db, file, clock.now()), 200);
};
